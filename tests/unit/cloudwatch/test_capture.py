"""The pure part of capture (efklab.cloudwatch.capture): pages -> payloads, limits, checkpoints, times, redaction."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.cloudwatch.capture import (
    CaptureLimits,
    CaptureQuery,
    PageResult,
    PayloadAssembler,
    PayloadHeader,
    advance_checkpoint,
    capture_pages,
    check_checkpoint,
    event_size,
    extracts_fields,
    new_checkpoint,
    owner_from_arn,
    parse_duration,
    parse_time,
    redact_function_configuration,
)
from efklab.errors import InputError, UsageError

HEADER = PayloadHeader("123456789012", "/aws/containerinsights/c/application/shop/api", ("to-opensearch",))
NOW = 1_714_989_600_000  # 2024-05-06T10:00:00Z


def ev(stream: str, n: int, *, ts: int | None = None, put: int = 0, ingestion: int | None = None,
       message: str | None = None) -> dict[str, Any]:
    """A filter_log_events event; ``put`` numbers the PutLogEvents call (ingested a minute after NOW, one ms apart)."""
    return {
        "logStreamName": stream,
        "eventId": f"{n:056d}",
        "timestamp": NOW + n if ts is None else ts,
        "message": f"line {n}" if message is None else message,
        "ingestionTime": NOW + 60_000 + put if ingestion is None else ingestion,
    }


def _assemble(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assembler = PayloadAssembler(HEADER)
    closed, _ = assembler.feed(events)
    return closed + assembler.flush()


@pytest.mark.parametrize(("text", "ms"), [("90s", 90_000), ("5m", 300_000), ("2h", 7_200_000)])
def test_parse_duration(text: str, ms: int) -> None:
    """Durations are a number and a unit."""
    assert parse_duration(text, option="--settle") == ms


@pytest.mark.parametrize("text", ["-5m", "soon", "5"])
def test_parse_duration_refuses_the_rest(text: str) -> None:
    """Negative or unitless durations are a UsageError naming the option."""
    with pytest.raises(UsageError, match="--settle"):
        parse_duration(text, option="--settle")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-06T10:00:00Z", NOW),
        ("2024-05-06T19:00:00+09:00", NOW),
        ("2024-05-06T10:00:00", NOW),  # no zone = UTC
        ("2024-05-06", NOW - 10 * 3_600_000),
        ("1714989600", NOW),  # epoch seconds
        ("1714989600000", NOW),  # epoch ms
        ("now", NOW),
        ("30m", NOW - 1_800_000),
        ("2h", NOW - 7_200_000),
        ("-2h", NOW - 7_200_000),
        ("3d", NOW - 3 * 86_400_000),
        ("1w", NOW - 604_800_000),
    ],
)
def test_parse_time_reads_iso_epoch_and_ages(text: str, expected: int) -> None:
    """Times are ISO 8601 (naive = UTC), epoch seconds or ms, 'now', or an age before now."""
    assert parse_time(text, now_ms=NOW) == expected


def test_parse_time_names_the_option_on_garbage() -> None:
    """An unreadable time is a one-line UsageError naming the option."""
    with pytest.raises(UsageError) as info:
        parse_time("yesterday-ish", now_ms=NOW, option="--end")
    assert str(info.value).startswith("--end: cannot read the time 'yesterday-ish'")


def test_owner_is_the_account_of_the_log_group_arn() -> None:
    """The payload's owner is the account id in the log group's ARN."""
    assert owner_from_arn("arn:aws:logs:ap-northeast-2:210987654321:log-group:/aws/x:*") == "210987654321"
    with pytest.raises(InputError):
        owner_from_arn("arn:aws:s3:::bucket")


def test_payload_has_cloudwatch_fields_in_cloudwatch_order() -> None:
    """A payload is messageType, owner, logGroup, logStream, subscriptionFilters, logEvents[id, timestamp, message]."""
    assembler = PayloadAssembler(HEADER)
    assembler.feed([ev("s1", 1)])
    (payload,) = assembler.flush()
    assert list(payload) == ["messageType", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents"]
    assert payload["messageType"] == "DATA_MESSAGE"
    assert payload["subscriptionFilters"] == ["to-opensearch"]
    assert payload["logEvents"] == [{"id": f"{1:056d}", "timestamp": NOW + 1, "message": "line 1"}]


def test_one_payload_per_put_batch_of_one_stream() -> None:
    """Events of one stream with one ingestion time form one payload; a new ingestion time starts the next."""
    assembler = PayloadAssembler(HEADER)
    closed, _ = assembler.feed([ev("a", 1), ev("b", 2), ev("a", 3), ev("a", 4, put=1), ev("b", 5)])
    rest = assembler.flush()
    streams = [(p["logStream"], [e["id"][-1] for e in p["logEvents"]]) for p in closed + rest]
    assert streams == [("a", ["1", "3"]), ("b", ["2", "5"]), ("a", ["4"])]


def test_puts_of_one_stream_that_overlap_in_time_stay_apart() -> None:
    """Late events interleave two puts of a stream in the time-ordered listing; each put is still one payload."""
    streams = [[e["id"][-1] for e in p["logEvents"]]
               for p in _assemble([ev("a", 1), ev("a", 2, put=1), ev("a", 3), ev("a", 4, put=1)])]
    assert streams == [["1", "3"], ["2", "4"]]


def test_a_batch_closes_once_the_listing_has_settled_past_its_ingestion() -> None:
    """With settle = 2 h (PutLogEvents' bound on future events) the payload is emitted once the listing passes
    ingestion + 2 h."""
    assembler = PayloadAssembler(HEADER, CaptureLimits(settle_ms=2 * 3_600_000))
    closed, _ = assembler.feed([ev("a", 1), ev("b", 2, ts=NOW + 60_000 + 2 * 3_600_000, put=7_200_000)])
    assert closed == []
    closed, _ = assembler.feed([ev("b", 3, ts=NOW + 60_001 + 2 * 3_600_000, put=7_200_001)])
    assert [p["logStream"] for p in closed] == ["a"]


def test_the_default_settle_is_five_minutes() -> None:
    """By default a put is emitted once the listing is 5 min past its ingestion, keeping memory small."""
    assembler = PayloadAssembler(HEADER)
    closed, _ = assembler.feed([ev("a", 1), ev("b", 2, ts=NOW + 60_000 + 300_000, put=300_000)])
    assert closed == []
    closed, _ = assembler.feed([ev("b", 3, ts=NOW + 60_001 + 300_000, put=300_000)])
    assert [p["logStream"] for p in closed] == ["a"]


def test_event_count_limit_cuts_at_10000() -> None:
    """No payload holds more than PutLogEvents' 10,000 events."""
    assembler = PayloadAssembler(HEADER)
    closed, _ = assembler.feed([ev("s", i, ts=NOW, message="x") for i in range(10_001)])
    rest = assembler.flush()
    assert [len(p["logEvents"]) for p in closed + rest] == [10_000, 1]


def test_byte_limit_counts_utf8_plus_26_and_admits_an_exact_fit() -> None:
    """A batch may total exactly 1,048,576 bytes (UTF-8 + 26 per event); one byte more cuts it."""
    limit = CaptureLimits().max_bytes
    first = "é" * ((limit - 2 * 26 - 10) // 2)  # two bytes per character
    exact = "x" * (limit - event_size(first) - 26)
    assert len(_assemble([ev("s", 1, message=first), ev("s", 2, message=exact)])) == 1
    assert len(_assemble([ev("s", 1, message=first), ev("s", 2, message=exact + "x")])) == 2


def test_a_batch_spans_at_most_24_hours() -> None:
    """Events more than 24 h apart never share a payload."""
    day = 24 * 3_600_000
    late = NOW + day + 5  # all three are in one put, ingested after the last
    payloads = _assemble([ev("s", i, ts=t, ingestion=late) for i, t in ((1, NOW), (2, NOW + day), (3, NOW + day + 1))])
    assert [len(p["logEvents"]) for p in payloads] == [2, 1]


def test_malformed_events_are_rejects_with_their_position() -> None:
    """An event without an id is a Reject naming page and index; the others still make payloads."""
    bad = ev("s", 2)
    del bad["eventId"]
    assembler = PayloadAssembler(HEADER)
    _, rejects = assembler.feed([ev("s", 1), bad], source="/g", page=3)
    assert [(r.position, r.reason) for r in rejects] == [
        ("page[3].events[1]", "page[3].events[1].eventId: missing or not a str")]
    assert len(assembler.flush()[0]["logEvents"]) == 1


def test_feeding_does_not_mutate_the_events() -> None:
    """Inputs are never mutated."""
    events = [ev("s", 1), ev("t", 2)]
    before = copy.deepcopy(events)
    assembler = PayloadAssembler(HEADER)
    assembler.feed(events)
    assembler.flush()
    assert events == before


def test_capture_pages_ends_with_a_done_result_holding_the_open_batches() -> None:
    """Each page yields one result; the final result flushes what is still open."""
    results = list(capture_pages([([ev("s", 1)], "t1"), ([ev("s", 2)], None)], PayloadAssembler(HEADER)))
    assert [(r.done, r.next_token, len(r.payloads), r.events) for r in results] == [
        (False, "t1", 0, 1),
        (False, None, 0, 1),
        (True, None, 1, 0),
    ]


SMALL = CaptureLimits(max_events=3, max_bytes=120, max_span_ms=40, settle_ms=2 * 3_600_000)
events_strategy = st.lists(
    st.tuples(
        st.sampled_from("abc"),
        st.sampled_from([0, 1, 2, 7_300_000]),  # puts: three near NOW, one ingested hours later
        st.one_of(st.integers(0, 60), st.integers(7_250_000, 7_300_000)),  # some events past the 2 h horizon
        st.text(max_size=12),
    ),
    max_size=40,
)


def _pages(raw: list[tuple[str, int, int, str]], page_size: int) -> list[tuple[list[dict[str, Any]], str | None]]:
    events = [ev(s, i, ts=NOW + t, put=put, message=m) for i, (s, put, t, m) in enumerate(raw)]
    chunks = [events[i : i + page_size] for i in range(0, len(events), page_size)] or [[]]
    return [(c, None if i == len(chunks) - 1 else f"tok{i}") for i, c in enumerate(chunks)]


@given(events_strategy, st.integers(1, 7))
@settings(max_examples=200, deadline=None)
def test_every_event_lands_once_in_stream_order_within_limits(raw: list[tuple[str, int, int, str]],
                                                              page_size: int) -> None:
    """Conservation: every event lands once; per put the payloads hold its events in listing order; limits hold."""
    pages = _pages(raw, page_size)
    payloads = [p for r in capture_pages(pages, PayloadAssembler(HEADER, SMALL)) for p in r.payloads]
    sent = {e["eventId"]: e for page, _ in pages for e in page}
    got = [e["id"] for p in payloads for e in p["logEvents"]]
    assert sorted(got) == sorted(sent)
    for put in {(e["logStreamName"], e["ingestionTime"]) for e in sent.values()}:
        ids = [i for i, e in sent.items() if (e["logStreamName"], e["ingestionTime"]) == put]
        assert [i for i in got if i in ids] == ids
    for p in payloads:
        assert len({(sent[e["id"]]["logStreamName"], sent[e["id"]]["ingestionTime"]) for e in p["logEvents"]}) == 1
    for p in payloads:
        stamps = [e["timestamp"] for e in p["logEvents"]]
        assert 1 <= len(p["logEvents"]) <= SMALL.max_events
        assert max(stamps) - min(stamps) <= SMALL.max_span_ms
        assert len(p["logEvents"]) == 1 or sum(event_size(e["message"]) for e in p["logEvents"]) <= SMALL.max_bytes


@given(events_strategy, st.integers(1, 5), st.data())
@settings(max_examples=200, deadline=None)
def test_resuming_from_any_page_gives_the_same_payloads(raw: list[tuple[str, int, int, str]], page_size: int,
                                                        data: st.DataObject) -> None:
    """Stopping after any page and resuming from the JSON checkpoint yields exactly the uninterrupted payloads."""
    pages = _pages(raw, page_size)
    whole = [p for r in capture_pages(pages, PayloadAssembler(HEADER, SMALL)) for p in r.payloads]

    stop = data.draw(st.integers(0, len(pages) - 1))
    first: list[dict[str, Any]] = []
    results = capture_pages(pages, PayloadAssembler(HEADER, SMALL))
    last: PageResult | None = None
    for _ in range(stop + 1):
        last = next(results)
        first.extend(last.payloads)
    assert last is not None
    pending = json.loads(json.dumps(last.pending))  # through JSON, as the checkpoint file stores it
    resumed = PayloadAssembler(HEADER, SMALL)
    resumed.restore(pending)
    rest = [p for r in capture_pages(pages[stop + 1 :], resumed, first_page=stop + 1) for p in r.payloads]
    assert first + rest == whole


def test_redaction_replaces_environment_values_and_drops_api_metadata() -> None:
    """Environment values become <redacted> except the allowed names; the input is untouched."""
    config = {
        "FunctionName": "f",
        "Environment": {"Variables": {"EFKLAB_MODE": "seed", "ES_PASSWORD": "hunter2"}},
        "ResponseMetadata": {"RequestId": "r"},
    }
    before = copy.deepcopy(config)
    redacted = redact_function_configuration(config, keep=["EFKLAB_MODE"])
    assert redacted == {"FunctionName": "f",
                        "Environment": {"Variables": {"EFKLAB_MODE": "seed", "ES_PASSWORD": "<redacted>"}}}
    assert config == before
    assert "hunter2" not in json.dumps(redacted)


@pytest.mark.parametrize(("pattern", "extracts"), [("[ip, user, ...]", True), ("  [a]", True), ("ERROR", False),
                                                   ('{ $.level = "error" }', False), ("", False)])
def test_space_delimited_patterns_are_flagged_as_extracting_fields(pattern: str, extracts: bool) -> None:
    """Only space-delimited patterns make CloudWatch add extractedFields."""
    assert extracts_fields(pattern) is extracts


QUERY = CaptureQuery(("/g",), None, 1, 2, None, None, False, 300_000)


def test_checkpoint_advances_per_group_and_records_output_length() -> None:
    """After a page the checkpoint holds the token, the open batches, counts and the output length."""
    cp = new_checkpoint(QUERY, ["/g"])
    pending = {"cursor": NOW, "batches": [{"stream": "s", "ingestion": 1, "events": []}]}
    result = PageResult((), (), 5, "tok", pending, False)
    after = advance_checkpoint(cp, "/g", result, 1234)
    assert after["out_bytes"] == 1234
    assert after["groups"]["/g"] == {"done": False, "next_token": "tok", "page": 1, "pending": pending, "payloads": 0,
                                     "events": 5}
    assert cp["groups"]["/g"]["page"] == 0  # not mutated


def test_checkpoint_of_another_query_is_refused() -> None:
    """Resuming with different options is a UsageError naming what differs."""
    cp = json.loads(json.dumps(new_checkpoint(QUERY, ["/g"])))
    other = CaptureQuery(("/g",), None, 1, 3, None, None, False, 300_000)
    with pytest.raises(UsageError, match="end_ms differ"):
        check_checkpoint(cp, other, source="x.checkpoint.json")
    with pytest.raises(InputError):
        check_checkpoint({"format": 99}, QUERY, source="x.checkpoint.json")
    assert check_checkpoint(cp, QUERY, source="x") == cp
