"""What a concat rule's regexps say about each sample line, and the shape of the groups it makes.

The end-regexp, start-regexp and scope checks judge a rule by the groups it makes on the
sample, not by the pattern alone: which lines the start and end regexps match (an unanchored
search, as the plugin's ``match?``), which lines look like continuations (stack frames,
indented bodies), and, per emitted event, whether it was closed by an end line, by the next
start line, or by the timer.  Computed once per (log file, rule) and shared.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from efklab.doctor.findings import quote_line
from efklab.doctor.inputs import ConcatSite, DoctorInputs, LogFacts
from efklab.fluentd.concat.engine import ROUTE_MAIN, Emitted
from efklab.fluentd.concat.rule import ConcatRule, RegexpMode
from efklab.ordering.measure import CONTINUATION

MOST = 0.5  # "most lines": the share above which a regexp is judged by what it does to the majority


@dataclass(frozen=True, slots=True)
class LineMarks:
    """Per record of a log file (in ``log.records`` order): what the rule's regexps and the eye see."""

    texts: tuple[str | None, ...]  # the rule's key, when it is a string
    start: tuple[bool, ...]
    end: tuple[bool, ...]
    continuation: tuple[bool, ...]

    @property
    def lines(self) -> int:
        return sum(1 for t in self.texts if t is not None)

    def count(self, marks: tuple[bool, ...]) -> int:
        return sum(1 for t, m in zip(self.texts, marks, strict=True) if t is not None and m)


def shown_pattern(site: ConcatSite | None, name: str, source: str | None = None) -> str:
    """A regexp parameter as the user wrote it (fluentd's value), else ``/source/`` with nothing escaped."""
    param = site.filter.params.get(name) if site is not None else None
    if param is not None and param.value:
        return param.value
    return f"/{source or ''}/"


def _search(matcher: Any, text: str | None) -> bool:
    return matcher is not None and text is not None and bool(matcher.search(text))


def line_marks(inputs: DoctorInputs, log: LogFacts, rule: ConcatRule) -> LineMarks:
    """The marks of every record of ``log`` under ``rule`` (regexp mode; other modes mark nothing)."""
    def compute() -> LineMarks:
        mode = rule.mode
        start = mode.start if isinstance(mode, RegexpMode) else None
        end = mode.end if isinstance(mode, RegexpMode) else None
        texts = tuple(t if isinstance(t := r.record.get(rule.key), str) else None for r in log.records)
        return LineMarks(texts, tuple(_search(start, t) for t in texts), tuple(_search(end, t) for t in texts),
                         tuple(t is not None and CONTINUATION.match(t) is not None for t in texts))

    return inputs.derived(("line-marks", log.path, id(rule)), compute)


def regexp_sites(inputs: DoctorInputs) -> Iterator[tuple[int, ConcatSite, ConcatRule, RegexpMode]]:
    """Concat filters in regexp mode whose rule compiled."""
    if inputs.config is None:
        return
    for index, site in enumerate(inputs.config.sites):
        rule = site.rule
        if rule is not None and isinstance(rule.mode, RegexpMode):
            yield index, site, rule, rule.mode


def site_logs(inputs: DoctorInputs, index: int) -> list[LogFacts]:
    """The sample log files concat filter ``index`` applies to, with at least one record."""
    return [log for log in inputs.logs if log.site == index and log.records]


def closed_by_end(event: Emitted, marks: LineMarks) -> bool:
    """Whether ``event`` left the filter because its last line matched the end regexp."""
    last = event.lines[-1] if event.lines else -1
    return event.route == ROUTE_MAIN and 0 <= last < len(marks.end) and marks.end[last]


def lone_after_end(events: list[Emitted], marks: LineMarks) -> list[tuple[Emitted, Emitted]]:
    """(closing event, lone continuation line right after it): lines an early end left on their own."""
    out = []
    for before, event in pairwise(events):
        if len(event.lines) != 1 or not closed_by_end(before, marks):
            continue
        n = event.lines[0]
        if 0 <= n < len(marks.continuation) and marks.continuation[n] and not marks.start[n]:
            out.append((before, event))
    return out


def line_quote(log: LogFacts, marks: LineMarks, n: int, width: int = 90) -> str:
    """``name:line: 'text'`` for record ``n`` of ``log``."""
    return f"{log.where(log.records[n].lineno)}: {quote_line(marks.texts[n] or '', width)}"
