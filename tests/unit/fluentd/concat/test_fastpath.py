"""Regexp mode's specialised loop (efklab.fluentd.concat.fastpath) behaves exactly as the general state machine."""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.fluentd.concat.engine import Concatenator, Emitted
from efklab.fluentd.concat.rule import ConcatRule, build_rule

BASE = 1_619_608_144 * 10**9
END = 1 << 126

texts = st.sampled_from(["start", "start end", "  body", "end", "x", "", "  ✓ é", "start\n  two", None, 7, ["start"]])
tags = st.sampled_from(["var.log.containers.a.log", "var.log.containers.b.log", "fluent.warn"])
gaps = st.sampled_from([0, -1_000_000, 1_000_000, 900_000_000, 3 * 10**9, 70 * 10**9])
rules = st.fixed_dictionaries({
    "key": st.just("log"),
    "multiline_start_regexp": st.sampled_from(["/^start/", "/^s/", None]),
    "multiline_end_regexp": st.sampled_from(["/end$/", "/^end/", None]),
    "continuous_line_regexp": st.sampled_from(["/^\\s/", None]),
    "stream_identity_key": st.sampled_from(["stream", None]),
    "flush_interval": st.sampled_from(["0", "1", "5"]),
    "use_first_timestamp": st.sampled_from(["true", "false"]),
    "timeout_label": st.sampled_from(["@NORMAL", None]),
    "separator": st.sampled_from(["", "\n"]),
}).filter(lambda p: p["multiline_start_regexp"] or p["multiline_end_regexp"]).map(build_rule)


@st.composite
def files(draw: st.DrawFn) -> list[list[list[tuple[str, int, dict[str, Any]]]]]:
    """Files of records, each cut into chunks at random places."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        t = BASE
        records = []
        for _ in range(draw(st.integers(0, 30))):
            t += draw(gaps)
            record: dict[str, Any] = {"log": draw(texts), "stream": draw(st.sampled_from(["stdout", "stderr"]))}
            if draw(st.integers(0, 9)) == 0:
                record = {"other": "no key"}
            records.append((draw(tags), t, record))
        cuts = sorted(draw(st.lists(st.integers(0, len(records)), max_size=3)))
        out.append([records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)])
    return out


def _drive(engine: Concatenator, data: list[list[list[tuple[str, int, dict[str, Any]]]]], timer: bool) -> list[Emitted]:
    events: list[Emitted] = []
    for chunks in data:
        now: int | None = -END if timer else None
        for chunk in chunks:
            now = engine.run_parts(iter(chunk), events, now, timer)
        if timer:
            events += engine.expire(END)
    return events + engine.shutdown()


@settings(max_examples=400, deadline=None)
@given(rule=rules, data=files(), timer=st.booleans())
def test_the_regexp_loop_emits_what_the_general_engine_emits(rule: ConcatRule, data: Any, timer: bool) -> None:
    """Same events (time, tag, route, record with its key order, lines, note) in the same order, chunked or not."""
    fast = _drive(Concatenator(rule), data, timer)
    reference = _drive(Concatenator(rule, specialise=False), data, timer)
    assert [(e, list(e.record)) for e in fast] == [(e, list(e.record)) for e in reference]


@settings(max_examples=200, deadline=None)
@given(rule=rules, data=files(), nows=st.lists(st.one_of(st.none(), st.integers(BASE, BASE + 10**11)), min_size=1))
def test_feeding_one_record_at_a_time_matches_too(rule: ConcatRule, data: Any, nows: list[int | None]) -> None:
    """``feed(record, now)`` of the specialised engine equals the general one's, flushes included."""
    fast, reference = Concatenator(rule), Concatenator(rule, specialise=False)
    records = [r for chunks in data for chunk in chunks for r in chunk]
    for i, (tag, t, record) in enumerate(records):
        item = Emitted(t, tag, "main", record, ())  # anything with tag, time_ns and record
        now = nows[i % len(nows)]
        assert fast.feed(item, now) == reference.feed(item, now)
        if now is not None:
            assert fast.flush(now) == reference.flush(now)
    assert fast.shutdown() == reference.shutdown()
