"""``multiline_end_regexp``: when it closes groups too early, never, or looks for a backslash.

Grounded in the plugin's ``process_regexp`` (pipeline facts 1.3): a line matching the start
regexp flushes the open group and opens a new one, and when it also matches the end regexp
that new group is flushed at once (one-line events); a line matching only the end regexp is
appended and the group flushed; a line that matches neither while no group is open is passed
on alone, unless there is no start regexp, in which case it is buffered until an end line or
the timer.  So an end regexp matching start lines closes every group on its first line, and
one that never matches leaves end-only rules to the ``flush_interval`` timer (timeout route).
"""
from __future__ import annotations

from efklab.doctor.checks.groupshape import (
    MOST,
    closed_by_end,
    line_marks,
    line_quote,
    lone_after_end,
    regexp_sites,
    shown_pattern,
    site_logs,
)
from efklab.doctor.findings import Finding, Severity, make_finding, quote_line
from efklab.doctor.inputs import DoctorInputs, LogFacts
from efklab.errors import EfklabError
from efklab.fluentd.concat.engine import ROUTE_MAIN
from efklab.fluentd.concat.rule import ConcatRule
from efklab.ruby.regexp import compile_ruby

END = "multiline_end_regexp"
DOCKER_JOIN_SOURCES = (r"\n$", r"\n\z", r"\n\Z")  # the end regexps that join Docker's 16 KiB pieces


def literal_backslash_n(source: str) -> int | None:
    """Offset of ``\\\\n`` (an escaped backslash, then ``n``) in a Ruby regexp source, else None.

    Such a pattern looks for a backslash character followed by the letter n, never for the
    newline that docker json-file lines end with.
    """
    i = 0
    while i < len(source) - 1:
        if source[i] == "\\":
            if source[i + 1] == "\\" and source[i + 2 : i + 3] == "n":
                return i
            i += 2
            continue
        i += 1
    return None


def check_end_newline_literal(inputs: DoctorInputs) -> list[Finding]:
    """``/\\\\n$/``: a backslash and an n, not the newline; the end regexp never matches a real line end."""
    found = []
    for index, site, rule, mode in regexp_sites(inputs):
        param = site.filter.params.get(END)
        source = mode.end_source
        if param is None or source is None:
            continue
        at = literal_backslash_n(source)
        if at is None:
            continue
        intended = source[:at] + source[at + 1 :]
        evidence = [f"written: {param.raw}", f"concat compiles /{source}/: '\\\\' is one backslash character, "
                    "then the letter n"]
        texts = [t for log in site_logs(inputs, index) for t in line_marks(inputs, log, rule).texts if t]
        if texts:
            marks = [m for log in site_logs(inputs, index) for m in line_marks(inputs, log, rule).end]
            evidence.append(f"/{source}/ matches {sum(marks):,} of {len(texts):,} sample lines"
                            + _fixed_count(intended, texts))
        unquoted = "" if not param.quote else " (unquoted: fluentd keeps backslashes of unquoted values as written)"
        found.append(make_finding(
            "concat-end-newline-literal", "error",
            f"{END} {param.value} looks for a backslash followed by 'n', never for the end of a line",
            where=site.param_where(END), evidence=evidence,
            why="in a Ruby regexp \\\\ is a literal backslash, so the pattern only matches text containing the two "
                "characters \\ and n; docker json-file lines end with a real newline, which it never matches, so "
                "groups are closed only by the next start line or by the flush_interval timer (an old README of the "
                "plugin showed the doubled backslash)",
            fix=f"write one backslash: {END} /{intended}/{unquoted}"))
    return found


def _fixed_count(source: str, texts: list[str]) -> str:
    try:
        pattern = compile_ruby(source)
    except EfklabError:
        return ""
    return f"; /{source}/ matches {sum(1 for t in texts if pattern.search(t)):,}"


def check_end_matches_start(inputs: DoctorInputs) -> list[Finding]:
    """An end regexp that also matches most start lines: each group is flushed on its first line."""
    found = []
    for index, site, rule, mode in regexp_sites(inputs):
        if mode.start is None or mode.end is None:
            continue
        starts = both = 0
        examples: list[str] = []
        lone: list[str] = []
        for log in site_logs(inputs, index):
            marks = line_marks(inputs, log, rule)
            first = [n for n, s in enumerate(marks.start) if s]
            closing = [n for n in first if marks.end[n]]
            starts += len(first)
            both += len(closing)
            examples += [line_quote(log, marks, n) + " starts a group and ends it" for n in closing[:2]]
            lone += [line_quote(log, marks, e.lines[0]) + f" sent alone: the end regexp closed the group at line "
                     f"{log.records[b.lines[-1]].lineno}" for b, e in lone_after_end(inputs.grouped(log, rule), marks)]
        if not starts or both / starts < MOST:
            continue
        start_shown, end_shown = shown_pattern(site, "multiline_start_regexp"), shown_pattern(site, END)
        docker_join = mode.end_source in DOCKER_JOIN_SOURCES
        severity: Severity = "error" if lone else "warning"
        evidence = [f"{both:,} of {starts:,} lines that match {start_shown} also match {END} {end_shown}",
                    *examples[:2]]
        if lone:
            evidence.append(f"{len(lone):,} continuation line(s) then arrive with no group open and are sent alone:")
            evidence += lone[:3]
        fix = (f"use two concat filters: first one that joins Docker's 16 KiB pieces ({END} {end_shown}, "
               f"separator \"\"), then one that groups statements with multiline_start_regexp {start_shown} "
               f"and no {END}" if docker_join else
               f"remove {END} (with a start regexp the next start line closes the group, and timeout_label "
               f"catches the last one), or make it match only what ends a statement")
        found.append(make_finding(
            "concat-end-matches-start", severity,
            f"{END} {end_shown} also matches {both:,} of {starts:,} start lines: those groups close on their first "
            "line", where=site.param_where(END), evidence=evidence,
            figures={"start_lines": starts, "start_lines_ending": both, "lone_continuations": len(lone)},
            why="a line matching the start regexp opens a group, and when it also matches the end regexp concat "
                "flushes that group at once; the stack frames after it find no open group and each becomes its own "
                "document",
            fix=fix))
    return found


def _timer_closed(inputs: DoctorInputs, log: LogFacts, rule: ConcatRule) -> tuple[int, int]:
    """(events, lines) the timer or shutdown flushed instead of an end line."""
    events = [e for e in inputs.grouped(log, rule) if e.route != ROUTE_MAIN]
    return len(events), sum(len(e.lines) for e in events)


def check_end_never_matches(inputs: DoctorInputs) -> list[Finding]:
    """An end regexp no sample line matches: groups end only at the next start line, or by timeout."""
    found = []
    for index, site, rule, mode in regexp_sites(inputs):
        if mode.end is None:
            continue
        logs = site_logs(inputs, index)
        rows = [(log, line_marks(inputs, log, rule)) for log in logs]
        rows = [(log, marks) for log, marks in rows if marks.lines]
        never = [(log, marks) for log, marks in rows if not marks.count(marks.end)]
        if not never:
            continue
        end_shown = shown_pattern(site, END, mode.end_source)
        end_only = mode.start is None
        total = sum(marks.lines for _log, marks in never)
        evidence = [f"{log.name}: 0 of {marks.lines:,} lines match; last line {quote_line(marks.texts[-1] or '', 60)}"
                    for log, marks in never[:3]]
        if end_only:
            timed = [_timer_closed(inputs, log, rule) for log, _m in never]
            evidence.append(f"{sum(t[0] for t in timed):,} event(s) of {sum(t[1] for t in timed):,} line(s) are "
                            f"closed only by the flush_interval timer ({rule.flush_interval:g} s)")
        cri = [log.name for log, _m in never if log.format == "cri"]
        trap = literal_backslash_n(mode.end_source or "") is not None
        if trap:
            fix = f"see concat-end-newline-literal: write {END} with one backslash"
        elif cri and mode.end_source in DOCKER_JOIN_SOURCES:
            fix = ("CRI lines carry no trailing newline: join containerd's pieces with use_partial_cri_logtag true, "
                   "partial_cri_logtag_key logtag, partial_cri_stream_key stream instead of an end regexp")
        elif end_only:
            fix = f"match the last line of each statement with {END}, or group by multiline_start_regexp instead"
        else:
            fix = f"remove {END} (it closes nothing here), or make it match the last line of each statement"
        if cri:
            evidence.append(f"CRI files (content without a trailing newline): {', '.join(cri[:3])}")
        all_files = len(never) == len(rows)
        severity: Severity = "error" if end_only and all_files else "warning"
        found.append(make_finding(
            "concat-end-never-matches", severity,
            f"{END} {end_shown} matches none of the {total:,} sample lines of {len(never)} of {len(rows)} log file(s)"
            + (": groups end only when the timer fires" if end_only else
               ": groups end only at the next start line or by timeout"),
            where=site.param_where(END), evidence=evidence,
            figures={"files": len(never), "lines": total, "end_only": end_only},
            why=("without a start regexp concat buffers every line until one matches the end regexp; none does, so "
                 "a stream's lines are flushed together by the timer (to timeout_label, or to @ERROR without one) "
                 "and flush_interval 0 holds them until shutdown" if end_only else
                 "the end regexp never closes a group, so each statement waits for the next start line; the last "
                 "one before a quiet period leaves by the timer (timeout_label, or @ERROR without one)"),
            fix=fix))
    return found


def end_closed_share(inputs: DoctorInputs, log: LogFacts, rule: ConcatRule) -> tuple[int, int]:
    """(events closed by an end line, lone continuation lines right after one): for the ordering blame."""
    marks = line_marks(inputs, log, rule)
    events = inputs.grouped(log, rule)
    return sum(1 for e in events if closed_by_end(e, marks)), len(lone_after_end(events, marks))
