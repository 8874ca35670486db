"""Declarative multiline test cases in YAML: load them as data, run them all, report every failure.

A case file is a list of cases, or ``{defaults: {...}, cases: [...]}`` where ``defaults`` holds
keys shared by every case.  A case::

    name: lines before the first start line pass alone     # required, unique in the file
    rule: {key: log, multiline_start_regexp: /^start/}      # parameter values as fluentd sees them
    # or config: <fluentd config text, a ConfigMap (YAML with apiVersion/kind at the top), or a bare filter body>
    #    (+ filter: ID|LABEL|N)
    # or config_file: fluentd.yaml  (relative to the case file; + filter, else routed by input_file's name)
    input: ["orphan", "start", {time: 2021-04-28T11:09:05Z, record: {log: "x"}}]
    # or input_file: logs/app.log  (+ format: auto|docker|cri|text)
    tag: test                       # tag of inline inputs (default "test")
    flush_timeouts: event-time|off  # as the CLI option (default event-time)
    expected: [{text: "start\\n  a", time: ..., route: main, tag: ..., record: {...}, lines: [1, 2]}]
    # or expected_count: N | no_output: true | expected_error: "substring of the RuleError"
    expected_warnings: ["substring", ...]   # optional: lint warnings the rule must carry

Inline input strings become ``{<key>: text}``; input item ``i`` defaults to the time
2021-04-28T11:09:04Z + ``i`` ms.  Expected events compare only the fields they give; ``record``
compares fields *and* their order.  Unknown keys anywhere are errors naming file and line; so are
files that are not UTF-8 YAML text or nest deeper than ``MAX_DEPTH`` levels.
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from efklab.errors import EfklabError, InputError
from efklab.fluentd.concat.engine import Emitted
from efklab.fluentd.concat.rule import ConcatRule, RegexpCompiler, build_rule
from efklab.fluentd.config.find import load_config
from efklab.fluentd.eventtime import format_event_time, parse_event_time
from efklab.multiline.encoding import event_to_json
from efklab.multiline.grouping import FLUSH_TIMEOUT_MODES, group_records, read_log_records
from efklab.multiline.rulespec import choose_filter, load_config_text

CASE_KEYS = frozenset({
    "name", "description", "rule", "config", "config_file", "filter", "tag", "flush_timeouts", "input", "input_file",
    "format", "expected", "expected_count", "no_output", "expected_error", "expected_warnings",
})
RULE_SOURCES = ("rule", "config", "config_file")
INPUT_KEYS = frozenset({"time", "tag", "record"})
EXPECTED_KEYS = frozenset({"time", "tag", "route", "record", "text", "lines"})
BASE_TIME_NS = parse_event_time("2021-04-28T11:09:04Z")


@dataclass(frozen=True)
class Case:
    """One test case, as written (plus where it was written)."""

    name: str
    source: str
    line: int
    spec: Mapping[str, Any]
    lines: Mapping[str, int] = field(default_factory=dict)  # key -> line, for error messages

    def where(self, key: str | None = None) -> str:
        """``file:line`` of the case, or of one of its keys."""
        return f"{self.source}:{self.lines.get(key, self.line) if key else self.line}"


@dataclass(frozen=True)
class CaseResult:
    """What running one case gave: its failures (empty = passed) and the actual events."""

    case: Case
    failures: tuple[str, ...]
    actual: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures


def load_cases(path: str | Path) -> list[Case]:
    """Read a case file; unknown keys, duplicate names and malformed values are ``InputError``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read case file: {exc.strerror or exc}", source=str(path)) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}): a case file is YAML text",
                         source=str(path), position=data.count(b"\n", 0, exc.start) + 1) from exc
    return parse_cases(text, source=str(path))


def _compose(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree and data of a case file; nesting is bounded before PyYAML recurses into it."""
    loader: yaml.SafeLoader | None = None
    try:
        _check_depth(text, source)
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:
        raise InputError(f"invalid YAML: character #x{exc.character:04x} is not allowed in YAML text",
                         source=source, position=text.count("\n", 0, exc.position) + 1) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise InputError(f"invalid YAML: {problem}", source=source,
                         position=mark.line + 1 if mark else None) from exc
    finally:
        if loader is not None:
            loader.dispose()


MAX_DEPTH = 64  # nesting levels a case file may use (cases need about 6)
_OPENS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
          yaml.FlowSequenceStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _check_depth(text: str, source: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` at the place it happens (PyYAML's composer recurses per level)."""
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                mark = token.start_mark
                raise InputError(f"nested more than {MAX_DEPTH} levels deep (column {mark.column + 1}): "
                                 "not a case file", source=source, position=mark.line + 1)
        elif isinstance(token, _CLOSES):
            depth -= 1


def parse_cases(text: str, *, source: str = "<cases>") -> list[Case]:
    """Cases from YAML text (see the module docstring for the format)."""
    node, data = _compose(text, source)
    defaults: Mapping[str, Any] = {}
    case_nodes: list[yaml.Node] = []
    if isinstance(data, list) and isinstance(node, yaml.SequenceNode):
        items, case_nodes = data, list(node.value)
    elif isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        keys = _key_lines(node)
        for key in data:
            if key not in ("defaults", "cases"):
                raise InputError(f"unknown top-level key {key!r} (want defaults, cases)", source=source,
                                 position=keys.get(key))
        seen_keys: set[str] = set()
        for key_node, _ in node.value:
            if key_node.value in seen_keys:
                raise InputError(f"top-level key {key_node.value!r} appears twice", source=source,
                                 position=key_node.start_mark.line + 1)
            seen_keys.add(key_node.value)
        defaults = data.get("defaults") or {}
        items = data.get("cases") or []
        cases_node = next((v for k, v in node.value if k.value == "cases"), None)
        if items and not isinstance(cases_node, yaml.SequenceNode):
            raise InputError("'cases' must be a list of cases", source=source, position=keys.get("cases"))
        case_nodes = list(cases_node.value) if isinstance(cases_node, yaml.SequenceNode) else []
        _check_keys(defaults, CASE_KEYS - {"name"}, "defaults", source, keys.get("defaults"))
    else:
        raise InputError("a case file is a list of cases or a mapping with 'cases'", source=source, position=1)
    cases: list[Case] = []
    seen: set[str] = set()
    for item, item_node in zip(items, case_nodes, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise InputError("a case must be a mapping", source=source, position=line)
        lines = _key_lines(item_node)
        _check_keys(item, CASE_KEYS, "case", source, line, lines)
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InputError("every case needs a 'name'", source=source, position=line)
        if name in seen:
            raise InputError(f"duplicate case name {name!r}", source=source, position=line)
        seen.add(name)
        spec = dict(defaults)
        if any(k in item for k in RULE_SOURCES):
            for k in RULE_SOURCES:
                spec.pop(k, None)
        spec.update(item)
        case = Case(name, source, line, spec, lines)
        _validate(case)
        cases.append(case)
    return cases


def _key_lines(node: yaml.Node) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def _check_keys(data: Any, allowed: frozenset[str], what: str, source: str, line: int | None,
                lines: Mapping[str, int] | None = None) -> None:
    if not isinstance(data, dict):
        raise InputError(f"{what} must be a mapping", source=source, position=line)
    for key in data:
        if key not in allowed:
            raise InputError(f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})",
                             source=source, position=(lines or {}).get(key, line))


def _validate(case: Case) -> None:
    spec = case.spec

    def fail(reason: str, key: str | None = None) -> InputError:
        return InputError(f"case {case.name!r}: {reason}", source=case.source,
                          position=case.lines.get(key or "", case.line))

    if sum(k in spec for k in RULE_SOURCES) != 1:
        raise fail("give exactly one of 'rule' or 'config' or 'config_file'")
    if "config_file" in spec and not isinstance(spec["config_file"], str):
        raise fail("'config_file' must be a path (relative to the case file)", "config_file")
    if "rule" in spec and not isinstance(spec["rule"], dict):
        raise fail("'rule' must be a mapping of concat parameters", "rule")
    kinds = [k for k in ("expected", "expected_count", "no_output", "expected_error") if k in spec]
    if len(kinds) != 1:
        raise fail("give exactly one of expected, expected_count, no_output, expected_error")
    if "expected_error" not in spec and ("input" in spec) == ("input_file" in spec):
        raise fail("give exactly one of 'input' or 'input_file'")
    if spec.get("flush_timeouts", "event-time") not in FLUSH_TIMEOUT_MODES:
        raise fail(f"flush_timeouts must be one of {', '.join(FLUSH_TIMEOUT_MODES)}", "flush_timeouts")
    for i, item in enumerate(spec.get("input") or []):
        if isinstance(item, dict):
            _check_keys(item, INPUT_KEYS, f"case {case.name!r} input[{i}]", case.source, case.lines.get("input"))
            if not isinstance(item.get("record"), dict):
                raise fail(f"input[{i}] needs a 'record' mapping", "input")
        elif not isinstance(item, str):
            raise fail(f"input[{i}] must be a string or a mapping", "input")
    for i, item in enumerate(spec.get("expected") or []):
        _check_keys(item, EXPECTED_KEYS, f"case {case.name!r} expected[{i}]", case.source, case.lines.get("expected"))


@dataclass(frozen=True, slots=True)
class _Record:
    tag: str
    time_ns: int
    record: dict[str, Any]


def case_rule(case: Case, *, compile_regexp: RegexpCompiler | None = None) -> ConcatRule:
    """The concat rule a case runs (``RuleError`` if fluentd would refuse it)."""
    spec = case.spec
    if "rule" in spec:
        params = {str(k): None if v is None else _param_text(v) for k, v in spec["rule"].items()}
        return build_rule(params, compile_regexp=compile_regexp, source=case.source,
                          position=case.lines.get("rule", case.line))
    if "config_file" in spec:
        return _rule_from_config_file(case)
    return _rule_from_inline_config(case)


def is_manifest_text(text: str) -> bool:
    """True when ``text`` is Kubernetes YAML: a mapping (or documents of mappings) with apiVersion or kind at the top.

    Decided by structure, not by the words: a bare filter body may well mention ``kind:`` in a regexp.
    A Helm template is not YAML until rendered: it counts when a line starts with ``apiVersion:``
    or ``kind:`` (fluentd text never has such a line).
    """
    try:
        documents = list(yaml.safe_load_all(text))
    except (yaml.YAMLError, RecursionError):
        return "{{" in text and bool(_MANIFEST_LINE.search(text))
    return any(isinstance(d, dict) and ("apiVersion" in d or "kind" in d) for d in documents)


_MANIFEST_LINE = re.compile(r"^(?:apiVersion|kind)\s*:", re.M)


_TEMP_CONFIG = re.compile(r"\S*efklab-config-[^/\s]*/config\.(?:yaml|conf)")


def _rule_from_inline_config(case: Case) -> ConcatRule:
    """The rule of a case's ``config:`` text; errors name the case file, the case and the line in the text."""
    text = case.spec["config"]
    if not isinstance(text, str):
        raise InputError(f"case {case.name!r}: 'config' must be fluentd config text (a string)",
                         source=case.source, position=case.lines.get("config", case.line))
    name = f"{case.source} case {case.name!r} config"
    try:
        config = load_config_text(text, name=name, suffix=".yaml" if is_manifest_text(text) else ".conf")
        return choose_filter(config, case.spec.get("filter"), log_file=None, source=name).rule
    except EfklabError as exc:
        reason = _TEMP_CONFIG.sub(name, exc.reason)
        where = _TEMP_CONFIG.sub("", str(exc.source or "")).strip() or name
        line = f" line {exc.position}" if exc.position is not None and where in (name, "") else ""
        raise type(exc)(f"case {case.name!r}: config{line}: {reason}", source=case.source,
                        position=case.lines.get("config", case.line)) from exc


def _rule_from_config_file(case: Case) -> ConcatRule:
    """The concat filter of a config file that applies to the case.

    Chosen by ``filter``, or routed by ``input_file``'s name.
    """
    spec = case.spec
    path = Path(case.source).parent / spec["config_file"]
    if not path.is_file():
        raise InputError(f"case {case.name!r}: no such config_file {spec['config_file']!r}", source=case.source,
                         position=case.lines.get("config_file", case.line))
    log_file = str(Path(case.source).parent / spec["input_file"]) if "input_file" in spec else None
    return choose_filter(load_config(path), spec.get("filter"), log_file=log_file, source=str(path)).rule


def _param_text(value: Any) -> str:
    """A YAML scalar as the string fluentd would see (YAML booleans read back as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def case_records(case: Case, rule: ConcatRule) -> list[list[Any]]:
    """The record streams a case feeds (inline input: one stream; a file: via the log readers)."""
    spec = case.spec
    if "input_file" in spec:
        path = Path(case.source).parent / spec["input_file"]
        return [list(read_log_records(path, fmt=spec.get("format", "auto")))]
    tag = spec.get("tag", "test")
    records = []
    for i, item in enumerate(spec["input"]):
        if isinstance(item, str):
            records.append(_Record(tag, BASE_TIME_NS + i * 1_000_000, {rule.key: item}))
        else:
            when = item.get("time")
            t = (BASE_TIME_NS + i * 1_000_000 if when is None
                 else parse_event_time(when, source=case.where("input"), position=f"input[{i}]"))
            records.append(_Record(item.get("tag", tag), t, dict(item["record"])))
    return [records]


def run_case(case: Case, *, compile_regexp: RegexpCompiler | None = None) -> CaseResult:
    """Run one case; failures are returned as data, never raised."""
    spec = case.spec
    try:
        rule = case_rule(case, compile_regexp=compile_regexp)
    except EfklabError as exc:
        if "expected_error" in spec:
            ok = str(spec["expected_error"]) in str(exc)
            return CaseResult(case, () if ok
                              else (f"expected error containing {spec['expected_error']!r}, got: {exc}",))
        return CaseResult(case, (f"rule refused: {exc}",))
    if "expected_error" in spec:
        return CaseResult(case, (f"expected error containing {spec['expected_error']!r}, but the rule was accepted",))
    failures = [f"expected a warning containing {w!r}; warnings: {list(rule.warnings)}"
                for w in spec.get("expected_warnings") or [] if not any(w in x for x in rule.warnings)]
    try:
        events = list(group_records(rule, case_records(case, rule),
                                    flush_timeouts=spec.get("flush_timeouts", "event-time")))
    except EfklabError as exc:
        return CaseResult(case, (*failures, f"run failed: {exc}"))
    actual = tuple(_actual(e) for e in events)
    failures.extend(_compare(spec, actual, rule.key))
    return CaseResult(case, tuple(failures), actual)


def _actual(event: Emitted) -> dict[str, Any]:
    out = event_to_json(event)
    out["lines"] = list(event.lines)
    return out


def _compare(spec: Mapping[str, Any], actual: Sequence[dict[str, Any]], key: str) -> list[str]:
    if spec.get("no_output"):
        return [] if not actual else [f"expected no output, got {len(actual)} events"]
    if "expected_count" in spec:
        n = spec["expected_count"]
        return [] if len(actual) == n else [f"expected {n} events, got {len(actual)}"]
    expected = spec["expected"] or []
    projected = ([_project(a, e, key) for a, e in zip(actual, expected, strict=False)]
                 + [_project(a, {}, key) for a in actual[len(expected):]])
    wanted = [_normalise(e, key) for e in expected]
    if projected == wanted:
        return []
    diff = difflib.unified_diff(_dump(wanted), _dump(projected), "expected", "actual", lineterm="")
    return ["events differ:\n" + "\n".join(diff)]


def _project(actual: dict[str, Any], expected: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The actual event reduced to the fields the expectation names (all of them when none)."""
    fields = list(expected) or ["time", "tag", "route", "record"]
    out: dict[str, Any] = {}
    for name in fields:
        if name == "text":
            out["text"] = actual["record"].get(key)
        elif name == "record":
            out["record"] = list(actual["record"].items())
        else:
            out[name] = actual.get(name)
    return out


def _normalise(expected: Mapping[str, Any], key: str) -> dict[str, Any]:
    out = dict(expected)
    if "time" in out:
        out["time"] = format_event_time(parse_event_time(out["time"]))
    if "record" in out:
        out["record"] = list(out["record"].items())
    return out


def _dump(events: Iterable[Mapping[str, Any]]) -> list[str]:
    return [json.dumps(e, ensure_ascii=False) for e in events]


def run_cases(cases: Iterable[Case], *, compile_regexp: RegexpCompiler | None = None,
              progress: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    """Run every case (none stops the others) and return all results in order."""
    results = []
    for case in cases:
        result = run_case(case, compile_regexp=compile_regexp)
        if progress:
            progress(result)
        results.append(result)
    return results


def format_failures(results: Iterable[CaseResult]) -> str:
    """All failures, each headed ``file:line: case 'name'`` and followed by its details."""
    blocks = []
    for r in results:
        if r.failures:
            body = "\n".join("  " + line for f in r.failures for line in f.splitlines())
            blocks.append(f"{r.case.where()}: case {r.case.name!r} failed\n{body}")
    return "\n".join(blocks)
