"""Sans-I/O bulk: what is retried and how long we wait, item results, dead letters, the summary fold."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.errors import RemoteError
from efklab.model import ItemResult, Reject
from efklab.opensearch.bulk import (
    IndexTally,
    ReplaySummary,
    RequestFailure,
    RetryPolicy,
    dead_letter,
    error_reason,
    failed_item,
    fold_results,
    item_result,
    item_status,
    render_bulk_body,
    render_summary,
    retryable_status,
    send_with_retries,
    split_bulk_body,
)

POLICY = RetryPolicy(max_retries=3, initial_backoff=0.5, max_backoff=1.5)


def pair(n: int) -> tuple[str, str]:
    return json.dumps({"index": {"_index": "idx", "_id": f"id{n}"}}), json.dumps({"n": n})


def ok(n: int, status: int = 201) -> dict[str, Any]:
    return {"index": {"_index": "idx", "_id": f"id{n}", "status": status, "result": "created"}}


def bad(n: int, status: int, kind: str = "mapper_parsing_exception") -> dict[str, Any]:
    return {"index": {"_index": "idx", "_id": f"id{n}", "status": status, "error": {"type": kind, "reason": f"r{n}"}}}


class ScriptedNode:
    """Answers each bulk request from a script, answering only for the ids it was sent."""

    def __init__(self, script: list[Any]) -> None:
        self.script, self.bodies = list(script), []

    def __call__(self, body: str) -> Mapping[str, Any] | RequestFailure:
        self.bodies.append(body)
        step = self.script.pop(0)
        if isinstance(step, RequestFailure):
            return step
        sent = [json.loads(a)["index"]["_id"] for a, _ in split_bulk_body(body)]
        return {"items": [step(int(i[2:])) for i in sent]}


def ids_in(body: str) -> list[str]:
    return [json.loads(a)["index"]["_id"] for a, _ in split_bulk_body(body)]


@pytest.mark.parametrize(("attempt", "delay"), [(0, 0.5), (1, 1.0), (2, 1.5), (10, 1.5)])
def test_backoff_doubles_and_is_capped(attempt: int, delay: float) -> None:
    """Waits are initial * 2**attempt, never above max_backoff."""
    assert POLICY.delay(attempt) == delay


@pytest.mark.parametrize(("status", "retry"), [(429, True), (500, True), (503, True), (400, False), (404, False),
                                               (409, False), (None, False)])
def test_retryable_statuses(status: int | None, retry: bool) -> None:
    """Only 429 and 5xx are worth waiting for."""
    assert retryable_status(status) is retry


def test_all_ok_in_one_request() -> None:
    """Everything accepted: one request, no sleep, one item per action in order."""
    post, sleeps = ScriptedNode([ok]), []
    items = send_with_retries([pair(i) for i in range(3)], post, policy=POLICY, sleep=sleeps.append)
    assert [i["index"]["_id"] for i in items] == ["id0", "id1", "id2"] and sleeps == [] and len(post.bodies) == 1


def test_item_429_retried_alone_then_ok() -> None:
    """An item rejected with 429 is re-sent alone after the backoff; the others are not re-sent."""
    post, sleeps = ScriptedNode([lambda n: bad(n, 429, "es_rejected_execution_exception") if n == 1 else ok(n), ok]), []
    items = send_with_retries([pair(i) for i in range(3)], post, policy=POLICY, sleep=sleeps.append)
    assert [i["index"]["status"] for i in items] == [201, 201, 201]
    assert ids_in(post.bodies[1]) == ["id1"] and sleeps == [0.5]


def test_item_4xx_is_final_at_once() -> None:
    """A mapping conflict (400) is reported as failed without any retry."""
    post, sleeps = ScriptedNode([lambda n: bad(n, 400) if n == 0 else ok(n)]), []
    items = send_with_retries([pair(0), pair(1)], post, policy=POLICY, sleep=sleeps.append)
    assert items[0]["index"]["status"] == 400 and items[1]["index"]["status"] == 201 and sleeps == []


def test_item_5xx_gives_up_after_max_retries() -> None:
    """An item that keeps failing with 503 is retried max_retries times, then reported with its last answer."""
    post, sleeps = ScriptedNode([lambda n: bad(n, 503, "unavailable_shards_exception")] * 4), []
    items = send_with_retries([pair(0)], post, policy=POLICY, sleep=sleeps.append)
    assert (items == [bad(0, 503, "unavailable_shards_exception")] and sleeps == [0.5, 1.0, 1.5]
            and len(post.bodies) == 4)


def test_request_429_retried_then_ok() -> None:
    """A whole request refused with 429 is sent again after backing off."""
    post, sleeps = ScriptedNode([RequestFailure(429, "too many requests"), ok]), []
    items = send_with_retries([pair(0), pair(1)], post, policy=POLICY, sleep=sleeps.append)
    assert [i["index"]["status"] for i in items] == [201, 201] and sleeps == [0.5]


def test_request_400_fails_every_item_with_the_reason() -> None:
    """A request-level 400 (e.g. `_type` on OpenSearch 2.x) fails each item with that status and reason."""
    reason = "HTTP 400: illegal_argument_exception: Action/metadata line [1] contains an unknown parameter [_type]"
    post = ScriptedNode([RequestFailure(400, reason)])
    items = send_with_retries([pair(0), pair(1)], post, policy=POLICY, sleep=lambda _: None)
    assert [(i["index"]["_id"], i["index"]["status"], i["index"]["error"]["reason"]) for i in items] == [
        ("id0", 400, reason), ("id1", 400, reason)]


def test_request_500_after_retries_keeps_earlier_successes() -> None:
    """Items that succeeded on an earlier attempt keep their result when a later retry fails as a whole."""
    post = ScriptedNode([lambda n: bad(n, 429) if n == 1 else ok(n)] + [RequestFailure(500, "boom")] * 3)
    items = send_with_retries([pair(0), pair(1)], post, policy=POLICY, sleep=lambda _: None)
    assert [i["index"]["status"] for i in items] == [201, 500]


def test_unreachable_node_retried_then_aborts() -> None:
    """No HTTP answer at all: retried with backoff, then a RemoteError stops the replay (the checkpoint resumes it)."""
    post, sleeps = ScriptedNode([RequestFailure(None, "cannot reach x", fatal=True)] * 4), []
    with pytest.raises(RemoteError, match="cannot reach x"):
        send_with_retries([pair(0)], post, policy=POLICY, sleep=sleeps.append)
    assert sleeps == [0.5, 1.0, 1.5]


def test_refused_credentials_abort_at_once() -> None:
    """401/403 will not improve by waiting: no retry, the replay stops."""
    post, sleeps = ScriptedNode([RequestFailure(401, "refused the credentials", fatal=True)]), []
    with pytest.raises(RemoteError, match="refused the credentials"):
        send_with_retries([pair(0)], post, policy=POLICY, sleep=sleeps.append)
    assert sleeps == []


def test_unreachable_then_back_succeeds() -> None:
    """A node that comes back within the retries loses nothing."""
    post = ScriptedNode([RequestFailure(None, "cannot reach x", fatal=True), ok])
    assert len(send_with_retries([pair(0), pair(1)], post, policy=POLICY, sleep=lambda _: None)) == 2


NOT_BULK_ANSWERS = {
    "a proxy page": "<html><body>Service temporarily unavailable</body></html>",
    "acknowledged": {"acknowledged": True},
    "empty body": "",
    "no body": None,
    "a JSON list": [],
    "no items": {"took": 3, "errors": False},
    "items not a list": {"errors": False, "items": {"index": {"status": 201}}},
    "short items": {"errors": False, "items": [{"index": {"status": 201}}]},
    "too many items": {"errors": False, "items": [{"index": {"status": 201}}] * 3},
    "item without status": {"errors": False, "items": [{"index": {"status": 201}}, {"index": {}}]},
    "status not a number": {"errors": False, "items": [{"index": {"status": 201}}, {"index": {"status": "201"}}]},
    "status a boolean": {"errors": False, "items": [{"index": {"status": 201}}, {"index": {"status": True}}]},
    "item not an object": {"errors": False, "items": [{"index": {"status": 201}}, 201]},
    "item with two operations": {"items": [{"index": {"status": 201}},
                                           {"index": {"status": 201}, "create": {"status": 201}}]},
    "unknown operation": {"items": [{"index": {"status": 201}}, {"upsert": {"status": 201}}]},
    "ok status with an error": {"errors": True, "items": [{"index": {"status": 201}},
                                                          {"index": {"status": 200, "error": {"type": "x"}}}]},
}


@pytest.mark.parametrize("answer", NOT_BULK_ANSWERS.values(), ids=NOT_BULK_ANSWERS.keys())
def test_an_answer_that_is_not_a_complete_bulk_response_stops_after_the_retries(answer: Any) -> None:
    """HTTP 200 with anything but one status per action: retried with backoff, then the replay stops, naming why."""
    bodies: list[str] = []
    sleeps: list[float] = []
    with pytest.raises(RemoteError, match="nothing in it counts as indexed"):
        send_with_retries([pair(0), pair(1)], lambda body: bodies.append(body) or answer, policy=POLICY,
                          sleep=sleeps.append)
    assert len(bodies) == 4 and sleeps == [0.5, 1.0, 1.5]


@pytest.mark.parametrize("answer", NOT_BULK_ANSWERS.values(), ids=NOT_BULK_ANSWERS.keys())
def test_an_answer_that_is_not_a_complete_bulk_response_counts_nothing_as_indexed(answer: Any) -> None:
    """Told not to stop (the Lambda), every action of such an answer fails after the retries; none is ok."""
    bodies: list[str] = []
    sleeps: list[float] = []
    items = send_with_retries([pair(0), pair(1)], lambda body: bodies.append(body) or answer,
                              policy=POLICY, sleep=sleeps.append, bad_answer_fatal=False)
    assert len(bodies) == 4 and sleeps == [0.5, 1.0, 1.5]
    assert [i["index"]["_id"] for i in items] == ["id0", "id1"]
    assert all(i["index"]["status"] is None and "counts as indexed" in i["index"]["error"]["reason"] for i in items)


@pytest.mark.parametrize("answer", NOT_BULK_ANSWERS.values(), ids=NOT_BULK_ANSWERS.keys())
def test_a_bad_answer_then_a_good_one_indexes_everything(answer: Any) -> None:
    """A proxy that answers garbage once: the request is sent again and the node's real answer counts."""
    script = [answer, {"errors": False, "items": [ok(0), ok(1)]}]
    items = send_with_retries([pair(0), pair(1)], lambda body: script.pop(0), policy=POLICY, sleep=lambda _: None)
    assert [i["index"]["status"] for i in items] == [201, 201]


def test_a_failure_reported_with_status_200_is_not_a_success() -> None:
    """A transport that could not read a 200's body reports it with that status: it still fails, after retries."""
    failure = RequestFailure(200, "HTTP 200 with a body that is not JSON")
    items = send_with_retries([pair(0)], ScriptedNode([failure] * 4), policy=POLICY, sleep=lambda _: None)
    assert items[0]["index"]["status"] is None and item_status(items[0]) == 500


class SizeLimitedNode:
    """A node with ``http.max_content_length``: a larger request is refused whole with 413, others indexed."""

    def __init__(self, limit: int, refuse: frozenset[str] = frozenset()) -> None:
        self.limit, self.refuse = limit, refuse
        self.requests: list[list[str]] = []
        self.indexed: list[str] = []

    def __call__(self, body: str) -> Mapping[str, Any] | RequestFailure:
        ids = ids_in(body)
        self.requests.append(ids)
        if len(body.encode()) > self.limit:
            return RequestFailure(413, "HTTP 413: Request Entity Too Large")
        items = []
        for i in ids:
            if i in self.refuse:
                items.append(bad(int(i[2:]), 400))
            else:
                self.indexed.append(i)
                items.append(ok(int(i[2:])))
        return {"errors": bool(self.refuse & set(ids)), "items": items}


def sized_pair(n: int, size: int) -> tuple[str, str]:
    return json.dumps({"index": {"_index": "idx", "_id": f"id{n}"}}), json.dumps({"n": n, "pad": "x" * size})


def test_a_request_too_large_is_split_in_halves_until_it_fits() -> None:
    """413 for 4 actions: two halves of 2 are sent instead, without waiting; every document once."""
    pairs = [sized_pair(n, 100) for n in range(4)]
    node, sleeps = SizeLimitedNode(limit=len(render_bulk_body(pairs[:2]))), []
    items = send_with_retries(pairs, node, policy=POLICY, sleep=sleeps.append)
    assert node.requests == [["id0", "id1", "id2", "id3"], ["id0", "id1"], ["id2", "id3"]]
    assert [i["index"]["status"] for i in items] == [201] * 4 and sleeps == []
    assert node.indexed == ["id0", "id1", "id2", "id3"]


def test_a_single_action_too_large_fails_alone_with_413() -> None:
    """One document larger than the limit is the only failure; its neighbours are indexed."""
    pairs = [sized_pair(0, 10), sized_pair(1, 5000), sized_pair(2, 10)]
    node = SizeLimitedNode(limit=1000)
    items = send_with_retries(pairs, node, policy=POLICY, sleep=lambda _: None)
    assert [i["index"]["status"] for i in items] == [201, 413, 201]
    assert "Request Entity Too Large" in items[1]["index"]["error"]["reason"] and node.indexed == ["id0", "id2"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=40), st.integers(150, 3000),
       st.sets(st.integers(0, 39), max_size=5))
def test_split_and_retry_never_loses_or_duplicates_a_document(sizes: list[int], limit: int, refused: set[int]) -> None:
    """Any sizes, any limit, some refusals: one item per action in order; ok exactly for what the node indexed,
    each indexed once; only a lone action over the limit fails with 413."""
    pairs = [sized_pair(n, size) for n, size in enumerate(sizes)]
    node = SizeLimitedNode(limit, refuse=frozenset(f"id{n}" for n in refused))
    items = send_with_retries(pairs, node, policy=POLICY, sleep=lambda _: None)
    assert [i["index"]["_id"] for i in items] == [f"id{n}" for n in range(len(sizes))]
    assert sorted(node.indexed) == sorted(set(node.indexed))  # never sent to be indexed twice
    assert [i["index"]["_id"] for i in items if i["index"]["status"] == 201] == node.indexed
    for n, item in enumerate(items):
        alone = len(render_bulk_body([pairs[n]]).encode())
        expected = 413 if alone > limit else 400 if n in refused else 201
        assert item["index"]["status"] == expected


@given(st.lists(st.tuples(st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",))),
                          st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)))),
                max_size=20))
def test_split_undoes_render(pairs: list[tuple[str, str]]) -> None:
    """Rendering pairs as a bulk body and splitting it back gives the same pairs."""
    assert split_bulk_body(render_bulk_body(pairs)) == pairs


@pytest.mark.parametrize(
    ("error", "text"),
    [
        ({"type": "mapper_parsing_exception", "reason": "failed to parse field [kubernetes] of type [text]",
          "caused_by": {"type": "illegal_state_exception", "reason": "Can't get text on a START_OBJECT at 1:120"}},
         "mapper_parsing_exception: failed to parse field [kubernetes] of type [text] "
         "(caused by illegal_state_exception: Can't get text on a START_OBJECT at 1:120)"),
        ({"type": "version_conflict_engine_exception", "reason": "[x]: version conflict"},
         "version_conflict_engine_exception: [x]: version conflict"),
        ("plain text", "plain text"),
    ],
)
def test_error_reason_is_one_line(error: Any, text: str) -> None:
    """The node's error object becomes `type: reason (caused by ...)`."""
    assert error_reason(error) == text


def test_item_result_and_dead_letter_keep_the_node_reason_and_document() -> None:
    """A failed item keeps status and error; its dead letter carries the original document and location."""
    result = item_result(False, bad(7, 400), source="p.jsonl", position="3:logEvents[1]")
    assert result == {"ok": False, "index": "idx", "id": "id7", "status": 400, "source": "p.jsonl",
                      "position": "3:logEvents[1]", "error": {"type": "mapper_parsing_exception", "reason": "r7"}}
    letter = dead_letter(result, '{"@id":"id7","kubernetes":"x"}')
    assert letter["document"] == {"@id": "id7", "kubernetes": "x"}
    assert (letter["stage"], letter["status"], letter["reason"]) == ("bulk", 400, "mapper_parsing_exception: r7")


def result(index: str, good: bool, created: bool = True) -> ItemResult:
    r: ItemResult = {"ok": good, "index": index, "id": "x", "status": 201 if good else 400}
    if good:
        r["result"] = "created" if created else "updated"  # type: ignore[typeddict-unknown-key]
    return r


outcomes = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans(), st.booleans()), max_size=40)


@given(outcomes, st.integers(0, 40))
def test_fold_conserves_every_outcome(rows: list[tuple[str, bool, bool]], cut: int) -> None:
    """attempted = indexed + failed, per-index tallies add up, and folding in two batches equals one."""
    results = [result(i, g, c) for i, g, c in rows]
    whole = fold_results(ReplaySummary(), results)
    split = fold_results(fold_results(ReplaySummary(), results[:cut]), results[cut:])
    assert whole == split
    assert whole.attempted == len(rows) == whole.indexed + whole.failed
    assert sum(t.indexed for t in whole.per_index.values()) == whole.indexed
    assert sum(t.failed for t in whole.per_index.values()) == whole.failed
    assert whole.created == sum(1 for _, g, c in rows if g and c)


def test_fold_counts_rejects_and_payloads_without_mutating_its_input() -> None:
    """Rejects are counted apart from bulk items; the summary passed in is left as it was."""
    start = ReplaySummary(payloads=1, per_index={"a": IndexTally(1, 0)})
    after = fold_results(start, [result("a", True)], [Reject("transform", "bad")], payloads=2)
    assert (after.payloads, after.rejected, after.per_index["a"]) == (3, 1, IndexTally(2, 0))
    assert start.per_index == {"a": IndexTally(1, 0)} and start.payloads == 1


def test_summary_json_round_trip_and_text() -> None:
    """The summary survives JSON (checkpoints store it) and renders one line per index."""
    summary = fold_results(ReplaySummary(), [result("a", True), result("b", False), result("a", True, False)],
                           [Reject("payload", "x")], payloads=2)
    assert ReplaySummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary
    assert render_summary(summary).splitlines() == [
        "payloads 2, attempted 3, indexed 2 (1 new, 1 overwritten), failed 1, rejected 1 (1 unreadable)",
        "  a  indexed        2  failed      0",
        "  b  indexed        0  failed      1",
    ]


def test_unreadable_records_are_counted_apart_and_old_checkpoints_still_load() -> None:
    """Of the rejects, those whose input could not be read are counted too;
    summaries saved before that count read as 0."""
    summary = fold_results(ReplaySummary(), [],
                           [Reject("payload", "x"), Reject("input", "gzip"), Reject("transform", "y")])
    assert (summary.rejected, summary.unreadable) == (3, 2)
    saved = summary.to_json()
    del saved["unreadable"]
    assert ReplaySummary.from_json(saved).unreadable == 0


def test_item_status_of_a_request_failure_without_status_counts_as_500() -> None:
    """An item made for a connection failure (no HTTP status) reads as 500, not a TypeError."""
    item = failed_item('{"index":{"_index":"i","_id":"1"}}', None, "connection refused")
    assert item_status(item) == 500
