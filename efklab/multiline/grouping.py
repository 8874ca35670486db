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

Large inputs go through a chunk at a time: ``read_log_chunks`` -> ``group_chunks`` (one engine
loop per chunk of records) -> ``encoding.write_events`` (JSON lines, a string per list of events).
"""
from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice, repeat
from typing import Any

from efklab.errors import RegexpTimeoutError, UsageError
from efklab.fluentd.concat.engine import Concatenator, Emitted, Fed
from efklab.fluentd.concat.rule import ConcatRule
from efklab.fluentd.tail.containerlogs import FluentRecord, LogChunk, read_chunks
from efklab.model import Reject
from efklab.multiline.diff import (
    GroupingDiff,
    GroupingFold,
    StartFold,
    diff_groupings,
    side_by_side,
)
from efklab.ruby.bounded import locate_subject

FLUSH_TIMEOUT_MODES = ("event-time", "off")
_END = 1 << 126


class Grouper:
    """One rule applied to record streams with the chosen flush-timeout emulation."""

    def __init__(self, rule: ConcatRule, flush_timeouts: str = "event-time") -> None:
        if flush_timeouts not in FLUSH_TIMEOUT_MODES:
            raise UsageError(f"--flush-timeouts must be one of {', '.join(FLUSH_TIMEOUT_MODES)}, "
                             f"not {flush_timeouts!r}")
        self.rule = rule
        self.engine = Concatenator(rule)
        self.timer = flush_timeouts == "event-time" and rule.flush_interval > 0
        self._now: int | None = -_END if self.timer else None

    def push_many(self, records: Iterable[Fed]) -> list[Emitted]:
        """The events emitted up to and including these records, in order, timeouts first (one engine loop)."""
        out: list[Emitted] = []
        try:
            self._now = self.engine.run(records, out, self._now, self.timer)
        except RegexpTimeoutError as exc:  # placed at the record's file:line when the records carry it
            raise locate_subject(exc, records if isinstance(records, list) else ()) from None
        return out

    def push_chunk(self, chunk: LogChunk) -> list[Emitted]:
        """``push_many`` for the records of a chunk read from a log file (its rejects are not fed)."""
        out: list[Emitted] = []
        parts = zip(repeat(chunk.tag), chunk.times, chunk.records)
        try:
            self._now = self.engine.run_parts(parts, out, self._now, self.timer)
        except RegexpTimeoutError as exc:
            raise locate_subject(exc, chunk.items()) from None
        return out

    def end_file(self) -> list[Emitted]:
        """A file ended: with the timer emulated, its open buffers time out; the clock restarts."""
        if not self.timer:
            return []
        self._now = -_END
        return self.engine.expire(_END)

    def finish(self) -> list[Emitted]:
        """All input read: what is still buffered is flushed as at shutdown."""
        return self.engine.shutdown()


def group_records(rule: ConcatRule, streams: Iterable[Iterable[Fed]], *,
                  flush_timeouts: str = "event-time") -> Iterator[Emitted]:
    """Every event the filter emits for these record streams, in emission order."""
    return chain.from_iterable(_grouped(rule, streams, flush_timeouts, Grouper.push_many, _batches))


def group_chunks(rule: ConcatRule, streams: Iterable[Iterable[LogChunk]], *,
                 flush_timeouts: str = "event-time") -> Iterator[list[Emitted]]:
    """``group_records`` over log files read as chunks (``read_log_chunks``): a list of events per chunk."""
    return _grouped(rule, streams, flush_timeouts, Grouper.push_chunk, iter)


def _grouped(rule: ConcatRule, streams: Iterable[Any], flush_timeouts: str,
             push: Callable[[Grouper, Any], list[Emitted]],
             batches: Callable[[Any], Iterable[Any]]) -> Iterator[list[Emitted]]:
    grouper = Grouper(rule, flush_timeouts)
    for stream in streams:
        for batch in batches(stream):
            yield push(grouper, batch)
        yield grouper.end_file()
    yield grouper.finish()


def _batches(records: Iterable[Fed], size: int = 4096) -> Iterator[list[Fed]]:
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


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
        for batch in _batches(records):
            for record in batch:
                index.add(record)
                if starts.applies:
                    starts.add(record.record, index[len(index) - 1])
            for grouper, fold in zip(groupers, folds, strict=True):
                for event in grouper.push_many(batch):
                    fold.add(event)
            if progress:
                progress(len(index))
        for grouper, fold in zip(groupers, folds, strict=True):
            for event in grouper.end_file():
                fold.add(event)
    for grouper, fold in zip(groupers, folds, strict=True):
        for event in grouper.finish():
            fold.add(event)
    diff = diff_groupings(folds[0], folds[1], len(index), starts, clusters=clusters)
    if diff.identical or not diff.clusters:
        return diff, []
    wanted = set().union(*diff.clusters)
    events: tuple[list[Emitted], list[Emitted]] = ([], [])
    groupers = Grouper(old, flush_timeouts), Grouper(new, flush_timeouts)
    for records in open_streams():
        for batch in _batches(records):
            for grouper, kept in zip(groupers, events, strict=True):
                kept.extend(e for e in grouper.push_many(batch) if wanted.intersection(e.lines))
        for grouper, kept in zip(groupers, events, strict=True):
            kept.extend(e for e in grouper.end_file() if wanted.intersection(e.lines))
    for grouper, kept in zip(groupers, events, strict=True):
        kept.extend(e for e in grouper.finish() if wanted.intersection(e.lines))
    return diff, side_by_side(diff.clusters, events[0], events[1], (old.key, new.key), index)


def read_log_records(path: str, *, fmt: str = "auto", tag_pattern: str | None = None,
                     rejects: list[Reject] | None = None) -> Iterator[FluentRecord]:
    """The records in_tail + ``<parse>`` emit for a log file; lines fluentd drops go to ``rejects``."""
    chunks = read_log_chunks(path, fmt=fmt, tag_pattern=tag_pattern, rejects=rejects)
    return (item for chunk in chunks for item in chunk.items() if type(item) is FluentRecord)


def read_log_chunks(path: str, *, fmt: str = "auto", tag_pattern: str | None = None,
                    rejects: list[Reject] | None = None) -> Iterator[LogChunk]:
    """The file read as chunks (``containerlogs.read_chunks``); their rejects also go to ``rejects``."""
    chunks = read_chunks(path, fmt=fmt, tag=tag_pattern)
    return chunks if rejects is None else _noting_rejects(chunks, rejects)


def _noting_rejects(chunks: Iterable[LogChunk], rejects: list[Reject]) -> Iterator[LogChunk]:
    for chunk in chunks:
        rejects.extend(chunk.rejects)
        yield chunk
