"""What the multiline tools read from container log files (through containerlogs), and how events are written."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.fluentd.concat.engine import Emitted
from efklab.fluentd.concat.rule import build_rule
from efklab.fluentd.tail.containerlogs import fluentd_tag
from efklab.model import Reject
from efklab.multiline.encoding import EventEncoder, event_to_json, write_events
from efklab.multiline.grouping import group_chunks, group_records, read_log_chunks, read_log_records

APP = "shop-7d9f8b6c5-x2x9k_default_shop-0123456789abcdef.log"


def _read(tmp_path: Path, text: str, fmt: str = "auto", name: str = APP) -> tuple[list, list[Reject]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    rejects: list[Reject] = []
    return list(read_log_records(str(path), fmt=fmt, rejects=rejects)), rejects


@pytest.mark.parametrize(
    ("stamp", "ns"),
    [
        ("2021-04-28T11:09:05.002000000Z", 1_619_608_145_002_000_000),
        ("2021-04-28T11:09:05.123456789Z", 1_619_608_145_123_456_789),
        ("2021-04-28T11:09:05.5Z", 1_619_608_145_500_000_000),
    ],
)
def test_docker_time_becomes_the_event_time_in_nanoseconds(tmp_path: Path, stamp: str, ns: int) -> None:
    """The docker ``time`` field is parsed to the nanosecond and removed from the record."""
    (rec,), _ = _read(tmp_path, json.dumps({"log": "x\n", "stream": "stdout", "time": stamp}) + "\n")
    assert rec.time_ns == ns
    assert rec.record == {"log": "x\n", "stream": "stdout"}


def test_docker_record_keeps_its_key_order_and_the_tag_is_the_path(tmp_path: Path) -> None:
    """Fields stay in file order; the tag is ``var.log.containers.<file name>``."""
    line = '{"stream":"stderr","log":"é\\n","attrs":{"a":1},"time":"2021-04-28T11:09:05.1Z"}\n'
    (rec,), _ = _read(tmp_path, line)
    assert list(rec.record) == ["stream", "log", "attrs"]
    assert rec.tag == f"var.log.containers.{APP}" == fluentd_tag(APP)
    assert (rec.source.endswith(APP), rec.lineno) == (True, 1)


def test_lines_fluentd_would_drop_are_rejects_with_their_place(tmp_path: Path) -> None:
    """A CRI line under docker parsing and a bad time are rejects; the rest is read."""
    text = ('{"log":"a\\n","stream":"stdout","time":"2021-04-28T11:09:05.1Z"}\n'
            "2021-04-28T11:09:05.1Z stdout F cri line\n"
            '{"log":"b\\n","stream":"stdout","time":"yesterday"}\n')
    records, rejects = _read(tmp_path, text, fmt="docker")
    assert [r.record["log"] for r in records] == ["a\n"]
    assert [(r.position, r.stage) for r in rejects] == [(2, "parse"), (3, "parse")]


def test_chunked_and_record_by_record_grouping_agree(tmp_path: Path) -> None:
    """group_chunks over read_log_chunks emits what group_records over read_log_records emits."""
    lines = [json.dumps({"log": text, "stream": "stdout", "time": f"2021-04-28T11:09:{i // 3:02d}.{i:03d}Z"})
             for i, text in enumerate(["(I) a\n", "  at x\n", "(E) b\n"] * 400)]
    path = tmp_path / APP
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rule = build_rule({"key": "log", "multiline_start_regexp": "/^\\(/", "separator": "", "flush_interval": "1"})
    chunked = [e for events in group_chunks(rule, [read_log_chunks(str(path))]) for e in events]
    assert len(list(read_log_chunks(str(path)))) > 1
    assert chunked == list(group_records(rule, [read_log_records(str(path))]))


def test_write_events_counts_routes_and_lines_and_skips_dropped() -> None:
    """Dropped records are counted, not written; every other event is one JSON line."""
    events = [Emitted(1, "t", "main", {"log": "a"}, (0, 1)), Emitted(2, "t", "dropped", {"log": "b"}, (2,)),
              Emitted(3, "t", "timeout", {"log": "c", "n": 1}, (3,))]
    out = io.BytesIO()
    counts, lines = write_events([events[:2], [], events[2:]], out)
    assert (dict(counts), lines) == ({"main": 1, "dropped": 1, "timeout": 1}, 4)
    assert out.getvalue().decode().splitlines() == [json.dumps(event_to_json(e), ensure_ascii=False)
                                                    for e in (events[0], events[2])]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(record=st.dictionaries(st.text(max_size=8), json_values, max_size=5), tag=st.text(max_size=30),
       time_ns=st.integers(0, 4_102_444_800 * 10**9), route=st.sampled_from(["main", "timeout", "error"]))
def test_the_fast_encoder_writes_exactly_what_json_dumps_writes(record: dict, tag: str, time_ns: int,
                                                                route: str) -> None:
    """EventEncoder output is identical to json.dumps of the event shape (unicode unescaped)."""
    event = Emitted(time_ns, tag, route, record, (0,))
    assert EventEncoder()(event) == json.dumps(event_to_json(event), ensure_ascii=False)
