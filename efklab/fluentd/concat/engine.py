"""fluent-plugin-concat (v2.6.x) as a state machine: records in, emitted events out, no clock.

``Concatenator(rule)`` owns the running state, an ``EngineState`` (one buffer per stream
identity, the time each stream was last seen; :mod:`efklab.fluentd.concat.state`).
``feed(record, now)`` processes one record as ``filter_stream`` does and returns what the
filter passes on at once; ``run(records, out, now, timer)`` feeds many, firing
the emulated timer between them; ``flush(now)`` is one tick of the plugin's 1-second timer at
``now``; ``expire(until)`` emulates the timer from event time (each stream flushed at the moment
it times out); ``shutdown()`` is ``flush_remaining_buffer``.  Times are integer nanoseconds.
Every fed record ends in exactly one ``Emitted`` (``lines`` names the records by feed order),
except where fluentd itself duplicates or drops it: those cases are marked
(``route="dropped"``; a CRI record without its log tag is both buffered and sent to @ERROR).
The records and events are described in :mod:`efklab.fluentd.concat.events`; regexp mode's hot loop is
:mod:`efklab.fluentd.concat.fastpath`, which works on the same ``EngineState``.
"""
from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from efklab.fluentd.concat.events import (
    INTERNAL_TAGS,
    ROUTE_DROPPED,
    ROUTE_ERROR,
    ROUTE_MAIN,
    ROUTE_TIMEOUT,
    Emitted,
    Entry,
    Fed,
    Flushed,
    RecordError,
    join_texts,
    ruby_bytesize,
    ruby_to_s,
)
from efklab.fluentd.concat.fastpath import make_regexp_run
from efklab.fluentd.concat.rule import (
    ConcatRule,
    PartialCriMode,
    PartialMetadataMode,
    PartialMode,
    RegexpMode,
    ruby_to_i,
)
from efklab.fluentd.concat.state import NEVER, EngineState

__all__ = ["ROUTE_DROPPED", "ROUTE_ERROR", "ROUTE_MAIN", "ROUTE_TIMEOUT", "Concatenator", "Emitted", "Fed",
           "RecordError", "ruby_to_s"]

_PARTS = attrgetter("tag", "time_ns", "record")


def _text(value: Any) -> str:
    """A record's ``key`` value as a regexp subject; Ruby's ``match?`` raises on non-strings."""
    if type(value) is str:
        return value
    raise RecordError(f"no implicit conversion of {type(value).__name__} into String")


class Concatenator:
    """Running state of one concat filter; see the module docstring for the protocol."""

    def __init__(self, rule: ConcatRule, *, specialise: bool = True) -> None:
        """``specialise=False`` keeps regexp mode on the general state machine: the reference
        that :mod:`efklab.fluentd.concat.fastpath`'s loop is tested against."""
        self.rule = rule
        self._state = EngineState(rule)
        self._timeout_route = ROUTE_TIMEOUT if rule.timeout_label else ROUTE_ERROR
        self._mode = rule.mode
        self._process = {
            "line": self._process_line,
            "regexp": self._process_regexp,
            "partial": self._process_partial,
            "partial_metadata": self._process_partial_metadata,
            "partial_cri": self._process_partial_cri,
        }[rule.mode.name]
        mode = rule.mode
        self._indicator = (
            mode.partial_key if isinstance(mode, PartialMode)
            else mode.indicator if isinstance(mode, PartialMetadataMode) else None
        )
        if specialise and isinstance(mode, RegexpMode):
            self.run_parts = make_regexp_run(self._state, self._regexp_step, self.expire)  # type: ignore[method-assign, assignment]
            self.feed = self._feed_by_run  # type: ignore[method-assign]

    @property
    def fed(self) -> int:
        """How many records have been fed so far."""
        return self._state.seq

    def pending(self) -> dict[str, int]:
        """Stream identity -> number of records buffered (non-empty buffers only)."""
        return {sid: len(b) for sid, b in self._state.buffers.items() if b}

    # --- filter_stream -------------------------------------------------------------------
    def run(self, items: Iterable[Fed], out: list[Emitted], now: int | None, timer: bool) -> int | None:
        """Feed records in order, appending what the filter emits to ``out``; the new ``now``.

        With ``timer`` the flush timer is emulated from event time: ``now`` (an int) follows the
        latest record time, and streams due by then time out before the record that moved it.
        Without, each record refreshes its stream with ``now``, or with its own time when None.
        """
        return self.run_parts(map(_PARTS, items), out, now, timer)

    def run_parts(self, parts: Iterable[tuple[str, int, dict[str, Any]]], out: list[Emitted], now: int | None,
                  timer: bool) -> int | None:
        """``run`` over ``(tag, time_ns, record)`` triples (columns zipped, no record objects)."""
        state = self._state
        for tag, t, record in parts:
            if timer and t > now:  # type: ignore[operator]
                now = t
                if t >= state.next_check:
                    out.extend(self.expire(t))
            out.extend(self._feed(tag, t, record, now))
        return now

    def _feed_by_run(self, item: Fed, now: int | None = None) -> list[Emitted]:
        out: list[Emitted] = []
        self.run_parts(((item.tag, item.time_ns, item.record),), out, now, False)
        return out

    def feed(self, item: Fed, now: int | None = None) -> list[Emitted]:
        """Process one record as ``filter_stream``; ``now`` (default: its time) refreshes its stream's timer."""
        return self._feed(item.tag, item.time_ns, item.record, now)

    def _feed(self, tag: str, time_ns: int, record: dict[str, Any], now: int | None) -> list[Emitted]:
        state = self._state
        seq = state.seq
        state.seq = seq + 1
        if tag in INTERNAL_TAGS or state.key not in record or (
            self._indicator is not None and self._indicator not in record
        ):
            return [Emitted(time_ns, tag, ROUTE_MAIN, record, (seq,))]
        sid = self._stream_identity(tag, record)
        seen = time_ns if now is None else now
        state.last_seen[sid] = seen
        if seen + state.interval_ns < state.next_check:
            state.next_check = seen + state.interval_ns
        error: Emitted | None = None
        try:
            flushed = self._process(sid, (seq, tag, time_ns, record))
        except RecordError as exc:
            flushed, error = list(exc.discarded), Emitted(time_ns, tag, ROUTE_ERROR, record, (seq,), str(exc))
        out: list[Emitted] = []
        for new_time, new_record, lines in flushed:
            if state.use_first_timestamp:
                time_ns = new_time
            if not lines:  # buffer overflow: a record fluentd discards, as _drop's (seq, record) pair
                dropped_seq, dropped = new_record[0], new_record[1]  # type: ignore[index]
                out.append(Emitted(new_time, tag, ROUTE_DROPPED, dropped, (dropped_seq,), "buffer overflow"))
                continue
            if new_record is record:  # a line emitted alone (regexp mode): passed on as it is
                out.append(Emitted(time_ns, tag, ROUTE_MAIN, record, lines))
                continue
            merged = {**record, **new_record}
            self._strip(merged)
            out.append(Emitted(time_ns, tag, ROUTE_MAIN, merged, lines))
        if error is not None:
            out.append(error)
        return out

    def _stream_identity(self, tag: str, record: dict[str, Any]) -> str:
        sid_key = self._state.stream_identity_key
        ident = "default" if sid_key is None else ruby_to_s(record.get(sid_key))
        mode = self._mode
        if isinstance(mode, PartialMetadataMode):
            ident = ("" if sid_key is None else ident) + ruby_to_s(record.get(mode.id_field))
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
        buffers = self._state.buffers
        buf = buffers.get(sid)
        if buf is None:
            buf = buffers[sid] = []
        return buf

    def _flush_buffer(self, sid: str, new_entry: Entry | None = None) -> Flushed:
        """The plugin's ``flush_buffer``: join the buffer, fields of its first record, its first time."""
        state = self._state
        buf = state.buffers.pop(sid, [])
        state.sizes.pop(sid, None)
        if new_entry is not None:
            state.buffers[sid] = [new_entry]
        if not buf:
            raise RecordError("undefined method `merge' for nil:NilClass (flush of an empty buffer)")
        entries: list[Entry] = buf
        if isinstance(self._mode, PartialMetadataMode):
            field = self._mode.ordinal_field
            entries = sorted(buf, key=lambda e: _ordinal(e[3].get(field)))
        _, _, first_time, first = buf[0]
        new_record = {**first, state.key: join_texts(state.separator, entries, state.key)}
        return first_time, new_record, tuple(e[0] for e in buf)

    def _process_line(self, sid: str, entry: Entry) -> list[Flushed]:
        buf = self._buffer(sid)
        buf.append(entry)
        if len(buf) >= self._mode.n_lines:  # type: ignore[union-attr]
            return [self._flush_buffer(sid)]
        return []

    def _process_regexp(self, sid: str, entry: Entry) -> list[Flushed]:
        state = self._state
        text = entry[3][state.key]
        if text is None:  # Regexp#match?(nil) is false
            is_start = is_end = False
        else:
            subject = _text(text)
            is_start = state.start is not None and bool(state.start.search(subject))
            is_end = state.end is not None and bool(state.end.search(subject))
        return self._regexp_step(sid, entry, text, is_start, is_end)

    def _regexp_step(self, sid: str, entry: Entry, text: Any, is_start: bool, is_end: bool) -> list[Flushed]:
        # A stream's buffer is created by the first record put in it (a line passed on alone does
        # not create one): the order of buffers is the order of flush_remaining_buffer at shutdown.
        state = self._state
        buf = state.buffers.get(sid)
        if is_start:
            if not buf:
                self._buffer(sid).append(entry)
                return [self._flush_buffer(sid)] if is_end else []
            out = [self._flush_buffer(sid, entry)]
            if is_end:
                out.append(self._flush_buffer(sid))
            return out
        if is_end:
            self._buffer(sid).append(entry)
            return [self._flush_buffer(sid)]
        if not buf:
            if state.start is None:  # end-only mode buffers everything until an end line
                self._buffer(sid).append(entry)
                return []
            return [(entry[2], entry[3], (entry[0],))]  # before the first start line: alone, at once
        if state.continuous is None or (text is not None and state.continuous.search(_text(text))):
            buf.append(entry)
            return []
        flushed = self._flush_buffer(sid)
        # The plugin reuses the flushed event's time for the lone line under use_first_timestamp.
        lone_time = flushed[0] if state.use_first_timestamp else entry[2]
        return [flushed, (lone_time, entry[3], (entry[0],))]

    def _process_partial(self, sid: str, entry: Entry) -> list[Flushed]:
        """``process_partial`` with 2.6's buffer limit: ``record_bytesize`` of every buffered record.

        On overflow: ignore appends anyway; truncate flushes the buffer and discards the record;
        drop empties the buffer and discards the record; new flushes the buffer and starts a new
        one with the record (stamped, under use_first_timestamp, with the flushed group's time).
        A flush of an empty buffer raises in the plugin: the record goes to @ERROR.
        """
        mode: PartialMode = self._mode  # type: ignore[assignment]
        state = self._state
        seq, tag, _, record = entry
        last_piece = mode.partial_value != record.get(mode.partial_key)
        size = ruby_bytesize(record)
        method = "append"
        if state.sizes.get(sid, 0) + size > mode.buffer_limit_size:
            state.sizes[sid] = 0  # the running size restarts at every overflow, whatever the method
            method = mode.buffer_overflow_method
        else:
            state.sizes[sid] = state.sizes.get(sid, 0) + size
        if method in ("append", "ignore"):
            self._buffer(sid).append(entry)
            return [self._flush_partial(sid)] if last_piece else []
        if method == "drop":
            discarded = tuple(_drop(e) for e in state.buffers.get(sid, ()))
            state.buffers[sid] = []
            if last_piece:  # flushing the emptied buffer fails: the record takes @ERROR
                raise RecordError("undefined method `merge' for nil:NilClass (buffer dropped on overflow)",
                                  discarded)
            return [*discarded, _drop(entry)]
        out = [self._flush_partial(sid)]  # truncate and new flush first (raises when the buffer is empty)
        if method == "truncate":
            return [*out, _drop(entry)]
        if state.use_first_timestamp:
            entry = (seq, tag, out[0][0], record)  # `time = new_time` happened before the record is buffered
        self._buffer(sid).append(entry)
        state.sizes[sid] = size
        if last_piece:
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
        state = self._state
        interval = state.interval_ns
        if interval <= 0:
            return []
        out: list[Emitted] = []
        for sid, seen in list(state.last_seen.items()):
            if interval > now - seen:
                continue
            del state.last_seen[sid]  # expired: flushed streams leave the map, empty ones are purged (2.6.2)
            if state.buffers.get(sid):
                out.append(self._timeout_event(sid, now))
        return out

    def next_deadline(self) -> int | None:
        """The earliest moment a buffered stream times out, or None (nothing buffered / timer off)."""
        state = self._state
        if state.interval_ns <= 0:
            return None
        last_seen = state.last_seen
        deadlines = [last_seen[sid] for sid, buf in state.buffers.items() if buf and sid in last_seen]
        return min(deadlines) + state.interval_ns if deadlines else None

    def expire(self, until: int) -> list[Emitted]:
        """Emulate the timer from event time: fire at each deadline <= ``until``, in deadline order."""
        state = self._state
        if until < state.next_check:
            return []
        out: list[Emitted] = []
        deadline = self.next_deadline()
        while deadline is not None and deadline <= until:
            out.extend(self.flush(deadline))
            deadline = self.next_deadline()
        state.next_check = NEVER if deadline is None else deadline
        return out

    def _timeout_event(self, sid: str, now: int) -> Emitted:
        first_time, new_record, lines = self._flush_buffer(sid)
        tag = sid.split(":")[0]
        time_ns = first_time if self._state.use_first_timestamp else now
        return Emitted(time_ns, tag, self._timeout_route, new_record, lines, f"Timeout flush: {sid}")

    def shutdown(self) -> list[Emitted]:
        """``flush_remaining_buffer``: each buffer joined in arrival order, first record's tag and time."""
        state = self._state
        key = state.key
        out: list[Emitted] = []
        for sid, buf in list(state.buffers.items()):
            if not buf:
                continue
            _, tag, first_time, first = buf[0]
            record = {**first, key: join_texts(state.separator, buf, key)}
            lines = tuple(e[0] for e in buf)
            out.append(Emitted(first_time, tag, self._timeout_route, record, lines, f"Flush remaining buffer: {sid}"))
        state.buffers.clear()
        state.sizes.clear()
        return out


def _ordinal(value: Any) -> int:
    """Ruby ``to_i`` of a partial ordinal (strings parsed leniently, nil -> 0)."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return ruby_to_i(str(value))


def _drop(entry: Entry) -> Flushed:
    """A record discarded by the overflow method, carried to the caller as a dropped event."""
    return entry[2], (entry[0], entry[3]), ()  # type: ignore[return-value]
