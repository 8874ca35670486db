"""Bulk batches: chunked by count and bytes, rendered once, answered per batch;
accounting equals per-item accounting."""
from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.errors import RemoteError
from efklab.lambda_.replay import replay_records
from efklab.lambda_.transform import BulkAction, TransformOptions, render_bulk
from efklab.model import ItemResult, Reject
from efklab.opensearch.batches import BatchAnswer, answer_batch, batch_actions, render_body
from efklab.opensearch.bulk import ReplaySummary, RequestFailure, RetryPolicy, fold_results, fold_tallies, item_result
from tests.unit.lambda_.test_replay import MemoryLetters, node_send, records

POLICY = RetryPolicy(max_retries=2, initial_backoff=0.5, max_backoff=1.0)
TEXT = st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=30)


def action(n: int, text: str = "x", index: str = "idx") -> BulkAction:
    return BulkAction(index, f"id{n}", json.dumps({"index": {"_index": index, "_id": f"id{n}"}}),
                      json.dumps({"n": n, "log": text}, ensure_ascii=False), "in.jsonl", f"1:logEvents[{n}]")


def ids_of(body: str | bytes) -> list[str]:
    text = body.decode() if isinstance(body, bytes) else body
    lines = text.split("\n")[:-1]
    return [json.loads(a)["index"]["_id"] for a in lines[::2]]


class Node:
    """Answers bulk bodies from a script of per-id answers (status, or a RequestFailure for the whole request)."""

    def __init__(self, script: list[Any]) -> None:
        self.script, self.bodies = list(script), []

    def __call__(self, body: str | bytes) -> Mapping[str, Any] | RequestFailure:
        self.bodies.append(body)
        step = self.script.pop(0)
        if isinstance(step, RequestFailure):
            return step
        items = []
        for i in ids_of(body):
            status = step(int(i[2:]))
            info: dict[str, Any] = {"status": status}
            if not 200 <= status < 300:
                info["error"] = {"type": "mapper_parsing_exception" if status == 400
                                 else "es_rejected_execution_exception", "reason": f"r{i}"}
            items.append({"index": info})
        return {"errors": any(not 200 <= i["index"]["status"] < 300 for i in items), "items": items}


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, max_size=40), st.integers(min_value=1, max_value=7), st.integers(min_value=1, max_value=400))
def test_batches_keep_order_and_limits(texts: list[str], count: int, limit: int) -> None:
    """Batches hold every action once, in order, as full as the count and byte limits allow (a lone big action
    excepted)."""
    actions = [action(n, t) for n, t in enumerate(texts)]
    batches = list(batch_actions(actions, max_count=count, max_bytes=limit))
    assert [a for b in batches for a in b.actions] == actions
    for batch, following in itertools.pairwise([*batches, None]):
        assert batch.body == render_bulk(batch.actions).encode()
        assert len(batch.actions) <= count
        assert len(batch.body) <= limit or len(batch.actions) == 1
        if following is not None:  # greedy: the next action would have broken a limit
            grown = [*batch.actions, following.actions[0]]
            assert len(grown) > count or len(render_body(grown)) > limit


def test_bytes_count_utf8_not_characters() -> None:
    """A limit in bytes counts multi-byte characters as their UTF-8 length."""
    actions = [action(0, "é" * 40), action(1, "é" * 40)]
    one = len(render_body(actions[:1]))
    assert len(render_body(actions[:1]).decode()) < one
    assert [len(b.actions) for b in batch_actions(actions, max_count=10, max_bytes=one + 1)] == [1, 1]
    assert [len(b.actions) for b in batch_actions(actions, max_count=10, max_bytes=2 * one)] == [2]


def test_bad_limits_are_refused() -> None:
    """Limits below one make no sense."""
    with pytest.raises(ValueError):
        list(batch_actions([action(0)], max_count=0, max_bytes=10))


def test_all_ok_sends_the_rendered_body_once() -> None:
    """Everything accepted: one request carrying the batch's body as is, statuses in order, no failures."""
    [batch] = batch_actions([action(n) for n in range(3)], max_count=10, max_bytes=10_000)
    node, sleeps = Node([lambda n: 200 if n == 1 else 201]), []
    answer = answer_batch(batch, node, policy=POLICY, sleep=sleeps.append)
    assert node.bodies == [batch.body] and sleeps == []
    assert list(answer.statuses) == [201, 200, 201] and dict(answer.failures) == {}


def test_a_429_item_is_resent_alone_and_a_400_is_a_failure_with_the_action_ids() -> None:
    """Only the rejected item goes again; a mapping conflict is final, reported with the action's index and id."""
    [batch] = batch_actions([action(n) for n in range(3)], max_count=10, max_bytes=10_000)
    node, sleeps = Node([lambda n: {0: 400, 1: 429}.get(n, 201), lambda n: 201]), []
    answer = answer_batch(batch, node, policy=POLICY, sleep=sleeps.append)
    assert ids_of(node.bodies[1]) == ["id1"] and sleeps == [0.5]
    assert list(answer.statuses) == [400, 201, 201]
    failed = answer.failures[0]
    assert (failed["ok"], failed["index"], failed["id"], failed["status"], failed["position"]) == (
        False, "idx", "id0", 400, "1:logEvents[0]")
    assert failed["error"]["type"] == "mapper_parsing_exception"


def test_a_refused_request_fails_every_item_with_its_reason() -> None:
    """A request-level 400 is not retried: every action fails with that status and reason."""
    [batch] = batch_actions([action(n) for n in range(2)], max_count=10, max_bytes=10_000)
    answer = answer_batch(batch, Node([RequestFailure(400, "HTTP 400: unknown parameter [_type]")]), policy=POLICY,
                          sleep=lambda _: None)
    assert list(answer.statuses) == [400, 400]
    assert [f["error"]["reason"] for f in answer.failures.values()] == ["HTTP 400: unknown parameter [_type]"] * 2


def test_an_unreachable_node_stops_the_batch() -> None:
    """No HTTP answer after the retries: a RemoteError, nothing reported as done."""
    [batch] = batch_actions([action(0)], max_count=10, max_bytes=10_000)
    with pytest.raises(RemoteError, match="cannot reach"):
        answer_batch(batch, Node([RequestFailure(None, "cannot reach x", fatal=True)] * 3), policy=POLICY,
                     sleep=lambda _: None)


def test_results_per_item_match_the_node_answer() -> None:
    """Expanded per item, a batch answer reads as item_result would over the full items."""
    actions = [action(n) for n in range(3)]
    [batch] = batch_actions(actions, max_count=10, max_bytes=10_000)
    answer = answer_batch(batch, Node([lambda n: (201, 200, 400)[n]]), policy=POLICY, sleep=lambda _: None)
    full = [{"index": {"_index": "idx", "_id": f"id{n}", "status": s, **({"result": r} if r else {}),
                       **({"error": answer.failures[n]["error"]} if s == 400 else {})}}
            for n, (s, r) in enumerate([(201, "created"), (200, "updated"), (400, None)])]
    expected = [item_result(200 <= i["index"]["status"] < 300, i, source=a.source, position=a.position)
                for a, i in zip(actions, full, strict=True)]
    assert [r for _a, r in answer.results()] == expected


RESULT = st.builds(lambda index, ok, created: {"ok": ok, "index": index, "id": "x",
                                               "status": 201 if ok and created else 200 if ok else 400,
                                               **({"result": "created" if created else "updated"} if ok else {})},
                   st.sampled_from(["a", "b", "c"]), st.booleans(), st.booleans())


@given(st.lists(RESULT, max_size=30), st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=2))
def test_fold_tallies_equals_fold_results(results: list[ItemResult], rejected: int, payloads: int) -> None:
    """Counting per index and folding once gives the summary that folding every result gives."""
    sent: dict[str, int] = {}
    failed: dict[str, int] = {}
    for r in results:
        sent[r["index"]] = sent.get(r["index"], 0) + 1
        if not r["ok"]:
            failed[r["index"]] = failed.get(r["index"], 0) + 1
    created = sum(r.get("result") == "created" for r in results)
    rejects = [Reject("transform", "x")] * rejected
    start = ReplaySummary(payloads=1, attempted=2, indexed=2)
    assert fold_tallies(start, sent=sent, failed=failed, created=created, rejected=rejected, payloads=payloads) == \
        fold_results(start, results, rejects, payloads=payloads)


def batch_send(size: int, fail_after: int | None = None):  # type: ignore[no-untyped-def]
    """``node_send`` answering a batch of ``size`` actions at a time."""
    per_item = node_send(fail_after)

    def send(actions: Iterable[BulkAction]) -> Iterator[BatchAnswer]:
        pending: list[tuple[BulkAction, ItemResult]] = []
        for answered in per_item(actions):  # a RemoteError loses the unanswered batch, as a failed request does
            pending.append(answered)
            if len(pending) == size:
                yield _answer(pending)
                pending = []
        if pending:
            yield _answer(pending)

    return send


def _answer(pairs: list[tuple[BulkAction, ItemResult]]) -> BatchAnswer:
    statuses = [r["status"] for _a, r in pairs]
    return BatchAnswer([a for a, _r in pairs], statuses, {n: r for n, (_a, r) in enumerate(pairs) if not r["ok"]})


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=7), st.sampled_from([0, 2]))
def test_batch_answers_account_like_item_answers(size: int, cut: int, read_ahead: int) -> None:
    """Batches of any size give the per-item summary and letters, and an interrupted batch replay resumes exactly."""
    whole_letters = MemoryLetters()
    whole = replay_records(records(), node_send(), options=TransformOptions(), letters=whole_letters)
    letters = MemoryLetters()
    assert replay_records(records(), batch_send(size), options=TransformOptions(), letters=letters,
                          read_ahead=read_ahead) == whole
    assert letters.records == whole_letters.records
    saved: list[Any] = []
    first = MemoryLetters()
    with contextlib.suppress(RemoteError):
        replay_records(records(), batch_send(size, fail_after=cut), options=TransformOptions(), letters=first,
                       on_checkpoint=saved.append, read_ahead=read_ahead)
    resumed_letters = first.truncated(saved[-1].letters_offset)
    resumed = replay_records(records(), batch_send(size), options=TransformOptions(), letters=resumed_letters,
                             start=saved[-1])
    assert resumed == whole and resumed_letters.records == whole_letters.records


class BrokenLetters(MemoryLetters):
    """A dead-letter sink whose disk fills up at the first letter."""

    def write(self, record: dict[str, Any]) -> None:
        raise OSError("No space left on device")


def test_a_failing_sink_closes_the_sender_before_the_replay_returns() -> None:
    """The sink's own error reaches the caller, after the sender was closed (so it can stop a read-ahead thread)."""
    closed: list[str] = []
    per_item = node_send()

    def send(actions: Iterable[BulkAction]) -> Iterator[BatchAnswer]:
        try:
            for batch in batch_actions(actions, max_count=2, max_bytes=10_000):
                yield _answer(list(per_item(batch.actions)))
        finally:
            closed.append("sender")

    try:
        replay_records(records(), send, options=TransformOptions(), letters=BrokenLetters())
    except OSError as exc:
        assert "No space left" in str(exc) and closed == ["sender"]  # closed by the replay, not by unwinding later
    else:
        pytest.fail("the sink's error was swallowed")
