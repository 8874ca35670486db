"""No user regexp can hang a command: catastrophic patterns against one 101-character line end in
seconds with exit 0 (the bounded engine resolved it) or 2 (one line naming the log line, the pattern
and what fluentd would do).  The subprocess timeout only guards against a hang; it measures nothing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EFKLAB = Path(sys.executable).with_name("efklab")
GUARD = 300  # seconds: a hang fails the test instead of blocking the suite
# (pattern, whether the regex engine resolves it within the bound: then the command ends normally)
PATTERNS = [("(a+)+$", True), ("^(a|a)*$", False), ("(a|aa)+$", False), (r"(\w+\s?)+$", True)]
IDS = [p for p, _ in PATTERNS]
LONG = "a" * 100 + "!"


def efklab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EFKLAB), *args], capture_output=True, text=True, timeout=GUARD, cwd=cwd, check=False)


def docker_log(path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for i, text in enumerate(["start\n", LONG]):
            out.write(json.dumps({"log": text, "stream": "stdout", "time": f"2021-04-28T11:09:04.30{i}000000Z"}) + "\n")
    return path


def config(path: Path, pattern: str) -> Path:
    path.write_text(f"<filter **>\n  @type concat\n  key log\n  multiline_start_regexp /{pattern}/\n"
                    "  timeout_label @NORMAL\n</filter>\n<label @NORMAL>\n  <match **>\n    @type null\n"
                    "  </match>\n</label>\n")
    return path


def assert_bounded(done: subprocess.CompletedProcess[str], pattern: str, resolves: bool, ok: tuple[int, ...]) -> None:
    assert "Traceback" not in done.stderr
    if resolves:
        assert done.returncode in ok, done.stderr
        return
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "app.log:2: regexp /" + pattern + "/" in last
    assert "did not finish within 1 s" in last and "Ruby before 3.2" in last


@pytest.mark.parametrize(("pattern", "resolves"), PATTERNS, ids=IDS)
def test_multiline_group_never_hangs(tmp_path: Path, pattern: str, resolves: bool) -> None:
    log = docker_log(tmp_path / "app.log")
    done = efklab("multiline", "group", "--start-regexp", f"/{pattern}/", log.name, cwd=tmp_path)
    assert_bounded(done, pattern, resolves, (0,))


@pytest.mark.parametrize(("pattern", "resolves"), PATTERNS, ids=IDS)
def test_doctor_never_hangs_and_flags_the_pattern(tmp_path: Path, pattern: str, resolves: bool) -> None:
    log = docker_log(tmp_path / "app.log")
    conf = config(tmp_path / "fluent.conf", pattern)
    done = efklab("doctor", "--config", conf.name, "--logs", log.name, cwd=tmp_path)
    assert_bounded(done, pattern, resolves, (0, 1))
    flagged = efklab("doctor", "--config", conf.name, "--only", "regexp-backtracking", "--json", cwd=tmp_path)
    assert [f["check"] for f in json.loads(flagged.stdout)["findings"]] == ["regexp-backtracking"]


@pytest.mark.parametrize(("pattern", "resolves"), PATTERNS, ids=IDS)
def test_multiline_diff_never_hangs(tmp_path: Path, pattern: str, resolves: bool) -> None:
    log = docker_log(tmp_path / "app.log")
    done = efklab("multiline", "diff", "--old", "/^start/", "--new", f"/{pattern}/", log.name, cwd=tmp_path)
    assert_bounded(done, pattern, resolves, (0, 1))


@pytest.mark.parametrize(("pattern", "resolves"), PATTERNS, ids=IDS)
def test_case_files_never_hang(tmp_path: Path, pattern: str, resolves: bool) -> None:
    """``efklab test`` (the CI recipe's case run): the case fails with the reason, it does not hang."""
    config(tmp_path / "fluent.conf", pattern)
    cases = tmp_path / "cases.yaml"
    cases.write_text(f"- name: long line\n  config_file: fluent.conf\n  input: [\"start\\n\", \"{LONG}\"]\n"
                     "  expected_count: 2\n")
    done = efklab("test", cases.name, cwd=tmp_path)
    assert "Traceback" not in done.stderr and done.returncode in (0, 1, 2)
    if not resolves:
        assert done.returncode == 1 and "did not finish within 1 s" in done.stdout + done.stderr
