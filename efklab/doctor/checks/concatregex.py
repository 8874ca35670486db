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

from efklab.doctor.checks.groupshape import MOST, line_marks, line_quote, shown_pattern, site_logs
from efklab.doctor.findings import Finding, Severity, make_finding, quote_line
from efklab.doctor.inputs import ConcatSite, DoctorInputs, LogFacts, sample_texts
from efklab.errors import EfklabError
from efklab.fluentd.concat.rule import RegexpMode
from efklab.fluentd.config.model import Param
from efklab.ordering.measure import CONTINUATION
from efklab.ruby.regexp import compile_ruby, concat_regexp_source

REGEXP_PARAMS = ("multiline_start_regexp", "multiline_end_regexp", "continuous_line_regexp")
NEVER_MATCH_ERROR_SHARE = 0.05  # continuation-looking share of a file's lines that makes "never matches" an error
_FLAGGED = re.compile(r"\A/(?P<body>.*)/(?P<flags>[a-z]+)\Z", re.DOTALL)
_ANCHORED = re.compile(r"\A(?:\(\?[imx-]+\))?(?:\^|\\A)")
_CONCAT_REF = "concat compiles Regexp.compile(value[1..-2]) with no options (filter_concat.rb configure)"


def _slashed(source: str) -> str:
    """A pattern between slashes as the user would write it (Ruby's inspect escapes inner slashes; we do not)."""
    return f"/{source}/"


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
        out.append(f"the {label} pattern {_slashed(source)} matches {hits:,} of {len(texts):,} sample lines")
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
            f"{p.name} {p.value}: the flag(s) '{flags}' are not applied; concat compiles {_slashed(compiled)}",
            where=f"{site.filter.file}:{p.line}",
            evidence=[f"written: {p.raw}", f"compiled: {_slashed(compiled)} (a literal '/' then '{flags[:-1]}')",
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
            f"{p.name} {p.value}: not written as /.../, so concat compiles {_slashed(compiled)}",
            where=f"{site.filter.file}:{p.line}",
            evidence=[f"written: {p.raw}", f"compiled: {_slashed(compiled)} (first and last character dropped)",
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
            f"{p.name}: the unquoted value stops at ' #'; concat compiles {_slashed(compiled)}",
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
            f"{p.name} is {kind}-quoted: fluentd processed its escapes, so concat compiles {_slashed(compiled)}",
            where=f"{site.filter.file}:{p.line}",
            evidence=[f"written: {p.raw}", f"value after escapes: {p.value}", f"compiled: {_slashed(compiled)}"],
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
        pattern = shown_pattern(site, "multiline_start_regexp", rule.mode.start_source)
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
            f"multiline_start_regexp {shown_pattern(site, 'multiline_start_regexp', rule.mode.start_source)} "
            f"matches every line of "
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
            f"multiline_start_regexp {shown_pattern(site, 'multiline_start_regexp', source)} is not anchored"
            + (f": it matches in the middle of {count:,} sample line(s)" if count else
               " (no sample line matches it mid-line)"),
            where=site.param_where("multiline_start_regexp"), evidence=evidence, figures={"mid_line_matches": count},
            why="concat uses Regexp#match?, a search anywhere in the line: a continuation line that quotes a first "
                "line (a nested log, a message body) starts a new event and splits the statement",
            fix=f"anchor it: multiline_start_regexp /^{source}/ (^ is a line anchor in Ruby)"))
    return found


_FRAME_CANDIDATES = (r"^\S", r"^(?![ \t]|Caused by: |\.\.\. \d+ )")  # first lines: not indented, not a trace tail


def _candidate_fix(inputs: DoctorInputs, index: int, key: str) -> str | None:
    """A start regexp that, on the sample, starts no group with a continuation line (None: none found)."""
    texts = [t for log in site_logs(inputs, index) for t in sample_texts(log, key)]
    for source in _FRAME_CANDIDATES:
        pattern = compile_ruby(source)
        starts = [t for t in texts if pattern.search(t)]
        if starts and not any(CONTINUATION.match(t) for t in starts):
            return source
    return None


def check_start_matches_frames(inputs: DoctorInputs) -> list[Finding]:
    """A start regexp that matches the continuation lines (``/^\\s*at/``) but not the statements' first lines.

    Judged by the shape of the groups: most continuation lines open a group while the
    header lines (the ones that do not look like continuations) almost never do, so each
    group is a run of frames with the next statement's header appended to its end.
    """
    found = []
    for index, site, rule in _start_sites(inputs):
        frames = frame_starts = headers = header_starts = 0
        evidence: list[str] = []
        for log in site_logs(inputs, index):
            marks = line_marks(inputs, log, rule)
            for n, text in enumerate(marks.texts):
                if text is None or not text.strip():
                    continue
                if marks.continuation[n]:
                    frames += 1
                    frame_starts += marks.start[n]
                else:
                    headers += 1
                    header_starts += marks.start[n]
            for event in inputs.grouped(log, rule):
                first, rest = event.lines[0], event.lines[1:]
                tail = [n for n in rest if not marks.continuation[n] and marks.texts[n]]
                if marks.continuation[first] and marks.start[first] and tail and len(evidence) < 2:
                    evidence.append(f"{line_quote(log, marks, tail[0], 70)} is appended to the group opened by "
                                    f"line {log.records[first].lineno} ({quote_line(marks.texts[first] or '', 40)})")
        if frames < 2 or frame_starts / frames < MOST or not headers or header_starts / headers >= MOST:
            continue
        pattern = shown_pattern(site, "multiline_start_regexp", rule.mode.start_source)
        candidate = _candidate_fix(inputs, index, rule.key)
        fix = (f"match the first line of a statement, not its frames: e.g. multiline_start_regexp /{candidate}/ "
               "(on the sample it starts no group with a continuation line)" if candidate else
               "match the first line of a statement (its timestamp or level), not its frames")
        found.append(make_finding(
            "concat-start-matches-frames", "error",
            f"multiline_start_regexp {pattern} matches {frame_starts:,} of {frames:,} continuation lines but only "
            f"{header_starts:,} of {headers:,} first lines: groups begin at the frames",
            where=site.param_where("multiline_start_regexp"),
            evidence=[f"{frame_starts:,} of {frames:,} continuation-looking lines (frames, indented bodies) match; "
                      f"{header_starts:,} of {headers:,} other lines do", *evidence],
            figures={"continuation_lines": frames, "continuation_starts": frame_starts, "first_lines": headers,
                     "first_line_starts": header_starts},
            why="concat opens a group at every line the start regexp matches: each frame closes the group before it, "
                "and a statement's first line, matching nothing, is appended to the previous statement's frames, so "
                "documents hold the tail of one trace and the head of the next",
            fix=fix + "; a pattern for continuation lines belongs in continuous_line_regexp, if anywhere"))
    return found


def check_start_equals_continuous(inputs: DoctorInputs) -> list[Finding]:
    """``continuous_line_regexp`` equal to the start regexp: a continuing line always opens a new group."""
    found = []
    for index, site, rule in _start_sites(inputs):
        mode = rule.mode
        if mode.continuous_source is None or mode.continuous_source != mode.start_source:
            continue
        multi = sum(1 for log in site_logs(inputs, index) for e in inputs.grouped(log, rule) if len(e.lines) > 1)
        lines = sum(len(sample_texts(log, rule.key)) for log in site_logs(inputs, index))
        pattern = shown_pattern(site, "continuous_line_regexp", mode.continuous_source)
        found.append(make_finding(
            "concat-start-equals-continuous", "error",
            f"continuous_line_regexp {pattern} is the start regexp: the filter never joins two lines",
            where=site.param_where("continuous_line_regexp"),
            evidence=[f"{site.param_where('multiline_start_regexp')}: multiline_start_regexp "
                      f"{shown_pattern(site, 'multiline_start_regexp', mode.start_source)}",
                      *([f"on the sample: {multi:,} multi-line event(s) from {lines:,} lines"] if lines else [])],
            figures={"multi_line_events": multi, "lines": lines},
            why="the start regexp is tested first: a line it matches closes the open group and opens a new one; a "
                "line it does not match fails continuous_line_regexp too, so the group is flushed and the line sent "
                "alone. No line is ever appended",
            fix="continuous_line_regexp must match the lines that continue a statement (e.g. /^\\s/ for indented "
                "frames), not its first line; or remove it"))
    return found
