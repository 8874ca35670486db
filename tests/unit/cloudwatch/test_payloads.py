"""Payloads: every form they arrive in, every way they can be broken, and the way back."""
from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.adapters.payloadfiles import iter_payload_records
from efklab.cloudwatch.payloads import LogEvent, Payload, decode_payload, encode_payload, to_lambda_event
from efklab.errors import InputError, PayloadError
from efklab.model import Reject
from efklab.testing import make_control_payload, make_event, make_payload


def _event_for(text: bytes) -> dict[str, Any]:
    return {"awslogs": {"data": base64.b64encode(gzip.compress(text, mtime=0)).decode()}}


PAYLOAD = make_payload([{"log": "hello\n"}, "plain"])
PAYLOAD_TEXT = json.dumps(PAYLOAD)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(PAYLOAD, id="decoded mapping"),
        pytest.param(PAYLOAD_TEXT, id="decoded JSON text"),
        pytest.param(PAYLOAD_TEXT.encode(), id="decoded JSON bytes"),
        pytest.param(to_lambda_event(PAYLOAD), id="Lambda event mapping"),
        pytest.param(json.dumps(to_lambda_event(PAYLOAD)), id="Lambda event text"),
        pytest.param(to_lambda_event(PAYLOAD)["awslogs"]["data"], id="bare base64"),
        pytest.param(gzip.compress(PAYLOAD_TEXT.encode()), id="gzip bytes"),
    ],
)
def test_every_form_decodes_to_the_same_payload(form: Any) -> None:
    """Lambda event, decoded JSON, base64, gzip: one Payload."""
    payload = decode_payload(form)
    assert encode_payload(payload) == PAYLOAD
    assert payload.log_events[0] == LogEvent(PAYLOAD["logEvents"][0]["id"], PAYLOAD["logEvents"][0]["timestamp"],
                                             '{"log":"hello\\n"}', None, 0)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param({"awslogs": {"data": "H4sI!!!!"}}, "awslogs.data is not base64 (character '!' at offset 4)",
                     id="bad base64"),
        pytest.param({"awslogs": {"data": base64.b64encode(b"{}").decode()}},
                     "awslogs.data is not gzip data (starts with bytes 7b7d, expected 1f8b)", id="not gzip"),
        pytest.param({"awslogs": {"data": base64.b64encode(gzip.compress(PAYLOAD_TEXT.encode())[:-12]).decode()}},
                     "awslogs.data is truncated gzip data", id="truncated gzip"),
        pytest.param(_event_for(b'{"messageType": '), "payload is not valid JSON (Expecting value at line 1 column 17)",
                     id="invalid JSON inside"),
        pytest.param(_event_for(b'{"a":NaN}'), "payload is not valid JSON (Unexpected token 'N' (NaN is not JSON))",
                     id="NaN inside"),
        pytest.param(_event_for(b"\xef\xbb\xbf" + PAYLOAD_TEXT.encode()), "payload is not valid JSON", id="UTF-8 BOM"),
        pytest.param(_event_for(b"[1]"), "payload must be a JSON object, got array", id="array payload"),
        pytest.param('{"awslogs": 1}', "awslogs.data must be a base64 string", id="awslogs not an object"),
        pytest.param("{not json", "record is not valid JSON", id="invalid JSON record"),
        pytest.param(b"\x00\x01\x02\xff\xfebinary", "binary data, not a JSON record or base64 gzip payload",
                     id="binary garbage"),
        pytest.param("hello", "not a JSON object, Lambda event or base64 gzip payload (starts with 'hello')",
                     id="text"),
        pytest.param("", "empty record", id="empty"),
        pytest.param(gzip.compress(b"{}")[:-8] + b"\0\0\0\0\2\0\0\0", "input is corrupt gzip data (CRC check failed",
                     id="corrupt gzip bytes"),
    ],
)
def test_bad_inputs_raise_payload_errors_with_a_reason(raw: Any, reason: str) -> None:
    """Each class of broken input is a PayloadError carrying source and position."""
    with pytest.raises(PayloadError) as caught:
        decode_payload(raw, source="in.jsonl", position=7)
    assert reason in caught.value.reason
    assert str(caught.value).startswith("in.jsonl:7: ")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"messageType": None}, "messageType must be a string, got null"),
        ({"messageType": "DATA"}, "messageType must be DATA_MESSAGE or CONTROL_MESSAGE, got 'DATA'"),
        ({"owner": 123456789012}, "owner must be a string, got number"),
        ({"logGroup": ["a"]}, "logGroup must be a string, got array"),
        ({"logStream": True}, "logStream must be a string, got boolean"),
        ({"subscriptionFilters": "f"}, "subscriptionFilters must be an array, got string"),
        ({"subscriptionFilters": [1]}, "subscriptionFilters[0] must be a string, got number"),
        ({"logEvents": {}}, "logEvents must be an array, got object"),
        ({"policyLevel": 1}, "policyLevel must be a string, got number"),
    ],
)
def test_payload_schema_errors_name_the_field(change: dict[str, Any], reason: str) -> None:
    """Payload-level schema problems raise PayloadError naming the field."""
    with pytest.raises(PayloadError, match="^" + reason.replace("[", r"\[").replace("]", r"\]") + "$"):
        decode_payload({**PAYLOAD, **change})


@pytest.mark.parametrize("field", ["messageType", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents"])
def test_missing_payload_fields_are_named(field: str) -> None:
    """A missing top-level field is a PayloadError naming it."""
    with pytest.raises(PayloadError, match=f"missing field {field}"):
        decode_payload({k: v for k, v in PAYLOAD.items() if k != field})


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("text", "logEvents[1] must be an object, got string"),
        ({"timestamp": 1, "message": "x"}, "logEvents[1].id is missing"),
        ({"id": 1, "timestamp": 1, "message": "x"}, "logEvents[1].id must be a string, got number"),
        ({"id": "1", "timestamp": "1", "message": "x"}, "logEvents[1].timestamp must be a number, got string"),
        ({"id": "1", "timestamp": True, "message": "x"}, "logEvents[1].timestamp must be a number, got boolean"),
        ({"id": "1", "timestamp": 1}, "logEvents[1].message is missing"),
        ({"id": "1", "timestamp": 1, "message": None}, "logEvents[1].message must be a string, got null"),
        ({"id": "1", "timestamp": 1, "message": "x", "extractedFields": "a=1"},
         "logEvents[1].extractedFields must be an object, got string"),
    ],
)
def test_event_schema_errors_become_rejects_naming_the_field(event: Any, reason: str) -> None:
    """A broken log event is a Reject naming logEvents[i].field; the other events are kept."""
    raw = {**PAYLOAD, "logEvents": [PAYLOAD["logEvents"][0], event, PAYLOAD["logEvents"][1]]}
    payload = decode_payload(raw, source="f", position=2)
    assert [e.ordinal for e in payload.log_events] == [0, 2]
    assert payload.invalid_events == (Reject("schema", reason, "f", "2:logEvents[1]", event),)


def test_control_messages_are_recognised() -> None:
    """CONTROL_MESSAGE payloads decode and say so."""
    assert decode_payload(make_control_payload()).is_control


def test_base64_is_read_as_node_reads_it() -> None:
    """Line breaks inside, url-safe letters and missing padding are accepted, as Buffer accepts them."""
    data = to_lambda_event(PAYLOAD)["awslogs"]["data"]
    wrapped = "\n".join(data[i : i + 76] for i in range(0, len(data), 76))
    for variant in (wrapped, data.rstrip("="), data.replace("+", "-").replace("/", "_")):
        assert encode_payload(decode_payload({"awslogs": {"data": variant}})) == PAYLOAD


def test_invalid_utf8_becomes_replacement_characters() -> None:
    """Bytes that are not UTF-8 decode to U+FFFD, like Buffer.toString('utf8')."""
    text = PAYLOAD_TEXT.replace("plain", "pl__n").encode().replace(b"__", b"\xed\xa0")
    assert decode_payload(_event_for(text)).log_events[1].message == "pl\ufffd\ufffdn"


def test_to_lambda_event_is_deterministic() -> None:
    """Same payload, same bytes (no gzip timestamp)."""
    assert to_lambda_event(PAYLOAD) == to_lambda_event(decode_payload(PAYLOAD))


events = st.builds(
    lambda ts, msg, fields: make_event(msg, timestamp=ts, extracted_fields=fields),
    st.integers(min_value=0, max_value=2**45),
    st.text(),
    st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(events, max_size=5), st.text(max_size=20), st.none() | st.just("ACCOUNT_LEVEL_POLICY"))
def test_encode_and_decode_round_trip(evs: list[dict[str, Any]], group: str, policy: str | None) -> None:
    """decode(to_lambda_event(p)) gives p back, including lone surrogates and policyLevel."""
    payload = make_payload(evs, log_group=group, policy_level=policy)
    assert encode_payload(decode_payload(to_lambda_event(payload))) == payload


# ------------------------------------------------------------------------------ files


def _records(*paths: Path | str) -> list[Payload | Reject]:
    return list(iter_payload_records([str(p) for p in paths]))


def test_jsonl_files_yield_records_in_order_with_line_numbers(tmp_path: Path) -> None:
    """Blank lines are skipped; corrupt lines are rejects; the others still decode."""
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(to_lambda_event(PAYLOAD)), "", "garbage", PAYLOAD_TEXT, json.dumps(make_control_payload())]
    path.write_text("\n".join(lines) + "\n")
    records = _records(path)
    assert [type(r).__name__ for r in records] == ["Payload", "Reject", "Payload", "Payload"]
    assert [r.position for r in records] == [1, 3, 4, 5]
    assert records[1].location() == f"{path}:3"


def test_gzip_files_are_found_by_their_magic_bytes(tmp_path: Path) -> None:
    """A gzip file is gunzipped whatever its name."""
    path = tmp_path / "payloads.data"
    path.write_bytes(gzip.compress((PAYLOAD_TEXT + "\n" + PAYLOAD_TEXT + "\n").encode()))
    assert [encode_payload(r) for r in _records(path)] == [PAYLOAD, PAYLOAD]  # type: ignore[arg-type]


def test_a_truncated_gzip_file_is_a_reject_after_its_readable_lines(tmp_path: Path) -> None:
    """Records before the break are kept; the break is an input reject naming file and line."""
    body = "".join(PAYLOAD_TEXT + "\n" for _ in range(200)).encode()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(body)[:-200])
    records = _records(path)
    assert isinstance(records[-1], Reject) and records[-1].stage == "input"
    assert "truncated" in records[-1].reason and records[-1].source == str(path)
    assert all(isinstance(r, Payload) for r in records[:-1]) and len(records) > 1


def test_pretty_printed_documents_and_arrays(tmp_path: Path) -> None:
    """A file starting with a lone { or [ holds pretty JSON: documents one after another, or an array."""
    docs = tmp_path / "docs.json"
    docs.write_text(json.dumps(PAYLOAD, indent=2) + "\n" + json.dumps(to_lambda_event(PAYLOAD), indent=2) + "\n")
    array = tmp_path / "array.json"
    array.write_text(json.dumps([PAYLOAD, PAYLOAD], indent=2))
    records = _records(docs, array)
    assert all(isinstance(r, Payload) and encode_payload(r) == PAYLOAD for r in records) and len(records) == 4
    first_doc_lines = json.dumps(PAYLOAD, indent=2).count("\n") + 1
    assert [r.position for r in records] == [1, first_doc_lines + 1, 2,
                                             2 + json.dumps(PAYLOAD, indent=2).count("\n") + 1]


def test_a_broken_pretty_document_is_a_reject_at_its_line(tmp_path: Path) -> None:
    """The JSON error's line is reported."""
    path = tmp_path / "bad.json"
    path.write_text('{\n  "messageType": "DATA_MESSAGE",\n  "owner": oops\n}\n')
    (record,) = _records(path)
    assert isinstance(record, Reject) and record.position == 3


def test_a_directory_stands_for_its_files_in_order(tmp_path: Path) -> None:
    """Files inside a directory are read sorted by name; hidden files and subdirectories are not."""
    (tmp_path / "b.jsonl").write_text(json.dumps(make_payload(["second"])) + "\n")
    (tmp_path / "a.jsonl").write_text(json.dumps(make_payload(["first"])) + "\n")
    (tmp_path / ".hidden").write_text("junk\n")
    (tmp_path / "sub").mkdir()
    records = _records(tmp_path)
    assert [(Path(str(r.source)).name, r.log_events[0].message) for r in records] == [  # type: ignore[union-attr]
        ("a.jsonl", "first"), ("b.jsonl", "second")]


@pytest.mark.parametrize(("make", "reason"), [(lambda p: p / "missing.jsonl", "no such file"),
                                              (lambda p: p / "empty", "is a directory without files")])
def test_unopenable_inputs_fail_before_anything_is_read(tmp_path: Path, make: Any, reason: str) -> None:
    """A missing file or an empty directory is an InputError naming it, before any record."""
    good = tmp_path / "good.jsonl"
    good.write_text(PAYLOAD_TEXT + "\n")
    (tmp_path / "empty").mkdir()
    bad = make(tmp_path)
    with pytest.raises(InputError, match=reason) as caught:
        next(iter_payload_records([str(good), str(bad)]))
    assert caught.value.source == str(bad)
