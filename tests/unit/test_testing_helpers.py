"""efklab.testing: the payload builders users write their own pipeline tests with."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.cloudwatch.payloads import decode_payload, encode_payload
from efklab.testing import (
    DEFAULT_TIMESTAMP,
    lambda_event,
    make_control_payload,
    make_event,
    make_event_id,
    make_payload,
    parse_bulk,
    run_transform,
)


@given(st.integers(min_value=1_000_000_000_000, max_value=4_000_000_000_000), st.integers(min_value=0, max_value=2**40))
def test_event_ids_are_56_digits_with_the_timestamp_above_bit_144(timestamp: int, sequence: int) -> None:
    """Shaped like CloudWatch's: 56 decimal digits, ``int(id) >> 144 == timestamp``, increasing with the sequence."""
    event_id = make_event_id(timestamp, sequence)
    assert len(event_id) == 56 and event_id.isdigit()
    assert int(event_id) >> 144 == timestamp
    assert int(make_event_id(timestamp, sequence + 1)) > int(event_id)


def test_make_event_writes_mapping_messages_as_compact_json() -> None:
    """A dict message becomes compact JSON, as fluentd ships a record."""
    event = make_event({"log": "hi\n", "n": 1}, extracted_fields={"a": "1"})
    assert event["message"] == '{"log":"hi\\n","n":1}'
    assert event["timestamp"] == DEFAULT_TIMESTAMP and event["extractedFields"] == {"a": "1"}


def test_make_payload_spaces_plain_events_one_millisecond_apart() -> None:
    """Strings become events at start, start+1 ...; prepared events are kept as they are."""
    prepared = make_event("kept", timestamp=5, id="x")
    payload = make_payload(["a", "b", prepared], start=100)
    assert [(e["timestamp"], e["message"]) for e in payload["logEvents"]] == [(100, "a"), (101, "b"), (5, "kept")]
    assert encode_payload(decode_payload(lambda_event(payload))) == payload


def test_control_payloads_decode_as_control_messages() -> None:
    """make_control_payload is what CloudWatch sends to check a destination."""
    assert decode_payload(make_control_payload()).is_control


def test_run_transform_returns_documents_and_rejects() -> None:
    """One call: decode, transform, and read the bulk body back as (action, document) pairs."""
    pairs, rejects = run_transform(make_payload([{"log": "hello\n"}, "x"]), mode="seed")
    assert rejects == []
    assert pairs[0][1]["log"] == "hello\n" and "_type" in pairs[0][0]["index"]


def test_parse_bulk_keeps_line_separators_inside_strings() -> None:
    """U+2028 inside a document is not a line break; an odd line count is an error."""
    assert parse_bulk('{"index":{}}\n{"a":"x\u2028y"}\n') == [({"index": {}}, {"a": "x\u2028y"})]
    with pytest.raises(ValueError, match="even number of lines"):
        parse_bulk('{"index":{}}\n')
