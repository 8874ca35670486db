"""CloudWatch emulation (efklab.cloudwatch.delivery): fluent-plugin-cloudwatch-logs batching and subscription
payloads."""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.cloudwatch.delivery import (
    EVENT_OVERHEAD_BYTES,
    MAX_BATCH_BYTES,
    Emitted,
    OutputSettings,
    PutBatch,
    PutEvent,
    Subscription,
    deliver_payloads,
    dump_record,
    make_event_id,
    put_batches,
    timestamp_ms,
)

T0 = 1619575744_301123456  # 2021-04-28T02:09:04.301123456Z
GROUP = "/aws/containerinsights/MyClusterName/application/shop/order-api"


def _record(log: str = "(I) 11:09:04[301] hello\n", stream: str = "order-api-x_shop_order-api-abc",
            group: str = GROUP) -> dict:
    return {"log": log, "stream": "stdout", "kubernetes": {"pod_name": "order-api-x", "host": "ip-10-0-1-23"},
            "stream_name": stream, "group_name": group}


def _emitted(n: int, *, step_ns: int = 1000, arrive_ns: int = 0, **kwargs) -> list[Emitted]:  # type: ignore[no-untyped-def]
    return [Emitted(T0 + i * step_ns, T0 + i * step_ns + arrive_ns, _record(**kwargs), (f"containers/a.log:{i + 1}",))
            for i in range(n)]


def test_message_is_the_record_dumped_without_stream_name() -> None:
    """remove_log_stream_name_key true drops stream_name; group_name stays (remove_log_group_name_key false)."""
    (batch,), _ = put_batches(_emitted(1))
    message = json.loads(batch.events[0].message)
    assert list(message) == ["log", "stream", "kubernetes", "group_name"]
    assert (batch.log_group, batch.log_stream) == (GROUP, "order-api-x_shop_order-api-abc")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"log": "a/b\n"}, '{"log":"a/b\\n"}'),
        ({"log": "\tat x"}, '{"log":"\\tat x"}'),
        ({"log": "\x01\x1f"}, '{"log":"\\u0001\\u001F"}'),
        ({"log": "주문 \u2028"}, '{"log":"주문 \u2028"}'),
        ({"n": 1, "f": 1.5, "big": 1e20, "small": 1e-05, "b": True, "z": None, "l": [1, "x"]},
         '{"n":1,"f":1.5,"big":1.0e+20,"small":1.0e-05,"b":true,"z":null,"l":[1,"x"]}'),
    ],
)
def test_dump_record_writes_what_yajl_writes(record: dict, expected: str) -> None:
    """Compact JSON, UTF-8 as is, solidus unescaped, control characters as upper-case \\u00XX, Ruby floats."""
    assert dump_record(record) == expected


@pytest.mark.parametrize(
    ("time_ns", "expected"),
    [
        (T0, 1619575744301),
        (1619575744_301999999, 1619575744302),  # Ruby's to_f rounds up before the floor
        (1619575744_000000000, 1619575744000),
        (1619575744_999999000, 1619575744999),
    ],
)
def test_timestamp_is_floor_of_to_f_times_1000(time_ns: int, expected: int) -> None:
    """(time.to_f * 1000).floor, float rounding included."""
    assert timestamp_ms(time_ns) == expected


def test_events_are_sorted_by_timestamp_per_stream() -> None:
    """Events emitted out of time order go out in timestamp order (stable for equal ms)."""
    emitted = [Emitted(T0 + d, T0 + i, _record(log=f"{i}\n"), ()) for i, d in enumerate((5_000_000, 0, 3_000_000, 100))]
    (batch,), _ = put_batches(emitted)
    assert [json.loads(e.message)["log"] for e in batch.events] == ["1\n", "3\n", "2\n", "0\n"]


def test_one_request_per_stream_per_flush_interval() -> None:
    """Events reaching the buffer within 5 s share a request; later ones go in the next chunk."""
    early = _emitted(3)
    late = [Emitted(T0 + 6 * 10**9, T0 + 6 * 10**9, _record(), ())]
    other = _emitted(2, stream="cart-api-y_shop_cart-api-def")
    batches, _ = put_batches(early + late + other)
    assert [(b.log_stream[:5], len(b.events)) for b in batches] == [("order", 3), ("cart-", 2), ("order", 1)]
    assert batches[0].put_ns == T0 + 5 * 10**9


def test_requests_stay_under_one_mebibyte_counting_26_bytes_per_event() -> None:
    """A request is closed before message bytes + 26 per event would pass 1,048,576."""
    emitted = _emitted(40, log="x" * 100_000)
    batches, rejects = put_batches(emitted)
    assert not rejects and sum(len(b.events) for b in batches) == 40
    assert all(b.byte_size <= MAX_BATCH_BYTES for b in batches)
    assert len(batches) > 1 and (batches[0].byte_size + len(batches[1].events[0].message.encode())
                                 + EVENT_OVERHEAD_BYTES > MAX_BATCH_BYTES)


def test_requests_hold_at_most_10000_events() -> None:
    """max_events_per_batch 10,000."""
    emitted = [Emitted(T0 + i, T0, {"stream_name": "s", "group_name": "g"}, ()) for i in range(10_001)]
    batches, _ = put_batches(emitted)
    assert [len(b.events) for b in batches] == [10_000, 1]


def test_requests_never_span_24_hours() -> None:
    """A request is cut when an event is 24 h or more after the request's first event."""
    day = 86_400 * 10**9
    emitted = [Emitted(T0 + t, T0, _record(), ()) for t in (0, day - 10**6, day)]
    batches, _ = put_batches(emitted)
    assert [len(b.events) for b in batches] == [2, 1]


def test_too_large_event_is_rejected_and_the_others_sent() -> None:
    """An event over the size limit becomes a reject with its source line; its neighbours still go."""
    emitted = _emitted(3)
    emitted[1] = Emitted(emitted[1].time_ns, emitted[1].emitted_ns, _record(log="x" * 300_000), ("containers/a.log:2",))
    batches, rejects = put_batches(emitted, OutputSettings(max_event_bytes=262_144))
    assert [len(b.events) for b in batches] == [2]
    assert len(rejects) == 1 and rejects[0].source == "containers/a.log" and rejects[0].position == "2"
    assert "TooLargeEventError" in rejects[0].reason


def test_record_without_stream_name_is_rejected() -> None:
    """No stream_name: the plugin cannot send it; efklab says so instead of dropping it."""
    record = _record()
    del record["stream_name"]
    batches, rejects = put_batches([Emitted(T0, T0, record, ("containers/a.log:9",))])
    assert batches == [] and rejects[0].stage == "cloudwatch" and rejects[0].position == "9"


def _deliver(batches: list[PutBatch], seed: int = 1, **kwargs):  # type: ignore[no-untyped-def]
    return deliver_payloads(batches, random.Random(seed), Subscription(**kwargs))


def test_payload_has_cloudwatch_schema_and_key_order() -> None:
    """messageType, owner, logGroup, logStream, subscriptionFilters, logEvents[id, timestamp, message]."""
    batches, _ = put_batches(_emitted(2))
    (delivery,), _ = _deliver(batches, owner="210987654321", filter_name="f")
    payload = delivery.payload
    assert list(payload) == ["messageType", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents"]
    assert ((payload["messageType"], payload["owner"], payload["subscriptionFilters"])
            == ("DATA_MESSAGE", "210987654321", ["f"]))
    assert list(payload["logEvents"][0]) == ["id", "timestamp", "message"]
    assert delivery.sources == (("containers/a.log:1",), ("containers/a.log:2",))


def test_event_ids_are_56_digits_with_the_timestamp_in_the_top_bits() -> None:
    """Every id is 56 decimal digits and int(id) >> 144 == timestamp, as in AWS's samples."""
    batches, _ = put_batches(_emitted(50, step_ns=400_000))
    deliveries, _ = _deliver(batches)
    events = [e for d in deliveries for e in d.payload["logEvents"]]
    assert all(len(e["id"]) == 56 and e["id"].isdigit() and int(e["id"]) >> 144 == e["timestamp"] for e in events)


def test_event_ids_increase_per_stream_across_payloads() -> None:
    """Within a stream, ids strictly increase in delivery order (timestamps here never go back)."""
    emitted = [Emitted(T0 + i * 10**9, T0 + i * 10**9, _record(), ()) for i in range(30)]
    deliveries, _ = _deliver(put_batches(emitted)[0])
    ids = [int(e["id"]) for d in deliveries for e in d.payload["logEvents"]]
    assert len(deliveries) > 3 and ids == sorted(ids) and len(set(ids)) == len(ids)


def test_equal_timestamps_still_get_increasing_ids() -> None:
    """Events of the same millisecond get consecutive ids, like the three in AWS's sample."""
    emitted = [Emitted(T0 + i, T0, _record(), ()) for i in range(3)]
    (delivery,), _ = _deliver(put_batches(emitted)[0])
    ids = [int(e["id"]) for e in delivery.payload["logEvents"]]
    assert ids[1] == ids[0] + 1 and ids[2] == ids[1] + 1


def test_the_aws_sample_id_decodes_the_same_way() -> None:
    """make_event_id builds ids with the layout read off AWS's published sample."""
    sample = 31953106606966983378809025079804211143289615424298221568
    ingest = (sample >> 80) & (2**64 - 1)
    assert make_event_id(1432826855000, ingest, sample & (2**80 - 1)) == str(sample)


def test_control_message_comes_first_when_asked() -> None:
    """CloudWatch's reachability check: CONTROL_MESSAGE, owner CloudwatchLogs, no log group."""
    deliveries, _ = _deliver(put_batches(_emitted(1))[0], control_message=True)
    assert deliveries[0].payload["messageType"] == "CONTROL_MESSAGE"
    assert deliveries[0].payload["logGroup"] == "" and len(deliveries) == 2


def test_events_older_than_14_days_are_refused_by_cloudwatch() -> None:
    """PutLogEvents drops events more than 14 days before ingestion; efklab reports them."""
    old = PutEvent(timestamp_ms(T0) - 15 * 86_400_000, "{}", ("containers/a.log:3",))
    fresh = PutEvent(timestamp_ms(T0), "{}", ("containers/a.log:4",))
    deliveries, rejects = _deliver([PutBatch(GROUP, "s", T0, (old, fresh))])
    assert [e["message"] for e in deliveries[0].payload["logEvents"]] == ["{}"]
    assert rejects[0].position == "3" and "14 days" in rejects[0].reason


def test_same_rng_seed_gives_identical_payloads() -> None:
    """Randomness (ids' low bits, delays) comes only from the rng passed in."""
    batches, _ = put_batches(_emitted(20, step_ns=10**9))
    assert [d.payload for d in _deliver(batches, seed=5)[0]] == [d.payload for d in _deliver(batches, seed=5)[0]]
    assert [d.payload for d in _deliver(batches, seed=5)[0]] != [d.payload for d in _deliver(batches, seed=6)[0]]


def test_payloads_of_a_stream_arrive_in_order_by_default() -> None:
    """Delivery delays never let a stream's later payload overtake an earlier one unless asked."""
    emitted = [Emitted(T0 + i * 10**8, T0 + i * 10**8, _record(log="x" * 200_000), ()) for i in range(20)]
    deliveries, _ = _deliver(put_batches(emitted)[0], delay_ms=(0, 5000))
    firsts = [d.payload["logEvents"][0]["timestamp"] for d in deliveries]
    assert firsts == sorted(firsts)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3 * 10**10), st.integers(0, 10**10), st.sampled_from(["a", "b", None]),
                  st.integers(0, 300_000)),
        min_size=1,
        max_size=60,
    )
)
def test_every_event_ends_in_one_payload_event_or_one_reject(items: list[tuple[int, int, str | None, int]]) -> None:
    """Conservation: each emitted event is delivered exactly once or rejected exactly once."""
    emitted = []
    for n, (offset, delay, stream, size) in enumerate(items):
        record = _record(log="y" * size, stream=stream or "")
        emitted.append(Emitted(T0 + offset, T0 + offset + delay, record, (f"f:{n}",)))
    batches, rejects = put_batches(emitted, OutputSettings(max_event_bytes=262_144))
    deliveries, refused = deliver_payloads(batches, random.Random(0))
    delivered = [s for d in deliveries for srcs in d.sources for s in srcs]
    rejected = [f"{r.source}:{r.position}" for r in rejects + refused]
    assert sorted(delivered + rejected) == sorted(f"f:{n}" for n in range(len(items)))


def _yajl_reference(text: str) -> str:
    """yajl_string_encode, character by character: \\r \\n \\\\ \\" \\f \\b \\t short,
    other C0 as upper-case \\u00XX."""
    short = {"\r": "\\r", "\n": "\\n", "\\": "\\\\", '"': '\\"', "\f": "\\f", "\b": "\\b", "\t": "\\t"}
    return '"' + "".join(short.get(c) or (f"\\u00{ord(c):02X}" if ord(c) < 0x20 else c) for c in text) + '"'


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_string_encoding_matches_yajl_for_any_text(text: str) -> None:
    """Whatever the text (control characters, quotes, backslashes, U+2028, non-ASCII): yajl's bytes."""
    assert dump_record({"log": text}) == '{"log":' + _yajl_reference(text) + "}"
