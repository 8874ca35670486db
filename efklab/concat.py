"""fluent-plugin-concat (v2.6.x) as a state machine: records in, emitted events out, no clock.

``Concatenator(rule)`` holds the running state (one buffer per stream identity, the time each
stream was last seen).  ``feed(record, now)`` processes one record as ``filter_stream`` does and
returns what the filter passes on at once; ``flush(now)`` is one tick of the plugin's 1-second
timer at ``now``; ``expire(until)`` emulates the timer from event time (each stream flushed at
the moment it times out); ``shutdown()`` is ``flush_remaining_buffer``.  Times are integer
nanoseconds.  Every fed record ends in exactly one ``Emitted`` (``lines`` names the records by
feed order), except where fluentd itself duplicates or drops it: those cases are marked
(``route="dropped"``; a CRI record without its log tag is both buffered and sent to @ERROR).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

from efklab.concatrule import (
    ConcatRule,
    PartialCriMode,
    PartialMetadataMode,
    PartialMode,
    RegexpMode,
    ruby_to_i,
)

ROUTE_MAIN, ROUTE_TIMEOUT, ROUTE_ERROR, ROUTE_DROPPED = "main", "timeout", "error", "dropped"
_INTERNAL_TAGS = frozenset(f"fluent.{lvl}" for lvl in ("trace", "debug", "info", "warn", "error", "fatal"))


class Fed(Protocol):
    """What the engine reads from an input record (``containerlogs.FluentRecord`` fits)."""

    tag: str
    time_ns: int
    record: dict[str, Any]


class Emitted(NamedTuple):
    """One event leaving the filter: where it goes, its time and record, and which inputs made it."""

    time_ns: int
    tag: str
    route: str  # main | timeout (the timeout_label) | error (the @ERROR route) | dropped (buffer overflow)
    record: dict[str, Any]
    lines: tuple[int, ...]  # feed-order numbers of the records joined into this event
    note: str | None = None  # why it took the timeout/error/dropped route


class RecordError(Exception):
    """A record the plugin fails on (Ruby exception in ``process``): it goes to @ERROR."""


def ruby_to_s(value: Any) -> str:
    """How Ruby's ``Array#join`` renders a value: nil -> "", true -> "true", arrays flattened."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) < 1e16 else str(value)
    if isinstance(value, list):
        return "".join(ruby_to_s(v) for v in value)
    return str(value)


def _join(separator: str, entries: Iterable[tuple[int, str, int, dict[str, Any]]], key: str) -> str:
    texts = [e[3][key] for e in entries]
    try:
        return separator.join(texts)
    except TypeError:
        return separator.join(ruby_to_s(t) for t in texts)


def _text(value: Any) -> str:
    """A record's ``key`` value as a regexp subject; Ruby's ``match?`` raises on non-strings."""
    if type(value) is str:
        return value
    raise RecordError(f"no implicit conversion of {type(value).__name__} into String")


Entry = tuple[int, str, int, dict[str, Any]]  # (seq, tag, time_ns, record)
Flushed = tuple[int, dict[str, Any], tuple[int, ...]]  # (time_ns, record, lines); lines == () marks a drop
_NEVER = 1 << 126


class Concatenator:
    """Running state of one concat filter; see the module docstring for the protocol."""

    def __init__(self, rule: ConcatRule) -> None:
        self.rule = rule
        self._key = rule.key
        self._sep = rule.separator
        self._sid_key = rule.stream_identity_key
        self._first_ts = rule.use_first_timestamp
        self._interval_ns = round(rule.flush_interval * 1e9)
        self._timeout_route = ROUTE_TIMEOUT if rule.timeout_label else ROUTE_ERROR
        self._buffers: dict[str, list[Entry]] = {}
        self._sizes: dict[str, int] = {}
        self._last_seen: dict[str, int] = {}  # the plugin's @timeout_map
        self._seq = 0
        self._next_check = _NEVER  # never later than the earliest real deadline
        self._mode = rule.mode
        self._process = {
            "line": self._process_line,
            "regexp": self._process_regexp,
            "partial": self._process_partial,
            "partial_metadata": self._process_partial_metadata,
            "partial_cri": self._process_partial_cri,
        }[rule.mode.name]
        mode = rule.mode
        self._start = mode.start if isinstance(mode, RegexpMode) else None
        self._end = mode.end if isinstance(mode, RegexpMode) else None
        self._continuous = mode.continuous if isinstance(mode, RegexpMode) else None
        self._indicator = (
            mode.partial_key if isinstance(mode, PartialMode)
            else mode.indicator if isinstance(mode, PartialMetadataMode) else None
        )
        self._sids: dict[str, str] = {}  # tag -> "tag:default" (no stream_identity_key)
        if isinstance(mode, RegexpMode):
            self.feed = self._make_regexp_feed()  # type: ignore[method-assign]

    @property
    def fed(self) -> int:
        """How many records have been fed so far."""
        return self._seq

    def pending(self) -> dict[str, int]:
        """Stream identity -> number of records buffered (non-empty buffers only)."""
        return {sid: len(b) for sid, b in self._buffers.items() if b}

    # --- filter_stream -------------------------------------------------------------------
    def feed(self, item: Fed, now: int | None = None) -> list[Emitted]:
        """Process one record as ``filter_stream``; ``now`` (default: its time) refreshes its stream's timer."""
        seq = self._seq
        self._seq = seq + 1
        tag, time_ns, record = item.tag, item.time_ns, item.record
        if tag in _INTERNAL_TAGS or self._key not in record or (
            self._indicator is not None and self._indicator not in record
        ):
            return [Emitted(time_ns, tag, ROUTE_MAIN, record, (seq,))]
        sid = self._stream_identity(tag, record)
        seen = time_ns if now is None else now
        self._last_seen[sid] = seen
        if seen + self._interval_ns < self._next_check:
            self._next_check = seen + self._interval_ns
        try:
            flushed = self._process(sid, (seq, tag, time_ns, record))
        except RecordError as exc:
            return [Emitted(time_ns, tag, ROUTE_ERROR, record, (seq,), str(exc))]
        out: list[Emitted] = []
        for new_time, new_record, lines in flushed:
            if self._first_ts:
                time_ns = new_time
            if not lines:  # buffer overflow: a record fluentd discards
                out.append(Emitted(new_time, tag, ROUTE_DROPPED, new_record[1], (new_record[0],), "buffer overflow"))
                continue
            if new_record is record:  # a line emitted alone (regexp mode): passed on as it is
                out.append(Emitted(time_ns, tag, ROUTE_MAIN, record, lines))
                continue
            merged = {**record, **new_record}
            self._strip(merged)
            out.append(Emitted(time_ns, tag, ROUTE_MAIN, merged, lines))
        return out

    def _make_regexp_feed(self) -> Any:
        """``feed`` specialised for regexp mode (the hot path): the same behaviour with the common
        steps (append, open a group, flush on the next start line) inlined over local names."""
        key, sep, first_ts, sid_key = self._key, self._sep, self._first_ts, self._sid_key
        start_search, end_search = _raw_search(self._start), _raw_search(self._end)
        has_start, continuous = self._start is not None, self._continuous
        buffers, last_seen, sids, interval = self._buffers, self._last_seen, self._sids, self._interval_ns
        internal, step = _INTERNAL_TAGS, self._regexp_step

        def feed(item: Fed, now: int | None = None) -> list[Emitted]:
            seq = self._seq
            self._seq = seq + 1
            tag, time_ns, record = item.tag, item.time_ns, item.record
            if key not in record or tag in internal:
                return [Emitted(time_ns, tag, ROUTE_MAIN, record, (seq,))]
            if sid_key is None:
                sid = sids.get(tag)
                if sid is None:
                    sid = sids[tag] = tag + ":default"
            else:
                sid = f"{tag}:{ruby_to_s(record.get(sid_key))}"
            seen = time_ns if now is None else now
            last_seen[sid] = seen
            if seen + interval < self._next_check:
                self._next_check = seen + interval
            text = record[key]
            if type(text) is str:
                is_start = has_start and start_search(text) is not None
                is_end = end_search is not None and end_search(text) is not None
            elif text is None:  # Regexp#match?(nil) is false
                is_start = is_end = False
            else:
                return [Emitted(time_ns, tag, ROUTE_ERROR, record, (seq,), f"no implicit conversion of {type(text).__name__} into String")]
            buf = buffers.get(sid)
            entry = (seq, tag, time_ns, record)
            if not is_end:
                if not is_start:
                    if buf:
                        if continuous is None or (text is not None and continuous.search(text)):
                            buf.append(entry)
                            return []
                    elif has_start:
                        return [Emitted(time_ns, tag, ROUTE_MAIN, record, (seq,))]  # before the first start line
                    else:  # end-only mode buffers until an end line
                        buffers[sid] = [entry]
                        return []
                elif not buf:
                    buffers[sid] = [entry]
                    return []
                else:  # the next start line closes the open group
                    del buffers[sid]
                    buffers[sid] = [entry]
                    first = buf[0]
                    try:
                        joined = sep.join([e[3][key] for e in buf])
                    except TypeError:
                        joined = sep.join([ruby_to_s(e[3][key]) for e in buf])
                    return [Emitted(first[2] if first_ts else time_ns, tag, ROUTE_MAIN,
                                    {**record, **first[3], key: joined}, tuple([e[0] for e in buf]))]
            out: list[Emitted] = []
            for new_time, new_record, lines in step(sid, entry, text, is_start, is_end):
                if first_ts:
                    time_ns = new_time
                out.append(Emitted(time_ns, tag, ROUTE_MAIN, record if new_record is record else {**record, **new_record}, lines))
            return out

        return feed

    def _stream_identity(self, tag: str, record: dict[str, Any]) -> str:
        ident = "default" if self._sid_key is None else ruby_to_s(record.get(self._sid_key))
        mode = self._mode
        if isinstance(mode, PartialMetadataMode):
            ident = ("" if self._sid_key is None else ident) + ruby_to_s(record.get(mode.id_field))
        return f"{tag}:{ident}"

    def _strip(self, merged: dict[str, Any]) -> None:
        mode = self._mode
        if isinstance(mode, PartialMode):
            if not mode.keep_partial_key:
                merged.pop(mode.partial_key, None)
        elif isinstance(mode, PartialMetadataMode):
            if not mode.keep_partial_metadata:
                for name in (mode.message_field, mode.id_field, mode.ordinal_field, mode.last_field):
                    merged.pop(name, None)
        elif isinstance(mode, PartialCriMode):
            if not mode.keep_partial_key:
                merged.pop(mode.logtag_key, None)  # type: ignore[arg-type]
            merged.pop(mode.stream_key, None)  # type: ignore[arg-type]

    # --- per-mode processing (each returns the flushed events, before filter_stream's merge) ----
    def _buffer(self, sid: str) -> list[Entry]:
        buf = self._buffers.get(sid)
        if buf is None:
            buf = self._buffers[sid] = []
        return buf

    def _flush_buffer(self, sid: str, new_entry: Entry | None = None) -> Flushed:
        """The plugin's ``flush_buffer``: join the buffer, fields of its first record, its first time."""
        buf = self._buffers.pop(sid, [])
        self._sizes.pop(sid, None)
        if new_entry is not None:
            self._buffers[sid] = [new_entry]
        if not buf:
            raise RecordError("undefined method `merge' for nil:NilClass (flush of an empty buffer)")
        entries: list[Entry] = buf
        if isinstance(self._mode, PartialMetadataMode):
            field = self._mode.ordinal_field
            entries = sorted(buf, key=lambda e: _ordinal(e[3].get(field)))
        _, _, first_time, first = buf[0]
        new_record = {**first, self._key: _join(self._sep, entries, self._key)}
        return first_time, new_record, tuple(e[0] for e in buf)

    def _process_line(self, sid: str, entry: Entry) -> list[Flushed]:
        buf = self._buffer(sid)
        buf.append(entry)
        if len(buf) >= self._mode.n_lines:  # type: ignore[union-attr]
            return [self._flush_buffer(sid)]
        return []

    def _process_regexp(self, sid: str, entry: Entry) -> list[Flushed]:
        text = entry[3][self._key]
        if text is None:  # Regexp#match?(nil) is false
            is_start = is_end = False
        else:
            subject = _text(text)
            is_start = self._start is not None and bool(self._start.search(subject))
            is_end = self._end is not None and bool(self._end.search(subject))
        return self._regexp_step(sid, entry, text, is_start, is_end)

    def _regexp_step(self, sid: str, entry: Entry, text: Any, is_start: bool, is_end: bool) -> list[Flushed]:
        buf = self._buffer(sid)
        if is_start:
            if not buf:
                buf.append(entry)
                return [self._flush_buffer(sid)] if is_end else []
            out = [self._flush_buffer(sid, entry)]
            if is_end:
                out.append(self._flush_buffer(sid))
            return out
        if is_end:
            buf.append(entry)
            return [self._flush_buffer(sid)]
        if not buf:
            if self._start is None:  # end-only mode buffers everything until an end line
                buf.append(entry)
                return []
            return [(entry[2], entry[3], (entry[0],))]  # before the first start line: alone, at once
        if self._continuous is None or (text is not None and self._continuous.search(_text(text))):
            buf.append(entry)
            return []
        flushed = self._flush_buffer(sid)
        # The plugin reuses the flushed event's time for the lone line under use_first_timestamp.
        lone_time = flushed[0] if self._first_ts else entry[2]
        return [flushed, (lone_time, entry[3], (entry[0],))]

    def _process_partial(self, sid: str, entry: Entry) -> list[Flushed]:
        mode: PartialMode = self._mode  # type: ignore[assignment]
        record = entry[3]
        size = _bytesize(record[self._key])
        out: list[Flushed] = []
        if self._sizes.get(sid, 0) + size > mode.buffer_limit_size:
            method = mode.buffer_overflow_method
            if method in ("truncate", "new"):
                out.append(self._flush_partial(sid))
            if method == "truncate":
                return out + [_drop(entry)]
            if method == "drop":
                dropped = [_drop(e) for e in self._buffers.pop(sid, [])]
                self._sizes.pop(sid, None)
                return dropped + [_drop(entry)]
        self._buffer(sid).append(entry)
        self._sizes[sid] = self._sizes.get(sid, 0) + size
        if mode.partial_value != record.get(mode.partial_key):
            out.append(self._flush_partial(sid))
        return out

    def _flush_partial(self, sid: str) -> Flushed:
        time_ns, new_record, lines = self._flush_buffer(sid)
        new_record.pop(self._mode.partial_key, None)  # type: ignore[union-attr]
        return time_ns, new_record, lines

    def _process_partial_metadata(self, sid: str, entry: Entry) -> list[Flushed]:
        self._buffer(sid).append(entry)
        if entry[3].get(self._mode.last_field) == "true":  # type: ignore[union-attr]
            return [self._flush_buffer(sid)]
        return []

    def _process_partial_cri(self, sid: str, entry: Entry) -> list[Flushed]:
        mode: PartialCriMode = self._mode  # type: ignore[assignment]
        self._buffer(sid).append(entry)  # appended before the tag is read: a failing record stays buffered
        logtag = entry[3].get(mode.logtag_key) if mode.logtag_key is not None else None
        if type(logtag) is not str:
            raise RecordError(f"undefined method `split' for {'nil' if logtag is None else type(logtag).__name__}")
        if logtag.split(":")[0] == "F":
            time_ns, new_record, lines = self._flush_buffer(sid)
            new_record.pop(mode.logtag_key, None)  # type: ignore[arg-type]
            return [(time_ns, new_record, lines)]
        return []

    # --- timer and shutdown -------------------------------------------------------------------
    def flush(self, now: int) -> list[Emitted]:
        """One tick of the plugin's timer at ``now``: flush every stream idle for >= flush_interval."""
        if self._interval_ns <= 0:
            return []
        out: list[Emitted] = []
        for sid, seen in list(self._last_seen.items()):
            if self._interval_ns > now - seen:
                continue
            del self._last_seen[sid]  # expired: flushed streams leave the map, empty ones are purged (2.6.2)
            if self._buffers.get(sid):
                out.append(self._timeout_event(sid, now))
        return out

    def next_deadline(self) -> int | None:
        """The earliest moment a buffered stream times out, or None (nothing buffered / timer off)."""
        if self._interval_ns <= 0:
            return None
        deadlines = [self._last_seen[sid] for sid, buf in self._buffers.items() if buf and sid in self._last_seen]
        return min(deadlines) + self._interval_ns if deadlines else None

    def expire(self, until: int) -> list[Emitted]:
        """Emulate the timer from event time: fire at each deadline <= ``until``, in deadline order."""
        if until < self._next_check:
            return []
        out: list[Emitted] = []
        deadline = self.next_deadline()
        while deadline is not None and deadline <= until:
            out.extend(self.flush(deadline))
            deadline = self.next_deadline()
        self._next_check = _NEVER if deadline is None else deadline
        return out

    def _timeout_event(self, sid: str, now: int) -> Emitted:
        first_time, new_record, lines = self._flush_buffer(sid)
        tag = sid.split(":")[0]
        return Emitted(first_time if self._first_ts else now, tag, self._timeout_route, new_record, lines, f"Timeout flush: {sid}")

    def shutdown(self) -> list[Emitted]:
        """``flush_remaining_buffer``: each buffer joined in arrival order, first record's tag and time."""
        out: list[Emitted] = []
        for sid, buf in list(self._buffers.items()):
            if not buf:
                continue
            _, tag, first_time, first = buf[0]
            record = {**first, self._key: _join(self._sep, buf, self._key)}
            out.append(Emitted(first_time, tag, self._timeout_route, record, tuple(e[0] for e in buf), f"Flush remaining buffer: {sid}"))
        self._buffers.clear()
        self._sizes.clear()
        return out


def _raw_search(matcher: Any) -> Any:
    """The fastest search callable of a matcher: a compiled pattern's own ``search`` when it has one."""
    if matcher is None:
        return None
    compiled = getattr(matcher, "compiled", None)
    return compiled.search if compiled is not None and hasattr(compiled, "search") else (lambda t: matcher.search(t) or None)


def _ordinal(value: Any) -> int:
    """Ruby ``to_i`` of a partial ordinal (strings parsed leniently, nil -> 0)."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return ruby_to_i(str(value))


def _bytesize(value: Any) -> int:
    if type(value) is str:
        return len(value.encode("utf-8"))
    raise RecordError(f"undefined method `bytesize' for {type(value).__name__}")


def _drop(entry: Entry) -> Flushed:
    """A record discarded by the overflow method, carried to the caller as a dropped event."""
    return entry[2], (entry[0], entry[3]), ()  # type: ignore[return-value]
