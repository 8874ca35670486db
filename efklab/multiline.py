"""The multiline recipe: rules from configs or options, records from log files, the engine between.

``Grouper`` drives one ``Concatenator`` over record streams (one per log file) and emulates the
plugin's flush timer from event time, or switches it off.  Timer emulation
(``flush_timeouts="event-time"``): the emulated clock is the largest event time seen in the
current file; before each record, every stream idle for ``flush_interval`` or more is flushed
with the time the timer would have stamped at the earliest: the stream's last record time +
flush_interval (the real timer ticks once a second on the wall clock, so fluentd stamps up to
1 s later).  At the end of each file its remaining buffers time out the same way.  With ``"off"``
(fluentd reading files from head in one go) no timeout fires and what is left at the end is
flushed as at shutdown (first record's time and tag).  Files are processed one after another.
"""
from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

from efklab.concat import Concatenator, Emitted, Fed
from efklab.concatrule import ConcatRule
from efklab.errors import UsageError
from efklab.model import Reject
from efklab.eventtime import format_event_time
from efklab.regression import GroupingDiff, GroupingFold, StartFold, diff_groupings, side_by_side

FLUSH_TIMEOUT_MODES = ("event-time", "off")
_END = 1 << 126


class Grouper:
    """One rule applied to record streams with the chosen flush-timeout emulation."""

    def __init__(self, rule: ConcatRule, flush_timeouts: str = "event-time") -> None:
        if flush_timeouts not in FLUSH_TIMEOUT_MODES:
            raise UsageError(f"--flush-timeouts must be one of {', '.join(FLUSH_TIMEOUT_MODES)}, not {flush_timeouts!r}")
        self.rule = rule
        self.engine = Concatenator(rule)
        self.timer = flush_timeouts == "event-time" and rule.flush_interval > 0
        self._now = -_END

    def push(self, record: Fed) -> list[Emitted]:
        """The events emitted up to and including this record (timeouts first)."""
        if not self.timer:
            return self.engine.feed(record)
        t = record.time_ns
        if t > self._now:
            self._now = t
            pending = self.engine.expire(t)
            if pending:
                return pending + self.engine.feed(record, t)
        return self.engine.feed(record, self._now)

    def end_file(self) -> list[Emitted]:
        """A file ended: with the timer emulated, its open buffers time out; the clock restarts."""
        self._now = -_END
        return self.engine.expire(_END) if self.timer else []

    def finish(self) -> list[Emitted]:
        """All input read: what is still buffered is flushed as at shutdown."""
        return self.engine.shutdown()


def group_records(rule: ConcatRule, streams: Iterable[Iterable[Fed]], *, flush_timeouts: str = "event-time") -> Iterator[Emitted]:
    """Every event the filter emits for these record streams, in emission order."""
    grouper = Grouper(rule, flush_timeouts)
    engine = grouper.engine
    feed, expire = engine.feed, engine.expire
    for records in streams:
        if not grouper.timer:
            for record in records:
                out = feed(record)
                if out:
                    yield from out
            continue
        now = -_END
        for record in records:  # Grouper.push, inlined: this loop is the hot path
            t = record.time_ns
            if t > now:
                now = t
                if t >= engine._next_check:
                    pending = expire(t)
                    if pending:
                        yield from pending
            out = feed(record, now)
            if out:
                yield from out
        yield from grouper.end_file()
    yield from grouper.finish()


def event_to_json(event: Emitted) -> dict[str, Any]:
    """The output shape: fluentd's stdout event with injected time and tag, plus the route."""
    return {"time": format_event_time(event.time_ns), "tag": event.tag, "route": event.route, "record": event.record}


class EventEncoder:
    """One JSON line per event, the same text as ``json.dumps(event_to_json(e), ensure_ascii=False)``, faster.

    The record goes through the json module's C encoder built once; tags and the date-time part
    of the time are cached (consecutive events mostly share them).
    """

    def __init__(self) -> None:
        self._record = None
        if c_make_encoder is not None:
            self._record = c_make_encoder(None, json.JSONEncoder().default, encode_basestring, None, ": ", ", ",
                                          False, False, True)
        self._tags: dict[str, str] = {}
        self._second = -1
        self._prefix = ""

    def __call__(self, event: Emitted) -> str:
        if self._record is None:
            return json.dumps(event_to_json(event), ensure_ascii=False)
        tag = self._tags.get(event.tag)
        if tag is None:
            tag = self._tags[event.tag] = encode_basestring(event.tag)
        second, frac = divmod(event.time_ns, 1_000_000_000)
        if second != self._second:
            self._second, self._prefix = second, format_event_time(second * 1_000_000_000)[:-11]
        return (f'{{"time": "{self._prefix}.{frac:09d}Z", "tag": {tag}, "route": "{event.route}", "record": '
                + "".join(self._record(event.record, 0)) + "}")


class LineIndex:
    """Where each fed record came from (``file:line``), compactly, for reports on large inputs."""

    def __init__(self) -> None:
        self._files: list[tuple[int, str]] = []  # (first seq, source)
        self._linenos = array("q")

    def add(self, record: Fed) -> None:
        source = getattr(record, "source", None) or "-"
        if not self._files or self._files[-1][1] != source:
            self._files.append((len(self._linenos), source))
        self._linenos.append(getattr(record, "lineno", None) or len(self._linenos) + 1)

    def __len__(self) -> int:
        return len(self._linenos)

    def __getitem__(self, seq: int) -> str:
        source = next(src for first, src in reversed(self._files) if first <= seq)
        return f"{source}:{self._linenos[seq]}"


def diff_rules(old: ConcatRule, new: ConcatRule, open_streams: Callable[[], Iterable[Iterable[Fed]]], *,
               flush_timeouts: str = "event-time", clusters: int = 5,
               progress: Callable[[int], None] | None = None) -> tuple[GroupingDiff, list[dict[str, Any]]]:
    """Group the same records with both rules (one read) and diff; then show the first clusters.

    ``open_streams`` returns the record streams afresh: it is called once for the diff and, when
    the groupings differ, once more to collect the texts of the clusters shown side by side.
    """
    folds = GroupingFold(), GroupingFold()
    starts = StartFold(old.start_regexp, new.start_regexp, old.key, new.key)
    index = LineIndex()
    groupers = Grouper(old, flush_timeouts), Grouper(new, flush_timeouts)
    for records in open_streams():
        for record in records:
            index.add(record)
            if starts.applies:
                starts.add(record.record, index[len(index) - 1])
            for grouper, fold in zip(groupers, folds):
                for event in grouper.push(record):
                    fold.add(event)
            if progress and len(index) % 10000 == 0:
                progress(len(index))
        for grouper, fold in zip(groupers, folds):
            for event in grouper.end_file():
                fold.add(event)
    for grouper, fold in zip(groupers, folds):
        for event in grouper.finish():
            fold.add(event)
    diff = diff_groupings(folds[0], folds[1], len(index), starts, clusters=clusters)
    if diff.identical or not diff.clusters:
        return diff, []
    wanted = set().union(*diff.clusters)
    events: tuple[list[Emitted], list[Emitted]] = ([], [])
    groupers = Grouper(old, flush_timeouts), Grouper(new, flush_timeouts)
    for records in open_streams():
        for record in records:
            for grouper, kept in zip(groupers, events):
                kept.extend(e for e in grouper.push(record) if wanted.intersection(e.lines))
        for grouper, kept in zip(groupers, events):
            kept.extend(e for e in grouper.end_file() if wanted.intersection(e.lines))
    for grouper, kept in zip(groupers, events):
        kept.extend(e for e in grouper.finish() if wanted.intersection(e.lines))
    return diff, side_by_side(diff.clusters, events[0], events[1], (old.key, new.key), index)


def read_log_records(path: str, *, fmt: str = "auto", tag_pattern: str | None = None,
                     rejects: list[Reject] | None = None) -> Iterator[Fed]:
    """The records in_tail + ``<parse>`` emit for a log file; lines fluentd drops go to ``rejects``."""
    try:
        from efklab.containerlogs import read_records  # the reference reader, when installed
    except ModuleNotFoundError as exc:
        if exc.name != "efklab.containerlogs":
            raise
        from efklab.logsource import read_log_file

        return read_log_file(path, fmt=fmt, tag_pattern=tag_pattern, rejects=rejects)
    return _without_rejects(read_records(path, fmt=fmt, tag=tag_pattern), rejects)


def _without_rejects(items: Iterable[Any], rejects: list[Reject] | None) -> Iterator[Fed]:
    for item in items:
        if isinstance(item, Reject):
            if rejects is not None:
                rejects.append(item)
            continue
        yield item
