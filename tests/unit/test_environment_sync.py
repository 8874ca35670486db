"""environment.yml (conda users) must list exactly the Python dependencies of pyproject.toml."""
from __future__ import annotations

import tomllib

import yaml

from tests.conftest import ROOT


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return {r.replace(" ", "") for r in reqs}


def _environment_pip_requirements() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    return {r.replace(" ", "") for r in pip_sections[0] if not r.startswith("-e")}


def test_environment_yml_lists_the_same_python_dependencies_as_pyproject() -> None:
    """Every pyproject dependency (runtime and dev) appears in environment.yml, and nothing else."""
    assert _environment_pip_requirements() == _pyproject_requirements()


def test_environment_yml_installs_efklab_itself() -> None:
    """A conda user gets the package too, in editable mode like `make install`."""
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert "- -e ." in env
