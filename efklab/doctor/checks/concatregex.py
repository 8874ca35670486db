"""Concat regexp traps: how the value is written, and what the compiled pattern does to the sample lines.

concat declares its regexps as strings and compiles ``value[1..-2]`` with no options
(pipeline facts 1.2): flags after the closing slash become literal characters, a value
without slashes loses two real characters, an unquoted value ends at `` #``, double quotes
process escapes.  Matching is an unanchored search with Ruby's line anchors.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from efklab.doctor.findings import Finding, Severity, make_finding, quote_line
from efklab.doctor.inputs import ConcatSite, DoctorInputs, LogFacts, sample_texts
from efklab.errors import EfklabError
from efklab.fluentd.concat.rule import RegexpMode
from efklab.fluentd.config.model import Param
from efklab.ordering.measure import CONTINUATION
from efklab.ruby.regexp import compile_ruby, concat_regexp_source, ruby_literal

REGEXP_PARAMS = ("multiline_start_regexp", "multiline_end_regexp", "continuous_line_regexp")
NEVER_MATCH_ERROR_SHARE = 0.05  # continuation-looking share of a file's lines that makes "never matches" an error
_FLAGGED = re.compile(r"\A/(?P<body>.*)/(?P<flags>[a-z]+)\Z", re.DOTALL)
_ANCHORED = re.compile(r"\A(?:\(\?[imx-]+\))?(?:\^|\\A)")
_CONCAT_REF = "concat compiles Regexp.compile(value[1..-2]) with no options (filter_concat.rb configure)"


def _regexp_params(inputs: DoctorInputs) -> Iterator[tuple[ConcatSite, int, Param]]:
    if inputs.config is None:
        return
    for index, site in enumerate(inputs.config.sites):
        for name in REGEXP_PARAMS:
            param = site.filter.params.get(name)
            if param is not None and param.value and not param.embedded:
                yield site, index, param


def _site_texts(inputs: DoctorInputs, index: int, key: str) -> list[str]:
    return [t for log in inputs.logs if log.site == index for t in sample_texts(log, key)]


def _match_counts(inputs: DoctorInputs, site: ConcatSite, index: int, compiled: str, intended: str | None) -> list[str]:
    """Evidence: how many sample lines the compiled pattern and the intended one match."""
    texts = _site_texts(inputs, index, site.rule.key if site.rule else "log")
    if not texts:
        return []
    out = []
    for label, source in (("compiled", compiled), ("intended", intended)):
        if source is None:
            continue
        try:
            pattern = compile_ruby(source)
        except EfklabError:
            continue
        hits = sum(1 for t in texts if pattern.search(t))
        out.append(f"the {label} pattern {ruby_literal(source)} matches {hits:,} of {len(texts):,} sample lines")
    return out


def check_regexp_flags(inputs: DoctorInputs) -> list[Finding]:
    """``/x/i``: the flags are not applied; the closing slash and the letters become part of the pattern."""
    found = []
    for site, index, p in _regexp_params(inputs):
        m = _FLAGGED.match(p.value)
        if not m:
            continue
        flags, body = m.group("flags"), m.group("body")
        inline = "".join(f for f in flags if f in "imx")
        intended = f"(?{inline}){body}" if inline else None
        compiled = concat_regexp_source(p.value)
        found.append(make_finding(
            "concat-regexp-flags", "error",
            f"{p.name} {p.value}: the flag(s) '{flags}' are not applied; concat compiles {ruby_literal(compiled)}",
            where=f"{site.filter.file}:{p.line}",
            evidence=[f"written: {p.raw}", f"compiled: {ruby_literal(compiled)} (a literal '/' then '{flags[:-1]}')",
                      *_match_counts(inputs, site, index, compiled, intended)],
            why=f"{_CONCAT_REF}: the pattern now needs a literal slash, so lines that should start an event do not, "
                "and fluentd --dry-run does not notice",
            fix=f"write the option inside the pattern: {p.name} /(?{inline or flags}){body}/"))
    return found


def check_regexp_unslashed(inputs: DoctorInputs) -> list[Finding]:
    """A value without ``/.../``: concat still drops its first and last characters."""
    found = []
    for site, index, p in _regexp_params(inputs):
        if _FLAGGED.match(p.value) or (p.value.startswith("/") and p.value.endswith("/") and len(p.value) >= 2):
            continue
        compiled = concat_regexp_source(p.value)
        found.append(make_finding(
            "concat-regexp-unslashed", "error",
            f"{p.name} {p.value}: not written as /.../, so concat compiles {ruby_literal(compiled)}",
            where=f"{site.filter.file}:{p.line}",
            evidence=[f"written: {p.raw}", f"compiled: {ruby_literal(compiled)} (first and last character dropped)",
                      *_match_counts(inputs, site, index, compiled, p.value)],
            why=f"{_CONCAT_REF}: two real characters of the pattern are lost and the rule groups differently from what "
                "was tested elsewhere",
            fix=f"write it between slashes: {p.name} /{p.value}/"))
    return found


def check_regexp_comment(inputs: DoctorInputs) -> list[Finding]:
    """An unquoted value ends at whitespace before ``#``: the rest is a comment, not pattern."""
    found = []
    for site, index, p in _regexp_params(inputs):
        if p.quote or not p.trailing_comment:
            continue
        compiled = concat_regexp_source(p.value)
        found.append(make_finding(
            "concat-regexp-comment", "error",
            f"{p.name}: the unquoted value stops at ' #'; concat compiles {ruby_literal(compiled)}",
            where=f"{site.filter.file}:{p.line}",
            evidence=[f"value fluentd reads: {p.value}", f"comment: #{p.trailing_comment.lstrip('#')}",
                      *_match_counts(inputs, site, index, compiled, None)],
            why="fluentd's config parser ends an unquoted value at whitespace followed by '#', so the pattern is cut "
                "short (and usually no longer ends with '/', so one more real character is dropped)",
            fix="write the space before '#' as [ ] or \\x20 (unquoted values keep backslashes as written)"))
    return found


def check_regexp_escapes(inputs: DoctorInputs) -> list[Finding]:
    """Quoted values: fluentd processes escapes before concat sees the pattern."""
    found = []
    for site, _index, p in _regexp_params(inputs):
        if p.quote not in ('"', "'") or p.raw[1:-1] == p.value:
            continue
        compiled = concat_regexp_source(p.value)
        kind = "double" if p.quote == '"' else "single"
        found.append(make_finding(
            "concat-regexp-escapes", "warning",
            f"{p.name} is {kind}-quoted: fluentd processed its escapes, so concat compiles {ruby_literal(compiled)}",
            where=f"{site.filter.file}:{p.line}",
            evidence=[f"written: {p.raw}", f"value after escapes: {p.value}", f"compiled: {ruby_literal(compiled)}"],
            why="in double quotes \\\\ becomes \\ and \\n a newline (single quotes unescape \\\\ and \\'); the pattern "
                "differs from the text in the file, which is easy to miss when reviewing the regexp",
            fix=f"write it unquoted, as the pattern itself: {p.name} /{compiled}/ (unquoted values keep backslashes)"))
    return found


@dataclass(frozen=True, slots=True)
class StartScan:
    """One pass of a start regexp over a file's lines: what the three start-regexp checks read."""

    lines: int  # records with a text under the rule's key
    matching: int  # of those, lines the start regexp matches (an unanchored search, as concat does)
    continuations: int  # lines that look like continuations (stack frames, indented bodies)
    mid_line: tuple[tuple[int, str, int], ...]  # (line number, text, 0-based column) of matches starting mid-line


def scan_start(log: LogFacts, key: str, compiled: Any) -> StartScan:
    """Search every ``key`` text of ``log`` with the compiled start regexp once."""
    search, continues = compiled.search, CONTINUATION.match
    lines = matching = continuations = 0
    mid_line = []
    for record in log.records:
        text = record.record.get(key)
        if not isinstance(text, str):
            continue
        lines += 1
        found = search(text)
        if found is not None:
            matching += 1
            at = found.start()
            if at > 0 and text[at - 1] != "\n":
                mid_line.append((record.lineno, text, at))
        if continues(text) is not None:
            continuations += 1
    return StartScan(lines, matching, continuations, tuple(mid_line))


def _scans(inputs: DoctorInputs, index: int, rule: Any) -> list[tuple[LogFacts, StartScan]]:
    """The start scan of every log file site ``index`` applies to, computed once per run."""
    def compute() -> list[tuple[LogFacts, StartScan]]:
        compiled = getattr(rule.mode.start, "compiled", None)
        if compiled is None:
            return []
        return [(log, scan_start(log, rule.key, compiled)) for log in inputs.logs if log.site == index]

    return inputs.derived(("start-scan", index), compute)


def _start_sites(inputs: DoctorInputs) -> Iterator[tuple[int, ConcatSite, Any]]:
    """Sites whose rule compiled with a start regexp (in regexp mode)."""
    if inputs.config is None:
        return
    for index, site in enumerate(inputs.config.sites):
        rule = site.rule
        if rule is not None and isinstance(rule.mode, RegexpMode) and rule.mode.start is not None:
            yield index, site, rule


def _start_matches(inputs: DoctorInputs) -> Iterator[tuple[ConcatSite, Any, list[tuple[LogFacts, int, int, int]]]]:
    """Per concat site with a start regexp and sample logs: (log, lines, matching lines, continuation-looking lines)."""
    for index, site, rule in _start_sites(inputs):
        rows = [(log, scan.lines, scan.matching, scan.continuations) for log, scan in _scans(inputs, index, rule)]
        if rows:
            yield site, rule, rows


def check_start_never_matches(inputs: DoctorInputs) -> list[Finding]:
    """A start regexp that matches no line of a file: every line of it is an event of its own."""
    found = []
    for site, rule, rows in _start_matches(inputs):
        where = site.param_where("multiline_start_regexp")
        pattern = ruby_literal(rule.mode.start_source or "")
        total = sum(r[1] for r in rows)
        if total and not any(r[2] for r in rows):
            found.append(make_finding(
                "concat-start-never-matches", "error",
                f"multiline_start_regexp {pattern} matches none of the {total:,} sample lines: "
                "the filter joins nothing",
                where=where, evidence=[f"{log.name}: 0 of {n:,} lines match" for log, n, _h, _c in rows],
                figures={"lines": total, "matching": 0},
                why="concat emits every line that comes while no event is open on its own, so multi-line statements "
                    "(stack traces) reach OpenSearch line by line",
                fix="match the first line of each statement (compare with efklab multiline diff --old ... --new ...)"))
            continue
        never = [(log, n, c) for log, n, h, c in rows if n and not h]
        if not never:
            continue
        split = [(log, n, c) for log, n, c in never if c]
        worst_share = max((c / n for _log, n, c in split), default=0.0)
        severity: Severity = "error" if worst_share >= NEVER_MATCH_ERROR_SHARE else "warning" if split else "info"
        found.append(make_finding(
            "concat-start-never-matches", severity,
            f"multiline_start_regexp {pattern} matches no line of {len(never)} of {len(rows)} log files"
            + (f"; {sum(c for _l, _n, c in split):,} of their lines look like continuations" if split else ""),
            where=where,
            evidence=[f"{log.name}: 0 of {n:,} lines match, {c:,} look like continuations" for log, n, c in
                      sorted(never, key=lambda r: -r[2])],
            figures={"files": len(never), "continuation_lines": sum(c for _l, _n, c in split)},
            why="in these files every line is its own event: fine for one-line formats, but continuation lines "
                "(stack frames, indented bodies) become separate documents that Dashboards shows out of order",
            fix="extend the start regexp to the first lines of these apps, or give them their own <filter> with a "
                "matching rule (efklab multiline group --config ... shows the grouping)"))
    return found


def check_start_always_matches(inputs: DoctorInputs) -> list[Finding]:
    """A start regexp that matches every line, continuation lines included: nothing is ever joined."""
    found = []
    for site, rule, rows in _start_matches(inputs):
        always = [(log, n, c) for log, n, h, c in rows if n > 1 and h == n]
        split = [(log, n, c) for log, n, c in always if c]
        if not split and not (always and len(always) == len(rows)):
            continue
        found.append(make_finding(
            "concat-start-always-matches", "error" if split else "warning",
            f"multiline_start_regexp {ruby_literal(rule.mode.start_source or '')} matches every line of "
            f"{len(always)} log file(s)" + (", continuation lines included" if split else ""),
            where=site.param_where("multiline_start_regexp"),
            evidence=[f"{log.name}: {n:,} of {n:,} lines match, {c:,} of them look like continuations"
                      for log, n, c in always],
            why="a line that matches the start regexp closes the open event and starts a new one, so continuation "
                "lines are never appended: each becomes its own document",
            fix="anchor the pattern to what only first lines have (e.g. a timestamp or level at ^)"))
    return found


def check_start_unanchored(inputs: DoctorInputs) -> list[Finding]:
    """An unanchored start pattern: concat searches anywhere, so a match mid-line starts an event."""
    found = []
    for index, site, rule in _start_sites(inputs):
        source = rule.mode.start_source or ""
        if _ANCHORED.match(source):
            continue
        evidence = [f"{log.where(lineno)}: {quote_line(text)} (match at column {at + 1})"
                    for log, scan in _scans(inputs, index, rule) for lineno, text, at in scan.mid_line]
        count = len(evidence)
        found.append(make_finding(
            "concat-start-unanchored", "warning" if count else "info",
            f"multiline_start_regexp {ruby_literal(source)} is not anchored"
            + (f": it matches in the middle of {count:,} sample line(s)" if count else
               " (no sample line matches it mid-line)"),
            where=site.param_where("multiline_start_regexp"), evidence=evidence, figures={"mid_line_matches": count},
            why="concat uses Regexp#match?, a search anywhere in the line: a continuation line that quotes a first "
                "line (a nested log, a message body) starts a new event and splits the statement",
            fix=f"anchor it: multiline_start_regexp /^{source}/ (^ is a line anchor in Ruby)"))
    return found
