"""The YAML case loader and runner: strict keys with positions, every case run, all failures reported."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from efklab.errors import InputError
from efklab.multiline.cases import format_failures, load_cases, parse_cases, run_cases

GOOD = """
defaults:
  rule: {key: log, multiline_start_regexp: /^s/, timeout_label: "@NORMAL"}
  flush_timeouts: "off"
cases:
  - name: passes
    input: [s, "  a"]
    expected: [{text: "s\\n  a"}]
  - name: fails on text
    input: [s, "  a"]
    expected: [{text: "something else"}]
  - name: fails on count
    input: [s]
    expected_count: 2
"""


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("- name: a\n  rule: {key: log, n_lines: 1}\n  input: [x]\n  expectd: []\n", "unknown key 'expectd'", 4),
        ("- name: a\n  rule: {key: log, n_lines: 1}\n  input: [x]\n  no_output: true\n- name: a\n"
         "  rule: {key: log, n_lines: 1}\n  input: [x]\n  no_output: true\n", "duplicate case name 'a'", 5),
        ("- name: a\n  input: [x]\n  no_output: true\n", "exactly one of 'rule' or 'config'", 1),
        ("- name: a\n  rule: {key: log, n_lines: 1}\n  input: [x]\n", "exactly one of expected, expected_count", 1),
        ("- name: a\n  rule: {key: log, n_lines: 1}\n  input: [{recrd: {log: x}}]\n  no_output: true\n",
         "unknown key 'recrd'", 3),
        ("cases: []\nextra: 1\n", "unknown top-level key 'extra'", 2),
        ("cases:\n  name: a\n  input: [x]\n", "'cases' must be a list of cases", 1),
        ("cases: []\ncases:\n  - name: a\n", "top-level key 'cases' appears twice", 2),
        ("- name: a\n  rule: {key: log\n", "invalid YAML", 3),
    ],
)
def test_malformed_case_files_fail_with_file_and_line(text: str, message: str, line: int) -> None:
    """A typo or a missing part is an InputError naming the file and line, never silently ignored."""
    with pytest.raises(InputError) as err:
        parse_cases(text, source="cases.yaml")
    assert message in str(err.value)
    assert err.value.source == "cases.yaml" and err.value.position == line


def test_every_case_runs_and_all_failures_are_reported_together() -> None:
    """One failing case does not stop the others; the report names each failing case with a diff."""
    results = run_cases(parse_cases(GOOD, source="good.yaml"))
    assert [r.ok for r in results] == [True, False, False]
    report = format_failures(results)
    assert "good.yaml:9: case 'fails on text' failed" in report
    assert "good.yaml:12: case 'fails on count' failed" in report
    assert '-{"text": "something else"}' in report and '+{"text": "s\\n  a"}' in report
    assert "expected 2 events, got 1" in report


def test_defaults_are_overridden_by_the_case(tmp_path: Path) -> None:
    """A case's own rule replaces the defaults' rule (and config) as a whole."""
    path = tmp_path / "c.yaml"
    path.write_text("defaults:\n  rule: {key: log, n_lines: 5}\ncases:\n  - name: own rule\n"
                    "    rule: {key: msg, n_lines: 1}\n    input: [a]\n    expected: [{record: {msg: a}}]\n")
    (result,) = run_cases(load_cases(path))
    assert result.ok, result.failures


def test_a_case_can_use_a_fluentd_config_text() -> None:
    """``config:`` takes a bare filter body as fluentd would read it (here: double-quoted escapes)."""
    text = ('- name: config body\n  config: |\n    @type concat\n    key log\n    multiline_end_regexp "/\\\\n$/"\n'
            '    separator ""\n  flush_timeouts: "off"\n  input: ["a", "b\\n"]\n  expected: [{text: "ab\\n"}]\n')
    (result,) = run_cases(parse_cases(text, source="cfg.yaml"))
    assert result.ok, result.failures


def test_expected_error_cases_check_the_message() -> None:
    """An expected_error case passes only when the rule is refused with that message."""
    text = ("- name: refused\n  rule: {key: log}\n  expected_error: Either n_lines\n"
            "- name: accepted\n  rule: {key: log, n_lines: 1}\n  expected_error: Either n_lines\n")
    results = run_cases(parse_cases(text))
    assert [r.ok for r in results] == [True, False]
    assert "but the rule was accepted" in results[1].failures[0]


def test_a_bare_filter_body_that_mentions_kind_is_read_as_fluentd_text() -> None:
    """``config:`` is a ConfigMap only when its YAML has apiVersion or kind at the top, not when a regexp says kind:."""
    text = ('- name: kind in a regexp\n  config: |\n    @type concat\n    key log\n'
            '    multiline_start_regexp /^kind: /\n    separator ""\n  flush_timeouts: "off"\n'
            '  input: ["kind: a\\n", "  b\\n", "kind: c\\n"]\n'
            '  expected: [{text: "kind: a\\n  b\\n"}, {text: "kind: c\\n"}]\n')
    (result,) = run_cases(parse_cases(text, source="cfg.yaml"))
    assert result.ok, result.failures


def test_an_inline_configmap_is_read_as_kubernetes_yaml() -> None:
    """A ConfigMap given inline: its data key holds the fluentd text."""
    configmap = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fluentd}\ndata:\n  fluent.conf: |\n"
                 "    <filter **>\n      @type concat\n      key log\n      n_lines 2\n    </filter>\n")
    text = yaml.safe_dump([{"name": "configmap", "config": configmap, "flush_timeouts": "off",
                            "input": ["a", "b"], "expected": [{"text": "a\nb"}]}])
    (result,) = run_cases(parse_cases(text, source="cfg.yaml"))
    assert result.ok, result.failures


def test_an_inline_config_error_names_the_case_file_and_case_never_a_temporary_file() -> None:
    """A broken inline config fails its case with the case file's line, the case's name and the config's line."""
    text = ("- name: broken\n  config: |\n    <filter **>\n      @type concat\n      key log\n"
            "  input: [x]\n  expected_count: 1\n")
    (result,) = run_cases(parse_cases(text, source="cases.yaml"))
    (failure,) = result.failures
    assert failure.startswith("rule refused: cases.yaml:2: case 'broken': config line 3: expected end tag")
    assert "efklab-config-" not in failure and "/tmp" not in failure


def test_an_inline_config_refused_by_the_plugin_names_the_case() -> None:
    """A concat filter fluentd refuses (no key) names the case file, the case and the filter's line."""
    text = ("- name: no key\n  config: |\n    <filter **>\n      @type concat\n      n_lines 2\n    </filter>\n"
            "  input: [x]\n  expected_count: 1\n")
    (result,) = run_cases(parse_cases(text, source="cases.yaml"))
    (failure,) = result.failures
    assert "cases.yaml:2: case 'no key': config line 2: 'key' parameter is required" in failure
    assert "efklab-config-" not in failure
