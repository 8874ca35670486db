"""Reading container log files into records, and writing events: what in_tail + <parse> emit, byte-exact JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.concat import Emitted
from efklab.logsource import read_log_file, tail_tag
from efklab.model import Reject
from efklab.multiline import EventEncoder, event_to_json

APP = "shop-7d9f8b6c5-x2x9k_default_shop-0123456789abcdef.log"


def _read(tmp_path: Path, text: str, fmt: str = "auto", name: str = APP) -> tuple[list, list[Reject]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    rejects: list[Reject] = []
    return list(read_log_file(str(path), fmt=fmt, rejects=rejects)), rejects


@pytest.mark.parametrize(
    ("stamp", "ns"),
    [
        ("2021-04-28T11:09:05.002000000Z", 1_619_608_145_002_000_000),
        ("2021-04-28T11:09:05.123456789Z", 1_619_608_145_123_456_789),
        ("2021-04-28T11:09:05.5Z", 1_619_608_145_500_000_000),
        ("2021-04-28T11:09:05Z", 1_619_608_145_000_000_000),
    ],
)
def test_docker_time_becomes_the_event_time_in_nanoseconds(tmp_path: Path, stamp: str, ns: int) -> None:
    """The docker ``time`` field is parsed to the nanosecond and removed from the record."""
    (rec,), _ = _read(tmp_path, json.dumps({"log": "x\n", "stream": "stdout", "time": stamp}) + "\n")
    assert rec.time_ns == ns
    assert rec.record == {"log": "x\n", "stream": "stdout"}


def test_docker_record_keeps_its_key_order_and_the_tag_is_the_path(tmp_path: Path) -> None:
    """Fields stay in file order; the tag is ``var.log.containers.<file name>``."""
    line = '{"stream":"stderr","log":"é\\n","attrs":{"a":1},"time":"2021-04-28T11:09:05Z"}\n'
    (rec,), _ = _read(tmp_path, line)
    assert list(rec.record) == ["stream", "log", "attrs"]
    assert rec.tag == f"var.log.containers.{APP}" == tail_tag(APP)
    assert (rec.source.endswith(APP), rec.lineno) == (True, 1)


def test_lines_fluentd_would_drop_are_rejects_with_their_place(tmp_path: Path) -> None:
    """A CRI line under docker parsing and a bad time are rejects; the rest is read."""
    text = ('{"log":"a\\n","stream":"stdout","time":"2021-04-28T11:09:05Z"}\n'
            "2021-04-28T11:09:05.1Z stdout F cri line\n"
            '{"log":"b\\n","stream":"stdout","time":"yesterday"}\n')
    records, rejects = _read(tmp_path, text, fmt="docker")
    assert [r.record["log"] for r in records] == ["a\n"]
    assert [(r.position, r.stage) for r in rejects] == [(2, "parse"), (3, "parse")]


def test_an_unfinished_last_line_is_not_emitted(tmp_path: Path) -> None:
    """in_tail waits for the newline: a last line without one is not read yet."""
    text = '{"log":"a\\n","time":"2021-04-28T11:09:05Z"}\n{"log":"b\\n","time":"2021-04-28T11:09:06Z"}'
    records, _ = _read(tmp_path, text)
    assert len(records) == 1


def test_cri_lines_are_read_as_the_aws_cri_parser_does(tmp_path: Path) -> None:
    """CRI: time, stream, logtag and the content without a newline."""
    records, _ = _read(tmp_path, "2021-04-28T11:09:05.000000001Z stdout P part one \n2021-04-28T11:09:05.2Z stderr F end\n")
    assert [r.record for r in records] == [{"stream": "stdout", "logtag": "P", "log": "part one "},
                                           {"stream": "stderr", "logtag": "F", "log": "end"}]
    assert records[0].time_ns == 1_619_608_145_000_000_001


def test_plain_text_lines_keep_their_order(tmp_path: Path) -> None:
    """Plain text becomes ``{"message": line}`` with increasing times."""
    records, _ = _read(tmp_path, "first\nsecond\n", name="app.txt")
    assert [r.record for r in records] == [{"message": "first"}, {"message": "second"}]
    assert records[0].time_ns < records[1].time_ns


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(record=st.dictionaries(st.text(max_size=8), json_values, max_size=5), tag=st.text(max_size=30),
       time_ns=st.integers(0, 4_102_444_800 * 10**9), route=st.sampled_from(["main", "timeout", "error"]))
def test_the_fast_encoder_writes_exactly_what_json_dumps_writes(record: dict, tag: str, time_ns: int, route: str) -> None:
    """EventEncoder output is identical to json.dumps of the event shape (unicode unescaped)."""
    event = Emitted(time_ns, tag, route, record, (0,))
    assert EventEncoder()(event) == json.dumps(event_to_json(event), ensure_ascii=False)
