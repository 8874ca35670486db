"""Notebook 00-doctor through the report runner (papermill, a real kernel): a verdict per run, no node needed."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from efklab.reports.runner import default_notebook_dir, run_report

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
NOTEBOOK = default_notebook_dir() / "00-doctor.ipynb"


def test_doctor_notebook_on_the_samples_passes(tmp_path: Path) -> None:
    """Default parameters (the committed, corrected setup): no error, one passing check,
    HTML with the findings table."""
    result = run_report([NOTEBOOK], str(tmp_path), {}, now=NOW, environ={})
    checks = result.summary["checks"]
    assert [(c["name"], c["verdict"]) for c in checks] == [("no error found", "pass")]
    assert checks[0]["figures"]["error"] == 0 and checks[0]["figures"]["warning"] > 0
    html = (tmp_path / "00-doctor.html").read_text(encoding="utf-8")
    assert "ordering-split-continuations" in html and "docker-split-lines" in html


def test_doctor_notebook_fails_on_the_pre_fix_config(tmp_path: Path) -> None:
    """config = the AWS sample regexp: the check fails with the errors counted;
    the executed notebook shows the ordering error."""
    config = str(Path(__file__).resolve().parents[2] / "data" / "samples" / "fluentd-aws-sample.yaml")
    result = run_report([NOTEBOOK], str(tmp_path), {"config": config}, now=NOW, environ={})
    (check,) = result.summary["checks"]
    assert check["verdict"] == "fail" and check["figures"]["error"] == 2
    executed = json.loads((tmp_path / "00-doctor.ipynb").read_text(encoding="utf-8"))
    shown = json.dumps([o for c in executed["cells"] for o in c.get("outputs", [])])
    assert "ordering-split-continuations" in shown and "concat-start-never-matches" in shown
