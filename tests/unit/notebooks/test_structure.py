"""The notebooks as committed: a title, one typed parameters cell matching CLI options, calls only, no outputs."""
from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from efklab.cli import build_parser
from efklab.reports.secretscan import scan_text
from tests.conftest import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ["00-doctor", "01-replay", "02-multiline-regression", "03-ordering", "04-index-layout", "05-retention",
            "06-upgrade"]
SCALARS = {"str", "int", "float", "bool"}


def cli_names() -> set[str]:
    """Every option and positional name of every efklab command,
    as Python names (--max-out-of-place -> max_out_of_place)."""
    names: set[str] = set()
    pending = [build_parser()]
    while pending:
        parser = pending.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(action.choices.values())
            elif action.dest not in ("help", "version", argparse.SUPPRESS):
                names.add(action.dest)
    return names


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_notebooks_exist() -> None:
    """00-doctor and 01-replay .. 05-retention, nothing else."""
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_title_then_one_parameters_cell(path: Path) -> None:
    """The first cell is a markdown title asking the question; exactly one cell is tagged parameters, the second."""
    cells = nbformat.read(path, as_version=4).cells
    assert (cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
            and "?" in cells[0].source.splitlines()[0])
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_are_typed_scalars_with_help(path: Path) -> None:
    """``name: type = default  # help`` for every parameter, types str/int/float/bool."""
    params = papermill.inspect_notebook(str(path))
    assert params
    for name, spec in params.items():
        assert spec["inferred_type_name"] in SCALARS, name
        assert spec["help"].strip(), name


def test_parameter_names_match_cli_options() -> None:
    """Each notebook parameter is the name of an efklab CLI option (same job, two front-ends)."""
    known = cli_names()
    unknown = {p.stem: sorted(set(papermill.inspect_notebook(str(p))) - known) for p in NOTEBOOKS}
    assert {k: v for k, v in unknown.items() if v} == {}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_logic_in_notebooks(path: Path) -> None:
    """No def, class, lambda, loops or comprehensions, regexes or installs: notebooks only call into efklab."""
    for cell in code_cells(path):
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        tree = ast.parse(source)
        forbidden = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.For, ast.While, ast.ListComp,
                     ast.SetComp, ast.DictComp, ast.GeneratorExp)
        found = [type(node).__name__ for node in ast.walk(tree) if isinstance(node, forbidden)]
        assert not found, (cell.id, found)
        imported = ({alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                     for alias in node.names}
                    | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)})
        assert not imported & {"re", "regex"}, (cell.id, "regexes belong in efklab")
        assert not any(line.lstrip().startswith(("%pip", "!pip", "%conda", "!")) for line in cell.source.splitlines())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_outputs_are_stripped_and_no_credentials(path: Path) -> None:
    """Committed without outputs or execution counts, and nothing in them looks like a credential."""
    for cell in code_cells(path):
        assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert scan_text(path.read_text(encoding="utf-8"), source=path.name) == []


def test_committed_notebooks_are_what_build_py_writes() -> None:
    """notebooks/build.py is the source of the cells; the committed files are its output."""
    result = subprocess.run([sys.executable, str(NOTEBOOK_DIR / "build.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
