"""The seed's regex change as a report (notebook 02, no node): from bare regexps as from the configs."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from efklab.reports.runner import default_notebook_dir, run_report

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
NOTEBOOK = default_notebook_dir() / "02-multiline-regression.ipynb"
AWS_REGEX = r"/^(date:){0,1}\d{4}[-/]\d{1,2}[-/]\d{1,2}/"
SEED_REGEX = r"/\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]/"


def figures(summary: dict) -> dict[str, dict]:
    return {c["name"]: c["figures"] for c in summary["checks"]}


def test_the_seed_scenario_runs_from_bare_regexps_and_from_configs_alike(tmp_path: Path) -> None:
    """`efklab report --only 2 -p old /AWS/ -p new /seed/` runs to its end (it used to stop on "'key' parameter
    is required"), and counts the same lines and lone continuation lines as the two configs."""
    bare = run_report([NOTEBOOK], str(tmp_path / "bare"), {"old": AWS_REGEX, "new": SEED_REGEX}, now=NOW, environ={})
    configs = run_report([NOTEBOOK], str(tmp_path / "configs"), {}, now=NOW, environ={})
    for summary in (bare.summary, configs.summary):
        assert summary["counts"]["error"] == 0
        assert "notebook stopped" not in " ".join(c["name"] for c in summary["checks"])
    lone = "the new rule leaves fewer continuation lines alone"
    assert figures(bare.summary)[lone] == figures(configs.summary)[lone]
    one_event = "every line is in exactly one event under both rules"
    assert figures(bare.summary)[one_event]["lines"] == figures(configs.summary)[one_event]["lines"]
    index = (tmp_path / "bare" / "index.html").read_text(encoding="utf-8")
    assert r"\d{4}[-/]\d{1,2}" in index and r"\\d" not in index
