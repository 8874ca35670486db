"""The regexp mode's hot path: many records through one concat engine in one loop.

``make_regexp_run(state, step, expire)`` gives ``run_parts(parts, out, now, timer) -> now``, the
engine's ``run_parts`` (records as ``(tag, time_ns, record)`` triples) specialised for regexp
mode: the same behaviour as feeding each record in turn (and, with ``timer``, firing the emulated
flush timer before each record whose time moves the clock on), with the common steps (append to
a group, open a group, close it on the next start line, pass a line alone) inlined over local
names and everything else delegated to ``step``, the engine's general regexp step.  The loop
works on the engine's ``EngineState`` and receives the engine's behaviour as plain callables, so
it knows nothing of the engine class.  The equivalence is a property test
(tests/unit/fluentd/concat/test_fastpath.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from efklab.fluentd.concat.events import (
    INTERNAL_TAGS,
    ROUTE_ERROR,
    ROUTE_MAIN,
    Emitted,
    Entry,
    Flushed,
    ruby_join,
    ruby_to_s,
)
from efklab.fluentd.concat.state import EngineState

Parts = Iterable[tuple[str, int, dict[str, Any]]]  # (tag, time_ns, record) per record
Run = Callable[[Parts, list[Emitted], "int | None", bool], "int | None"]
# (stream identity, entry, key value, is_start, is_end) -> the flushed events: the general regexp step
Step = Callable[[str, Entry, Any, bool, bool], list[Flushed]]
# until -> the timeout events of every deadline <= until; advances ``EngineState.next_check``
Expire = Callable[[int], list[Emitted]]


def raw_search(matcher: Any) -> Any:
    """The fastest search callable of a matcher: a compiled pattern's own ``search`` when it has one."""
    if matcher is None:
        return None
    compiled = getattr(matcher, "compiled", None)
    if compiled is not None and hasattr(compiled, "search"):
        return compiled.search
    return lambda t: matcher.search(t) or None


def make_regexp_run(state: EngineState, step: Step, expire: Expire) -> Run:
    """``run_parts`` for a regexp-mode engine's ``state`` (see the module docstring)."""
    key, sep, first_ts, sid_key = state.key, state.separator, state.use_first_timestamp, state.stream_identity_key
    start_search, end_search, cont_search = raw_search(state.start), raw_search(state.end), raw_search(state.continuous)
    has_start = start_search is not None
    buffers, last_seen, sids, interval = state.buffers, state.last_seen, state.sids, state.interval_ns
    internal, new, main, absent = INTERNAL_TAGS, tuple.__new__, ROUTE_MAIN, object()

    def run_parts(parts: Parts, out: list[Emitted], now: int | None, timer: bool) -> int | None:
        add = out.append
        seq, next_check = state.seq, state.next_check
        last_tag: Any = None  # the tag of the records before: its stream identity and internal flag hold
        sid, tag_internal = "", False
        seen: int  # the time that refreshes the record's stream
        lines: tuple[int, ...]
        try:
            for tag, t, record in parts:
                if timer:  # the emulated flush timer: the clock is the latest event time so far
                    if t > now:  # type: ignore[operator]
                        now = t
                        if t >= next_check:
                            state.next_check = next_check
                            pending = expire(t)
                            if pending:
                                out.extend(pending)
                            next_check = state.next_check
                    seen = now  # type: ignore[assignment]  # an int: the timer starts from a time
                else:
                    seen = t if now is None else now
                if tag is not last_tag:
                    last_tag, tag_internal = tag, tag in internal
                    if sid_key is None:
                        sid = sids.get(tag)  # type: ignore[assignment]
                        if sid is None:
                            sid = sids[tag] = tag + ":default"
                text = record.get(key, absent)
                if text is absent or tag_internal:  # passed on untouched, no timer refresh
                    add(new(Emitted, (t, tag, main, record, (seq,), None)))
                    seq += 1
                    continue
                if sid_key is not None:
                    sid = f"{tag}:{ruby_to_s(record.get(sid_key))}"
                last_seen[sid] = seen
                if seen + interval < next_check:
                    next_check = seen + interval
                if type(text) is str:
                    is_start = start_search is not None and start_search(text) is not None
                    is_end = end_search is not None and end_search(text) is not None
                elif text is None:  # Regexp#match?(nil) is false
                    is_start = is_end = False
                else:
                    add(new(Emitted, (t, tag, ROUTE_ERROR, record, (seq,),
                                      f"no implicit conversion of {type(text).__name__} into String")))
                    seq += 1
                    continue
                buf = buffers.get(sid)
                entry = (seq, tag, t, record)
                seq += 1
                if not is_end:
                    if not is_start:
                        if buf:
                            if cont_search is None or (text is not None and cont_search(text) is not None):
                                buf.append(entry)
                                continue
                        elif has_start:  # before the first start line: alone, at once
                            add(new(Emitted, (t, tag, main, record, (entry[0],), None)))
                            continue
                        else:  # end-only mode buffers until an end line
                            buffers[sid] = [entry]
                            continue
                    elif not buf:
                        buffers[sid] = [entry]
                        continue
                    else:  # the next start line closes the open group
                        del buffers[sid]  # (re-inserted last: shutdown flushes in this order)
                        buffers[sid] = [entry]
                        first = buf[0]
                        first_record = first[3]
                        if len(buf) == 1 and type(first_record[key]) is str:
                            joined, lines = first_record[key], (first[0],)
                        else:
                            try:
                                joined = sep.join([e[3][key] for e in buf])
                            except TypeError:
                                joined = ruby_join([e[3][key] for e in buf], sep)
                            lines = tuple([e[0] for e in buf])
                        add(new(Emitted, (first[2] if first_ts else t, tag, main,
                                          {**record, **first_record, key: joined}, lines, None)))
                        continue
                time_ns = t
                for new_time, new_record, lines in step(sid, entry, text, is_start, is_end):
                    if first_ts:
                        time_ns = new_time
                    merged = record if new_record is record else {**record, **new_record}
                    add(new(Emitted, (time_ns, tag, main, merged, lines, None)))
        finally:
            state.seq, state.next_check = seq, next_check
        return now

    return run_parts
