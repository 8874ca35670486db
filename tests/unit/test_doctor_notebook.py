"""Notebook 00-doctor as committed: written by notebooks/build_doctor.py, parameters named as efklab doctor's options."""
from __future__ import annotations

import subprocess
import sys

import papermill

from efklab.cli import build_parser
from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "00-doctor.ipynb"


def test_committed_notebook_is_what_build_doctor_writes() -> None:
    """notebooks/build_doctor.py is the source of the cells; the committed file is its output."""
    result = subprocess.run([sys.executable, str(ROOT / "notebooks" / "build_doctor.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_parameters_are_options_of_efklab_doctor() -> None:
    """Every parameter of 00-doctor is an option of `efklab doctor` itself (same job, two front-ends)."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    doctor = sub.choices["doctor"]  # type: ignore[attr-defined]
    options = {a.dest for a in doctor._actions}
    assert set(papermill.inspect_notebook(str(NOTEBOOK))) <= options
