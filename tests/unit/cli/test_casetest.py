"""efklab test: the committed example passes; a wrong expectation fails with a readable diff; malformed files exit 2."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from efklab.cli import main
from tests.conftest import ROOT

EXAMPLE = ROOT / "data" / "samples" / "pipeline-tests.yaml"

WRONG = """\
defaults:
  config_file: fluentd.yaml
  filter: containers
cases:
  - name: right
    input: ["(E) 11:09:04[301] failed\\n", "\\tat a.B.c(B.java:1)\\n"]
    expected: [{text: "(E) 11:09:04[301] failed\\n\\tat a.B.c(B.java:1)\\n", route: timeout}]
  - name: wrong on purpose, the frame expected as its own event
    input: ["(E) 11:09:04[301] failed\\n", "\\tat a.B.c(B.java:1)\\n"]
    expected:
      - {text: "(E) 11:09:04[301] failed\\n"}
      - {text: "\\tat a.B.c(B.java:1)\\n"}
  - name: wrong count
    config_file: fluentd-aws-sample.yaml
    input: ["(E) 11:09:04[301] failed\\n", "\\tat a.B.c(B.java:1)\\n"]
    expected_count: 1
"""


@pytest.fixture()
def beside_config(tmp_path: Path) -> Path:
    """A folder with the committed configs, for case files that name them by relative path."""
    for name in ("fluentd.yaml", "fluentd-aws-sample.yaml"):
        shutil.copy(ROOT / "data" / "samples" / name, tmp_path / name)
    return tmp_path


def test_the_committed_example_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """data/samples/pipeline-tests.yaml passes against the committed config and logs: exit 0."""
    assert main(["test", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "6 passed, 0 failed" in out


def test_a_wrong_expectation_fails_with_a_readable_diff(beside_config: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Every case runs; each failure is named with file:line and shows expected (-) vs actual (+) events; exit 1."""
    cases = beside_config / "cases.yaml"
    cases.write_text(WRONG, encoding="utf-8")
    assert main(["test", str(cases)]) == 1
    out = capsys.readouterr().out
    assert f"PASS  {cases}:5  right" in out
    assert f"{cases}:8: case 'wrong on purpose, the frame expected as its own event' failed" in out
    assert '-{"text": "(E) 11:09:04[301] failed\\n"}' in out
    assert '-{"text": "\\tat a.B.c(B.java:1)\\n"}' in out
    assert '+{"text": "(E) 11:09:04[301] failed\\n\\tat a.B.c(B.java:1)\\n"}' in out
    assert f"{cases}:13: case 'wrong count' failed" in out and "expected 1 events, got 2" in out
    assert "1 passed, 2 failed (3 cases in 1 file)" in out


def test_show_actual_and_json_give_the_actual_events(beside_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--show-actual prints the failing cases' events; --json gives every case with its failures and events."""
    cases = beside_config / "cases.yaml"
    cases.write_text(WRONG, encoding="utf-8")
    assert main(["test", str(cases), "--show-actual", "-k", "wrong on purpose"]) == 1
    out = capsys.readouterr().out
    assert "actual events of 'wrong on purpose" in out and '"route": "timeout"' in out
    assert main(["test", str(cases), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["passed"], data["failed"]) == (1, 2)
    assert [c["ok"] for c in data["cases"]] == [True, False, False]
    assert data["cases"][1]["actual"][0]["lines"] == [0, 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- name: a\n  config_file: fluentd.yaml\n  input: [x]\n  expectd: []\n",
         "cases.yaml:4: unknown key 'expectd'"),
        ("cases:\n  - name: a\n    rule: {key: log, n_lines: 1}\n    input: [{recrd: {log: x}}]\n    no_output: true\n",
         "cases.yaml:4: unknown key 'recrd'"),
        ("- name: a\n  config_file: fluentd.yaml\n  rule: {key: log, n_lines: 1}\n  input: [x]\n  no_output: true\n",
         "cases.yaml:1: case 'a': give exactly one of 'rule' or 'config' or 'config_file'"),
    ],
)
def test_unknown_keys_exit_2_naming_the_key_and_its_position(beside_config: Path, text: str, message: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in a case file is not ignored: exit 2, the key and file:line on stderr, nothing run."""
    cases = beside_config / "cases.yaml"
    cases.write_text(text, encoding="utf-8")
    assert main(["test", str(cases)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err.replace(str(beside_config) + "/", "") and captured.out == ""


def test_every_malformed_file_is_reported_before_anything_runs(beside_config: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Two bad files: both errors on stderr, one line each, exit 2."""
    (beside_config / "a.yaml").write_text("- name: a\n  rule: {key: log\n", encoding="utf-8")
    (beside_config / "b.yaml").write_text("cases: []\nextra: 1\n", encoding="utf-8")
    assert main(["test", str(beside_config / "a.yaml"), str(beside_config / "b.yaml"), str(EXAMPLE)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "a.yaml:3: invalid YAML" in err[0] and "b.yaml:2: unknown top-level key 'extra'" in err[1]


def test_a_missing_config_file_fails_the_case_not_the_run(beside_config: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A case naming a config_file that is not there fails with the reason; the other cases still run."""
    cases = beside_config / "cases.yaml"
    cases.write_text("- name: gone\n  config_file: nowhere.yaml\n  input: [x]\n  expected_count: 1\n"
                     "- name: fine\n  rule: {key: log, n_lines: 1}\n  input: [x]\n  expected_count: 1\n",
                     encoding="utf-8")
    assert main(["test", str(cases)]) == 1
    out = capsys.readouterr().out
    assert "no such config_file 'nowhere.yaml'" in out and "PASS" in out


def test_a_config_with_two_filters_and_no_filter_key_names_them(beside_config: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Inline input cannot be routed: without 'filter' the case fails listing the config's concat filters."""
    cases = beside_config / "cases.yaml"
    cases.write_text("- name: which filter\n  config_file: fluentd.yaml\n  input: [x]\n  expected_count: 1\n",
                     encoding="utf-8")
    assert main(["test", str(cases)]) == 1
    out = capsys.readouterr().out
    assert "has 2 concat filters" in out and "pick one with --filter" in out


def test_an_input_file_routes_to_its_filter_without_a_filter_key(beside_config: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """config_file + input_file: the concat filter is the one fluentd applies to that file name (in_tail path,
    label)."""
    log = next((ROOT / "data" / "samples" / "containers").glob("order-api-mj6*.log"))
    (beside_config / "containers").mkdir()
    shutil.copy(log, beside_config / "containers" / log.name)
    cases = beside_config / "cases.yaml"
    cases.write_text(f"- name: routed\n  config_file: fluentd.yaml\n  input_file: containers/{log.name}\n"
                     "  expected_count: 302\n", encoding="utf-8")
    assert main(["test", str(cases)]) == 0, capsys.readouterr().out


HOSTILE_CASE_FILES = {
    "cases is a number": (b"cases: 5\n", "hostile.yaml:1: 'cases' must be a list of cases"),
    "binary bytes": (bytes(range(256)) * 4, "hostile.yaml:2: not UTF-8 text (byte 128 is 0x80)"),
    "invalid UTF-8 on line 2": (b"cases:\n  - name: \xff\xfe\n", "hostile.yaml:2: not UTF-8 text (byte 17 is 0xff)"),
    "a NUL character": (b"cases:\n  - name: a\x00b\n", "hostile.yaml:2: invalid YAML: character #x0000"),
    "flow nesting 20,000 deep": (b"cases: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
                                 "hostile.yaml:1: nested more than 64 levels deep (column 71)"),
    "block nesting 3,000 deep": (("cases:\n" + "".join("  " * i + "- \n" for i in range(1, 3000))).encode(),
                                 "hostile.yaml:65: nested more than 64 levels deep (column 129)"),
    "a mapping nested 5,000 deep in a rule": (b"cases:\n  - name: x\n    rule: " + b"{a: " * 5000 + b"1"
                                              + b"}" * 5000 + b"\n", "hostile.yaml:3: nested more than 64 levels"),
}


@pytest.mark.parametrize("name", HOSTILE_CASE_FILES)
def test_a_hostile_case_file_is_one_line_naming_file_and_position_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """No traceback and no case run: exit 2 with one line, file:line and the cause."""
    data, message = HOSTILE_CASE_FILES[name]
    path = tmp_path / "hostile.yaml"
    path.write_bytes(data)
    assert main(["test", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and message in lines[0].replace(str(tmp_path) + "/", ""), lines
    assert "Traceback" not in captured.err and captured.out == ""
