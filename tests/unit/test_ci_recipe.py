"""scripts/ci-fluentd-check.sh, the README's CI step, run in a throw-away git repository with two commits of
fluentd.yaml."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "scripts" / "ci-fluentd-check.sh"
SAMPLES = ROOT / "data" / "samples"
EFKLAB = Path(sys.executable).with_name("efklab")
CASES = """\
- name: a stack trace stays one event
  config_file: fluentd.yaml
  filter: containers
  input: ["(E) 11:09:04[301] failed\\n", "\\tat a.B.c(B.java:1)\\n"]
  expected_count: 1
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(tmp_path: Path, before: str, after: str) -> Path:
    """A repository whose last commit changes fluentd.yaml from ``before`` to ``after`` (sample configs)."""
    repo = tmp_path / "repo"
    (repo / "logs").mkdir(parents=True)
    for pattern in ("order-api-mj6*.log", "web-*.log"):
        for log in SAMPLES.glob(f"containers/{pattern}"):
            shutil.copy(log, repo / "logs" / log.name)
    shutil.copy(SAMPLES / before, repo / "fluentd.yaml")
    (repo / "cases.yaml").write_text(CASES, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=ci", "-c", "user.email=ci@example.com", "add", "-A")
    git(repo, "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "base")
    if after != before:
        shutil.copy(SAMPLES / after, repo / "fluentd.yaml")
        git(repo, "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qam", "change the regexp")
    return repo


def run_step(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {**os.environ, "EFKLAB": str(EFKLAB), "BASE": "HEAD~1", "LOGS": "logs", "CASES": "cases.yaml", **env}
    return subprocess.run(["bash", str(SCRIPT)], cwd=repo, env=settings, capture_output=True, text=True, timeout=600)


def test_the_seed_fix_passes_and_publishes_the_report(tmp_path: Path) -> None:
    """AWS sample regexp -> the seed's: doctor clean, cases pass, the diff shows the regrouping,
    the report passes (exit 0)."""
    repo = make_repo(tmp_path, "fluentd-aws-sample.yaml", "fluentd.yaml")
    done = run_step(repo)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = repo / "efklab-report"
    for name in ("index.html", "summary.json", "00-doctor.html", "02-multiline-regression.html", "doctor.json",
                 "doctor.txt", "test.txt", "multiline-diff.txt"):
        assert (out / name).is_file(), name
    assert json.loads((out / "doctor.json").read_text())["summary"]["error"] == 0
    assert re.search(r"^events +1,424 -> 823$", (out / "multiline-diff.txt").read_text(), re.MULTILINE)
    assert json.loads((out / "summary.json").read_text())["verdict"] == "pass"
    assert "multiline diff: exit 1 (grouping changed)" in done.stdout


def test_going_back_to_the_aws_sample_regexp_fails_the_step(tmp_path: Path) -> None:
    """The seed's regexp -> AWS sample regexp: doctor reports the ordering error and a test case fails (exit 1)."""
    repo = make_repo(tmp_path, "fluentd.yaml", "fluentd-aws-sample.yaml")
    done = run_step(repo, REPORT="00-doctor")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads((repo / "efklab-report" / "doctor.json").read_text())["findings"]
    assert ({"ordering-split-continuations", "concat-start-never-matches"}
            <= {f["check"] for f in found if f["severity"] == "error"})
    assert "FAIL  cases.yaml:1  a stack trace stays one event" in done.stdout
    assert "doctor: exit 1" in done.stdout and "test: exit 1" in done.stdout


def test_an_unchanged_config_skips_the_step(tmp_path: Path) -> None:
    """No change to fluentd.yaml since the base: nothing runs, exit 0."""
    repo = make_repo(tmp_path, "fluentd.yaml", "fluentd.yaml")
    (repo / "README").write_text("x")
    git(repo, "add", "README")
    git(repo, "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "other change")
    done = run_step(repo)
    assert done.returncode == 0 and "unchanged since HEAD~1; nothing to check" in done.stdout
    assert not (repo / "efklab-report").exists()


def test_a_missing_base_revision_is_exit_2(tmp_path: Path) -> None:
    """A base the checkout does not have (not fetched): exit 2 naming it."""
    repo = make_repo(tmp_path, "fluentd.yaml", "fluentd.yaml")
    done = run_step(repo, BASE="origin/no-such-branch")
    assert done.returncode == 2 and "base revision origin/no-such-branch not found" in done.stderr
