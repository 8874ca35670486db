"""Events as JSON lines, the output of ``efklab multiline group``: fluentd's stdout shape plus the route.

``write_events`` streams millions of events: the encoder builds each line from cached pieces and
the json module's C string encoder, and the cyclic garbage collector runs less often meanwhile.
"""
from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]  # C helpers, not in stubs
from operator import attrgetter
from typing import Any, BinaryIO

from efklab.fluentd.concat.events import ROUTE_DROPPED, Emitted
from efklab.fluentd.eventtime import format_event_time


def event_to_json(event: Emitted) -> dict[str, Any]:
    """The output shape: fluentd's stdout event with injected time and tag, plus the route."""
    return {"time": format_event_time(event.time_ns), "tag": event.tag, "route": event.route, "record": event.record}


class EventEncoder:
    """JSON lines for events: the same text as ``json.dumps(event_to_json(e), ensure_ascii=False)``, faster.

    Records of two string fields (docker's ``log`` and ``stream``) are written from cached key
    texts and the json module's C string encoder; other records go through its C encoder, built
    once.  The text before the time's fraction is cached per second, the text between the time
    and the record per tag and route (consecutive events mostly share them).
    """

    def __init__(self) -> None:
        self._record = c_make_encoder(None, json.JSONEncoder().default, encode_basestring, None, ": ", ", ",
                                      False, False, True) if c_make_encoder is not None else None
        self._keys: dict[str, str] = {}  # key -> '"key": '
        self._middles: dict[tuple[str, str], str] = {}  # (tag, route) -> 'Z", "tag": ..., "record": '
        self._second = -1
        self._head = ""  # '{"time": "YYYY-MM-DDTHH:MM:SS.' of that second

    def __call__(self, event: Emitted) -> str:
        """One event's JSON text (no newline)."""
        return self.lines((event,))[:-1]

    def lines(self, events: Iterable[Emitted]) -> str:
        """Each event's JSON text and a newline, skipping dropped events (they are not output)."""
        record_json = self._record
        if record_json is None:
            return "".join(json.dumps(event_to_json(e), ensure_ascii=False) + "\n"
                           for e in events if e.route != ROUTE_DROPPED)
        keys, middles, second, head = self._keys, self._middles, self._second, self._head
        join, string = "".join, encode_basestring
        parts: list[str] = []
        last_tag: str | None = None
        last_route: str | None = None
        middle = ""
        for time_ns, tag, route, record, _, _ in events:
            if route == ROUTE_DROPPED:
                continue
            sec, frac = divmod(time_ns, 1_000_000_000)
            if sec != second:
                second, head = sec, '{"time": "' + format_event_time(sec * 1_000_000_000)[:-10]
            if tag is not last_tag or route is not last_route:
                last_tag, last_route, known = tag, route, middles.get((tag, route))
                if known is None:
                    known = middles[(tag, route)] = f'Z", "tag": {string(tag)}, "route": "{route}", "record": {{'
                middle = known
            try:
                (k1, v1), (k2, v2) = record.items()
                parts += (head, str(frac).zfill(9), middle, keys[k1], string(v1), ", ", keys[k2], string(v2), "}}\n")
            except (ValueError, KeyError, TypeError):  # not two fields, a key not seen yet, a value not a string
                keys.update((k, string(k) + ": ") for k in record if type(k) is str)
                parts += (head, str(frac).zfill(9), middle[:-1], join(record_json(record, 0)), "}\n")
        self._second, self._head = second, head
        return join(parts)


def write_events(chunks: Iterable[list[Emitted]], out: BinaryIO) -> tuple[Counter[str], int]:
    """Write lists of events as JSON lines to a binary stream (dropped ones are only counted);
    the events per route and the records they hold."""
    lines_of = EventEncoder().lines
    counts: Counter[str] = Counter()
    lines = 0
    write = out.write
    with _fewer_collections():
        for events in chunks:
            if events:
                counts.update(map(_ROUTE, events))
                lines += sum(map(len, map(_LINES, events)))
                for i in range(0, len(events), _WRITE_EVENTS):  # blocks of some 40 KiB: small buffers are reused
                    write(lines_of(events[i:i + _WRITE_EVENTS]).encode("utf-8", "surrogateescape"))
    out.flush()
    return counts, lines


_ROUTE, _LINES = attrgetter("route"), attrgetter("lines")


_WRITE_EVENTS = 256


@contextmanager
def _fewer_collections(first_generation: int = 100_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while millions of records and events pass
    through: they are acyclic and freed by reference counting, so frequent collections only
    re-walk the chunks in flight (about 7% of the time with the default threshold of 700)."""
    before = gc.get_threshold()
    gc.set_threshold(max(first_generation, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
