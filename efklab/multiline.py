"""The multiline recipe: rules from configs or options, records from log files, the engine between.

``group_records`` is the pure driver: it feeds record streams (one per log file) through one
``Concatenator`` and emulates the plugin's flush timer from event time, or switches it off.
Timer emulation (``flush_timeouts="event-time"``): the emulated clock is the largest event time
seen in the current file; before each record, every stream idle for ``flush_interval`` or more is
flushed with the time the timer would have stamped at the earliest: the stream's last record time
+ flush_interval (the real timer ticks every second, so fluentd stamps 0-1 s later, by wall clock).
At the end of each file its remaining buffers time out the same way.  With ``"off"`` (fluentd
reading files from head in one go) no timeout fires and the buffers left at the end are flushed as
at shutdown (first record's time and tag).  Files are processed one after another.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from efklab.concat import Concatenator, Emitted, Fed
from efklab.concatrule import ConcatRule
from efklab.errors import UsageError
from efklab.eventtime import format_event_time

FLUSH_TIMEOUT_MODES = ("event-time", "off")
_END = 1 << 126


def group_records(
    rule: ConcatRule,
    streams: Iterable[Iterable[Fed]],
    *,
    flush_timeouts: str = "event-time",
    concatenator: Concatenator | None = None,
) -> Iterator[Emitted]:
    """Every event the filter emits for these record streams, in emission order."""
    if flush_timeouts not in FLUSH_TIMEOUT_MODES:
        raise UsageError(f"--flush-timeouts must be one of {', '.join(FLUSH_TIMEOUT_MODES)}, not {flush_timeouts!r}")
    engine = concatenator or Concatenator(rule)
    feed, expire = engine.feed, engine.expire
    timer = flush_timeouts == "event-time" and rule.flush_interval > 0
    for records in streams:
        if not timer:
            for record in records:
                yield from feed(record)
            continue
        now = -_END
        for record in records:
            t = record.time_ns
            if t > now:
                now = t
                pending = expire(now)
                if pending:
                    yield from pending
            yield from feed(record, now)
        yield from expire(_END)
    yield from engine.shutdown()


def event_to_json(event: Emitted) -> dict[str, Any]:
    """The output shape: fluentd's stdout event with injected time and tag, plus the route."""
    return {"time": format_event_time(event.time_ns), "tag": event.tag, "route": event.route, "record": event.record}
