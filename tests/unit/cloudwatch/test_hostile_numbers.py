"""Numbers JavaScript cannot hold and JSON nested past Python's parser, in payloads and in messages:
every command that reads them answers with results, rejects or one error line, never a traceback."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.cli import main
from efklab.cloudwatch.payloads import decode_payload

HUGE = "9" * 5000


def payload_text(timestamp: str = "1619608144301", message: str = '"x"') -> str:
    return ('{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/aws/containerinsights/c/application",'
            '"logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":' + timestamp
            + ',"message":' + message + "}]}")


@pytest.mark.parametrize("timestamp", ["1e400", "-1e400", HUGE, "-" + HUGE, "8640000000000001"])
def test_a_timestamp_javascript_reads_as_infinity_or_past_its_dates_is_kept_as_a_number(timestamp: str) -> None:
    """JSON.parse reads 1e400 and 5,000 digits as Infinity; the payload is valid and the event is kept (the
    seed's Lambda then throws on new Date(ts).toISOString(), which efklab emulates)."""
    payload = decode_payload(payload_text(timestamp), source="p.json")
    assert len(payload.log_events) == 1 and payload.invalid_events == ()


@settings(max_examples=200)
@given(st.one_of(st.integers(), st.integers(min_value=10**300, max_value=10**4000),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_any_numeric_timestamp_is_one_event(timestamp: float) -> None:
    payload = decode_payload(payload_text(json.dumps(timestamp)), source="p.json")
    assert len(payload.log_events) == 1


MESSAGES = {
    "1e400 in a record": json.dumps(json.dumps({"log": "x\n", "n": 1}).replace("1}", "1e400}")),
    "5,000 digits in a record": json.dumps('{"log":"x\\n","n":' + HUGE + "}"),
    "JSON nested 20,000 deep": json.dumps("[" * 20000 + "]" * 20000),
    "a record nested 20,000 deep": json.dumps('{"log":' + "[" * 20000 + "]" * 20000 + "}"),
}


@pytest.mark.parametrize("message", list(MESSAGES.values()), ids=list(MESSAGES))
@pytest.mark.parametrize("command", [["transform"], ["doctor", "--payloads"]], ids=["transform", "doctor"])
def test_hostile_messages_never_end_in_a_traceback(tmp_path: Path, message: str, command: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.gz"
    path.write_bytes(gzip.compress(payload_text(message=message).encode()))
    code = main([*command, str(path)])
    err = capsys.readouterr().err
    assert code in (0, 1, 2) and "Traceback" not in err


@pytest.mark.parametrize("command", [["transform"], ["doctor", "--payloads"]], ids=["transform", "doctor"])
def test_an_infinite_timestamp_never_ends_in_a_traceback(tmp_path: Path, command: list[str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.json"
    path.write_text(payload_text("1e400"))  # the doctor's ordering check once died on int(Infinity)
    code = main([*command, str(path)])
    assert code in (0, 1, 2) and "Traceback" not in capsys.readouterr().err
