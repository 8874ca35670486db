"""The replay recipe without a network: accounting, dead-letter order, checkpoints and exact resume."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.cloudwatch.payloads import Payload, decode_payload
from efklab.errors import RemoteError, UsageError
from efklab.lambda_.checkpoint import InputFingerprint, ReplayCheckpoint, ReplayProgress, check_resumable
from efklab.lambda_.indextemplate import index_pattern, pattern_for, replay_template
from efklab.lambda_.replay import replay_records
from efklab.lambda_.transform import BulkAction, TransformOptions
from efklab.model import ItemResult, Reject
from efklab.opensearch.bulk import IndexTally, ReplaySummary
from efklab.opensearch.indexnames import compile_index_strategy
from efklab.testing import make_control_payload, make_event, make_payload

OPTIONS = TransformOptions()


class MemoryLetters:
    """A dead-letter sink in memory, with byte offsets like the file."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records = list(records or [])

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(json.loads(json.dumps(record, default=str)))

    def offset(self) -> int:
        return sum(len(json.dumps(r, default=str)) + 1 for r in self.records)

    def truncated(self, offset: int) -> MemoryLetters:
        kept: list[dict[str, Any]] = []
        for record in self.records:
            if MemoryLetters([*kept, record]).offset() > offset:
                break
            kept.append(record)
        return MemoryLetters(kept)


def node_send(fail_after: int | None = None):  # type: ignore[no-untyped-def]
    """Answers like a node: documents with "bad" in them fail with 400; optionally dies after N answers."""
    answered = []

    def send(actions: Iterable[BulkAction]) -> Iterator[tuple[BulkAction, ItemResult]]:
        for action in actions:
            if fail_after is not None and len(answered) >= fail_after:
                raise RemoteError("cannot reach http://127.0.0.1:9: Connection refused")
            answered.append(action.id)
            ok = "bad" not in action.source_line
            result: ItemResult = {"ok": ok, "index": action.index, "id": action.id, "status": 201 if ok else 400,
                                  "source": action.source, "position": action.position}
            if ok:
                result["result"] = "created"  # type: ignore[typeddict-unknown-key]
            else:
                result["error"] = {"type": "mapper_parsing_exception", "reason": "conflict"}
            yield action, result

    send.answered = answered  # type: ignore[attr-defined]
    return send


def payload(n: int, events: list[Any], position: int) -> Payload:
    built = make_payload([make_event(e, timestamp=1_619_600_944_301 + n * 1000 + i, sequence=i)
                          if not isinstance(e, dict) or "id" not in e else e for i, e in enumerate(events)])
    return decode_payload(built, source="in.jsonl", position=position)


def records() -> list[Payload | Reject]:
    """Mixed input: good payloads, a failing document, a broken record, a control message, a schema reject."""
    return [
        payload(0, ["a", "b"], 1),
        Reject("payload", "not valid JSON", "in.jsonl", 2),
        payload(1, ["c", {"log": "bad"}, "d"], 3),
        decode_payload(make_control_payload(), source="in.jsonl", position=4),
        payload(2, ["e", {"id": "x", "timestamp": 1}], 5),
        payload(3, ["f"], 6),
    ]


@pytest.mark.parametrize("read_ahead", [0, 1, 3])
def test_every_item_is_accounted_for(read_ahead: int) -> None:
    """Payloads, actions, failures and rejects all land in the summary, with or without read-ahead."""
    letters = MemoryLetters()
    done = replay_records(records(), node_send(), options=OPTIONS, letters=letters, read_ahead=read_ahead)
    s = done.summary
    assert (done.records_done, s.payloads, s.attempted, s.indexed, s.failed, s.rejected) == (6, 6, 7, 6, 1, 2)
    assert s.unreadable == 1  # the broken record; the schema reject was read
    assert sum(t.indexed + t.failed for t in s.per_index.values()) == s.attempted


def test_dead_letters_follow_input_order() -> None:
    """Dead letters appear in input order: the broken record, the refused document, the schema reject."""
    letters = MemoryLetters()
    replay_records(records(), node_send(), options=OPTIONS, letters=letters)
    assert [(r["stage"], r.get("position")) for r in letters.records] == [
        ("payload", 2), ("bulk", "3:logEvents[1]"), ("schema", "5:logEvents[1]")]
    assert letters.records[1]["document"]["log"] == "bad" and letters.records[1]["status"] == 400


def test_interruption_checkpoints_the_last_complete_payload() -> None:
    """When the node dies mid-payload, the saved progress ends before that payload, with its counts only."""
    saved: list[ReplayProgress] = []
    send = node_send(fail_after=3)  # a, b answered; c answered; dies inside payload 3
    with pytest.raises(RemoteError):
        replay_records(records(), send, options=OPTIONS, letters=MemoryLetters(), on_checkpoint=saved.append)
    assert saved[-1].records_done == 2 and saved[-1].summary.attempted == 2 and saved[-1].summary.rejected == 1


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=7), st.sampled_from([0, 2]))
def test_resume_equals_an_uninterrupted_replay(cut: int, read_ahead: int) -> None:
    """Stopping after any number of answers and resuming from the checkpoint gives the same summary and letters."""
    whole_letters = MemoryLetters()
    whole = replay_records(records(), node_send(), options=OPTIONS, letters=whole_letters)
    saved: list[ReplayProgress] = []
    first_letters = MemoryLetters()
    with contextlib.suppress(RemoteError):
        replay_records(records(), node_send(fail_after=cut), options=OPTIONS, letters=first_letters,
                       on_checkpoint=saved.append, read_ahead=read_ahead)
    start = saved[-1]
    letters = first_letters.truncated(start.letters_offset)
    resumed = replay_records(records(), node_send(), options=OPTIONS, letters=letters, start=start)
    assert resumed == whole
    assert letters.records == whole_letters.records


def test_resume_skips_done_records() -> None:
    """Records before records_done are not sent again."""
    send = node_send()
    start = ReplayProgress(records_done=3, summary=ReplaySummary(payloads=3))
    replay_records(records(), send, options=OPTIONS, letters=MemoryLetters(), start=start)
    assert len(send.answered) == 2  # e and f


def test_bad_options_fail_before_sending() -> None:
    """An unknown template field is a UsageError before the first request."""
    send = node_send()
    with pytest.raises(UsageError):
        replay_records(records(), send, options=TransformOptions(index_strategy="{nope}"), letters=MemoryLetters())
    assert send.answered == []


FINGERPRINTS = (InputFingerprint("/data/a.jsonl", 10, 1),)
OPTION_MAP = {"mode": "opensearch", "index_strategy": "seed", "prefix": "mydata", "tz": "UTC"}


def test_checkpoint_json_round_trip() -> None:
    """A checkpoint reads back as written."""
    cp = ReplayCheckpoint(FINGERPRINTS, OPTION_MAP, ReplayProgress(4, ReplaySummary(payloads=4), 99), "/x/dl.jsonl")
    assert ReplayCheckpoint.from_json(json.loads(json.dumps(cp.to_json())), source="cp.json") == cp


@pytest.mark.parametrize(
    ("inputs", "options", "message"),
    [
        ((InputFingerprint("/data/a.jsonl", 11, 2),), OPTION_MAP, "the same files, changed since"),
        ((InputFingerprint("/data/b.jsonl", 10, 1),), OPTION_MAP, "other input"),
        (FINGERPRINTS, {**OPTION_MAP, "tz": "Asia/Seoul"}, "tz 'UTC' -> 'Asia/Seoul'"),
    ],
)
def test_checkpoint_refuses_other_inputs_or_options(inputs: Any, options: Any, message: str) -> None:
    """A checkpoint only resumes the replay it was written for."""
    cp = ReplayCheckpoint(FINGERPRINTS, OPTION_MAP, ReplayProgress(), None)
    with pytest.raises(UsageError, match=message):
        check_resumable(cp, inputs, options, source="cp.json")


def test_malformed_checkpoint_is_a_usage_error() -> None:
    """A file that is not one of our checkpoints is refused with its name."""
    with pytest.raises(UsageError, match=r"cp\.json"):
        ReplayCheckpoint.from_json({"format": "something else"}, source="cp.json")


@pytest.mark.parametrize(
    ("spec", "prefix", "pattern"),
    [
        ("seed", "mydata", "mydata-*-*-*"),
        ("cwl", "mydata", "cwl-*"),
        ("cwl-group", "mydata", "cwl-*-*"),
        ("{prefix}-{namespace}-{date:%Y.%m}", "logs", "logs-*-*"),
        ("{prefix}-{date}", "app", "app-*"),
    ],
)
def test_index_pattern_of_a_strategy(spec: str, prefix: str, pattern: str) -> None:
    """The template pattern keeps literals and the prefix and turns every other field into `*`."""
    assert index_pattern(compile_index_strategy(spec, prefix=prefix)) == pattern


def test_seed_mode_uses_the_seed_names() -> None:
    """--mode seed names indices as the seed does, so the template covers mydata-*."""
    assert pattern_for(TransformOptions(mode="seed")) == "mydata-*-*-*"


def test_replay_template_maps_the_lambda_fields() -> None:
    """@timestamp is a date, the ids and names keywords, @message text; one name per pattern."""
    name, body = replay_template("mydata-*-*-*")
    props = body["template"]["mappings"]["properties"]
    assert {k: v["type"] for k, v in props.items()} == {
        "@timestamp": "date", "@id": "keyword", "@log_group": "keyword", "@log_stream": "keyword",
        "@owner": "keyword", "@message": "text"}
    assert body["index_patterns"] == ["mydata-*-*-*"] and name.startswith("efklab-mydata-")
    assert replay_template("mydata-*")[0] != name


def remembering_node(store: set[str], fail_after: int | None = None):  # type: ignore[no-untyped-def]
    """Like ``node_send``, but the node keeps what it indexed: an id seen before is answered 200 "updated"."""
    answered = []

    def send(actions: Iterable[BulkAction]) -> Iterator[tuple[BulkAction, ItemResult]]:
        for action in actions:
            if fail_after is not None and len(answered) >= fail_after:
                raise RemoteError("cannot reach http://127.0.0.1:9: Connection refused")
            answered.append(action.id)
            new = action.id not in store
            store.add(action.id)
            yield action, {"ok": True, "index": action.index, "id": action.id, "status": 201 if new else 200,
                           "result": "created" if new else "updated", "source": action.source,
                           "position": action.position}

    return send


def redelivered_records() -> list[Payload | Reject]:
    """Payloads of several events, the first delivered again at the end (its documents overwrite)."""
    first = payload(0, ["a", "b", "c"], 1)
    again = make_payload([{"id": e.id, "timestamp": e.timestamp, "message": e.message} for e in first.log_events])
    return [first, payload(1, ["d", "e"], 2), payload(2, ["f", "g", "h"], 3), payload(3, ["i"], 4),
            decode_payload(again, source="in.jsonl", position=5)]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=12))
def test_a_resumed_replay_counts_new_documents_as_an_uninterrupted_one(cut: int) -> None:
    """The node keeps what the interrupted run indexed; documents that run saw created still count as new after
    the resume, so the whole summary (new and overwritten included) equals an uninterrupted replay's."""
    whole = replay_records(redelivered_records(), remembering_node(set()), options=OPTIONS, letters=MemoryLetters())
    store: set[str] = set()
    saved: list[ReplayProgress] = []
    with contextlib.suppress(RemoteError):
        replay_records(redelivered_records(), remembering_node(store, fail_after=cut), options=OPTIONS,
                       letters=MemoryLetters(), on_checkpoint=saved.append)
    resumed = replay_records(redelivered_records(), remembering_node(store), options=OPTIONS,
                             letters=MemoryLetters(), start=saved[-1])
    assert resumed.summary == whole.summary
    assert whole.summary.created == 9 and whole.summary.indexed == 12


def test_the_checkpoint_of_a_stop_mid_payload_lists_the_documents_already_created() -> None:
    """Stopped inside payload 3 (f, g answered): the checkpoint is at 2 records, with f and g as created ahead."""
    saved: list[ReplayProgress] = []
    with pytest.raises(RemoteError):
        replay_records(redelivered_records(), remembering_node(set(), fail_after=7), options=OPTIONS,
                       letters=MemoryLetters(), on_checkpoint=saved.append)
    ids = [e.id for e in redelivered_records()[2].log_events]  # type: ignore[union-attr]
    assert saved[-1].records_done == 2 and saved[-1].created_ahead == frozenset(ids[:2])


def test_a_start_beyond_the_inputs_sends_nothing_and_is_refused() -> None:
    """A checkpoint counting more records than the inputs hold is a UsageError, never a quiet "done"."""
    send = node_send()
    start = ReplayProgress(records_done=10**12, summary=ReplaySummary(payloads=10**12))
    with pytest.raises(UsageError, match="inputs hold 6"):
        replay_records(records(), send, options=OPTIONS, letters=MemoryLetters(), start=start)
    assert send.answered == []


def good_checkpoint_json() -> dict[str, Any]:
    summary = ReplaySummary(payloads=4, attempted=5, indexed=4, created=3, failed=1, rejected=1, unreadable=1,
                            per_index={"a": IndexTally(3, 1), "b": IndexTally(1, 0)})
    progress = ReplayProgress(4, summary, 99, frozenset({"id-1"}))
    return ReplayCheckpoint(FINGERPRINTS, OPTION_MAP, progress, "/x/dl.jsonl", resumed=1).to_json()


def field_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (keys and list positions), the containers included."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += field_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for n, value in enumerate(data):
            found += field_paths(value, (*prefix, n))
    return found


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2, 10**13) | st.floats(allow_nan=False)
                           | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=5)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(field_paths(good_checkpoint_json())), JSON_VALUES)
def test_a_checkpoint_is_read_exactly_or_refused(path: tuple[Any, ...], value: Any) -> None:
    """Any field replaced by any JSON value: the checkpoint is refused with a UsageError, or reads back exactly as
    written (nothing coerced: no bool as a number, no "2" as 2, no 2.0 as 2)."""
    data = good_checkpoint_json()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        checkpoint = ReplayCheckpoint.from_json(json.loads(json.dumps(data)), source="cp.json")
    except UsageError as exc:
        assert str(exc).startswith("cp.json: ")
        return
    written = checkpoint.to_json()
    assert json.dumps(written, sort_keys=True) == json.dumps(data, sort_keys=True)


def test_checkpoint_json_round_trip_with_created_ids_and_resumes() -> None:
    """Created-ahead ids and the resume count survive the file."""
    data = good_checkpoint_json()
    checkpoint = ReplayCheckpoint.from_json(data, source="cp.json")
    assert checkpoint.progress.created_ahead == frozenset({"id-1"}) and checkpoint.resumed == 1
    assert checkpoint.to_json() == data
