"""Notebook 00-doctor: parameters named as efklab doctor's options (build.py --check covers its cells)."""
from __future__ import annotations

import papermill

from efklab.cli import build_parser
from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "00-doctor.ipynb"


def test_parameters_are_options_of_efklab_doctor() -> None:
    """Every parameter of 00-doctor is an option of `efklab doctor` itself (same job, two front-ends)."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    doctor = sub.choices["doctor"]  # type: ignore[attr-defined]
    options = {a.dest for a in doctor._actions}
    assert set(papermill.inspect_notebook(str(NOTEBOOK))) <= options
