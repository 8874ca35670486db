"""`make install`: progress from its first second, and an editable install setuptools has nothing to warn about."""
from __future__ import annotations

import subprocess
import tomllib

from tests.conftest import ROOT


def _install_commands() -> str:
    """The commands `make install` would run from scratch (make -n: printed, not run)."""
    return subprocess.run(["make", "-n", "-B", "-C", str(ROOT), "install"], capture_output=True, text=True,
                          check=True).stdout


def test_every_install_phase_is_announced_before_it_runs() -> None:
    """Four numbered phases; pip's dependency install is not silenced (-q), its output condensed to progress."""
    commands = _install_commands()
    phases = [line for line in commands.splitlines() if line.startswith('echo "efklab install [')]
    assert [p.split("]")[0].split("[")[1] for p in phases] == ["1/4", "2/4", "3/4", "4/4"]
    (dependencies,) = [line for line in commands.splitlines() if '-e ".[dev]"' in line]
    assert " -q " not in dependencies
    assert "pip-progress.awk" in commands and "install.log" in commands


def test_pip_progress_counts_packages_and_passes_warnings_through() -> None:
    """The awk filter turns pip's lines into a count, keeps WARNING/ERROR lines."""
    pip = ("Collecting pandas>=2.2\n  Downloading pandas.whl\nRequirement already satisfied: numpy in /x\n"
           "Installing collected packages: numpy, pandas\nERROR: no space left\n")
    shown = subprocess.run(["awk", "-v", "mode=log", "-f", str(ROOT / "scripts" / "pip-progress.awk")], input=pip,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert shown == ["  resolved 1 packages: pandas>=2.2",
                     "  installing 2 packages (no output for a while: wheels are unpacked)", "ERROR: no space left"]


def test_the_editable_install_puts_the_checkout_on_sys_path_without_an_import_hook() -> None:
    """package-dir "" = "." makes setuptools write a .pth entry: no 'same name as your package' warning, and a
    folder named efklab in the working directory can no longer shadow the package through the hook."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"": "."}
