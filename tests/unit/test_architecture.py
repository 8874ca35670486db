"""The folder tree is the architecture: what the import contracts cannot see, checked here.

The layers, the absence of cycles and where client libraries may be imported are import-linter
contracts (``.importlinter``, run by ``make test``).  These tests pin the rest: a module's import
list is its real dependency list, and the top of the package stays small.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "efklab"
MODULES = sorted(PACKAGE.rglob("*.py"))
# Shared base and the package's own entry points; every pipeline stage is a subpackage.
TOP_LEVEL = {"__init__.py", "__main__.py", "errors.py", "model.py", "units.py", "prefetch.py", "testing.py"}


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _nested_imports(tree: ast.Module) -> Iterator[ast.stmt]:
    """Import statements inside a function or class body."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    yield inner


def _type_checking_blocks(tree: ast.Module) -> Iterator[ast.If]:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield node


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_import_is_at_the_top_of_its_module(path: Path) -> None:
    """No import hides inside a function: the import list at the top is the module's dependency list."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = [f"line {node.lineno}: {ast.unparse(node)}" for node in _nested_imports(tree)]
    assert hidden == []


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_efklab_module_is_imported_for_type_checking_only(path: Path) -> None:
    """A type-only import of our own code would hide a cycle from the contracts; import it for real."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = [f"line {inner.lineno}: {ast.unparse(inner)}" for block in _type_checking_blocks(tree)
              for inner in ast.walk(block)
              if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("efklab")]
    assert hidden == []


def test_the_top_of_the_package_holds_only_the_shared_base() -> None:
    """Every pipeline stage is a subpackage; only the base and the entry points sit directly in efklab/."""
    assert {p.name for p in PACKAGE.glob("*.py")} == TOP_LEVEL


@pytest.mark.parametrize("package", sorted(p.parent for p in PACKAGE.rglob("__init__.py")), ids=_name)
def test_every_package_says_what_it_holds(package: Path) -> None:
    """Each folder's __init__ has a docstring (the one line the README's tree repeats) and nothing else runs there."""
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{_name(package)}/__init__.py has no docstring"
    if package not in (PACKAGE, PACKAGE / "cli"):  # efklab.cli's __init__ is the command registry
        assert len(tree.body) == 1, f"{_name(package)}/__init__.py should hold only its docstring"
