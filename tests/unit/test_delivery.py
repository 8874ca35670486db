"""Item-level bulk delivery (efklab.delivery): retry only what may succeed, account for every action.

These pin the policy over scripted ``_bulk`` answers; the same code runs against the real
node in tests/integration/test_lambda_handler.py.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.delivery import (
    BulkResponse,
    RetryPolicy,
    chunk_actions,
    dead_letter_record,
    deliver,
    is_retryable,
    render_body,
    summarize,
)
from efklab.errors import BulkError


@dataclass(frozen=True)
class A:
    index: str
    id: str
    action_line: str
    source_line: str


def act(i: int, index: str = "logs-2024.05.06", size: int = 10) -> A:
    return A(index, str(i), json.dumps({"index": {"_index": index, "_id": str(i)}}), json.dumps({"n": i, "pad": "x" * size}))


class Scripted:
    """Answers each _bulk body by looking up the status of every action id in ``script(id, attempt)``."""

    def __init__(self, script: Callable[[str, int], int]) -> None:
        self.script = script
        self.bodies: list[list[str]] = []
        self.seen: dict[str, int] = {}

    def __call__(self, body: bytes) -> BulkResponse:
        lines = body.decode().splitlines()
        ids = [json.loads(line)["index"]["_id"] for line in lines[0::2]]
        self.bodies.append(ids)
        items = []
        for i in ids:
            self.seen[i] = self.seen.get(i, 0) + 1
            status = self.script(i, self.seen[i])
            error = None if status < 300 else {"type": "mapper_parsing_exception" if status == 400 else "es_rejected_execution_exception", "reason": "r"}
            items.append({"index": {"_id": i, "status": status, **({"error": error} if error else {})}})
        return BulkResponse(200, json.dumps({"errors": True, "items": items}).encode())


POLICY = RetryPolicy(attempts=4, base=0.5, cap=8.0)


def test_only_failed_items_are_sent_again() -> None:
    """A 429 item is retried alone; items that succeeded are not re-sent."""
    send = Scripted(lambda i, n: 429 if i == "1" and n == 1 else 201)
    waits: list[float] = []
    report = deliver([act(0), act(1), act(2)], send, policy=POLICY, sleep=waits.append)
    assert send.bodies == [["0", "1", "2"], ["1"]]
    assert [o.status for o in report.outcomes] == [201, 201, 201]
    assert (report.rounds, report.requests, report.retried_items, waits) == (2, 2, 1, [0.5])


def test_a_4xx_item_is_final_and_never_retried() -> None:
    """A mapping conflict (400) is an outcome at once: retrying cannot fix it."""
    send = Scripted(lambda i, n: 400 if i == "1" else 201)
    report = deliver([act(0), act(1)], send, policy=POLICY, sleep=lambda s: None)
    assert send.bodies == [["0", "1"]]
    assert [(o.status, o.attempts) for o in report.outcomes] == [(201, 1), (400, 1)]


def test_retries_stop_after_the_attempts_with_exponential_waits() -> None:
    """An item that keeps failing with 503 is tried `attempts` times, waits doubling up to the cap."""
    send = Scripted(lambda i, n: 503)
    waits: list[float] = []
    report = deliver([act(0)], send, policy=RetryPolicy(attempts=5, base=1.0, cap=4.0), sleep=waits.append)
    assert waits == [1.0, 2.0, 4.0, 4.0]
    assert [(o.status, o.attempts) for o in report.outcomes] == [(503, 5)]


def test_a_request_level_5xx_retries_the_whole_chunk() -> None:
    """When the request itself fails (502), every action of it is retryable."""
    answers = iter([BulkResponse(502, b"bad gateway")])

    def send(body: bytes) -> BulkResponse:
        try:
            return next(answers)
        except StopIteration:
            n = len(body.decode().splitlines()) // 2
            return BulkResponse(200, json.dumps({"items": [{"index": {"status": 201}}] * n}).encode())

    report = deliver([act(0), act(1)], send, policy=POLICY, sleep=lambda s: None)
    assert [o.status for o in report.outcomes] == [201, 201] and report.retried_items == 2


def test_a_connection_failure_is_retryable() -> None:
    """Status 0 (no answer) is retried like a 503."""
    assert is_retryable(0) and is_retryable(429) and is_retryable(500) and not is_retryable(400) and not is_retryable(409)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_stop_delivery(status: int) -> None:
    """401/403 on the request is a configuration problem: a BulkError, not per-item dead letters."""
    with pytest.raises(BulkError, match=f"HTTP {status}"):
        deliver([act(0)], lambda body: BulkResponse(status, b"{}"), policy=POLICY, sleep=lambda s: None)


def test_a_request_level_400_fails_each_item_with_the_reason() -> None:
    """A body the node rejects as a whole (e.g. _type on OpenSearch 2.x) gives every item that 400 and reason."""
    reason = {"error": {"type": "illegal_argument_exception", "reason": "Action/metadata line [1] contains an unknown parameter [_type]"}, "status": 400}
    report = deliver([act(0), act(1)], lambda body: BulkResponse(400, json.dumps(reason).encode()), policy=POLICY, sleep=lambda s: None)
    assert [(o.status, o.error["type"]) for o in report.outcomes] == [(400, "illegal_argument_exception")] * 2


def test_a_response_with_the_wrong_item_count_is_an_error() -> None:
    """Outcomes are never guessed: a response that does not match the request fails loudly."""
    with pytest.raises(BulkError, match="1 items for 2 actions"):
        deliver([act(0), act(1)], lambda body: BulkResponse(200, b'{"items":[{"index":{"status":201}}]}'), policy=POLICY, sleep=lambda s: None)


def test_chunks_respect_bytes_and_count_and_keep_order() -> None:
    """Chunks never exceed max bytes (unless one action alone does) or max actions, and concatenate to the input."""
    actions = [act(i, size=i * 7) for i in range(40)]
    chunks = chunk_actions(actions, max_bytes=400, max_actions=5)
    assert [a for c in chunks for a in c] == actions
    for c in chunks:
        assert len(c) <= 5
        assert len(c) == 1 or len(render_body(c)) <= 400


def test_summary_counts_without_reasons_and_dead_letter_keeps_the_document() -> None:
    """The log summary has counts and error types only; the dead letter has the document and the node's reason."""
    send = Scripted(lambda i, n: 400 if i == "1" else 201)
    report = deliver([act(0), act(1)], send, policy=POLICY, sleep=lambda s: None)
    summary = summarize(report)
    assert summary["indexed"] == 1 and summary["failed_by_status"] == {"400": 1} and summary["failed_by_type"] == {"mapper_parsing_exception": 1}
    assert '"pad"' not in json.dumps(summary)
    letter = dead_letter_record(report.outcomes[1], {"request_id": "r1"})
    assert letter["document"] == act(1).source_line and letter["error"]["reason"] == "r" and letter["status"] == 400


@given(st.lists(st.lists(st.sampled_from([201, 200, 400, 409, 429, 500, 503]), min_size=1, max_size=5), max_size=25), st.integers(1, 4))
@settings(max_examples=200, deadline=None)
def test_every_action_gets_exactly_one_outcome(scripts: list[list[int]], attempts: int) -> None:
    """Conservation: one outcome per action, in input order; success iff some attempt within the limit got 2xx."""
    actions = [act(i) for i in range(len(scripts))]
    send = Scripted(lambda i, n: scripts[int(i)][min(n, len(scripts[int(i)])) - 1])
    report = deliver(actions, send, policy=RetryPolicy(attempts=attempts, max_actions=3), sleep=lambda s: None)
    assert [o.action for o in report.outcomes] == actions
    for i, outcome in enumerate(report.outcomes):
        tried = [scripts[i][min(n, len(scripts[i])) - 1] for n in range(1, outcome.attempts + 1)]
        assert tried[-1] == outcome.status and all(is_retryable(s) for s in tried[:-1])
        assert outcome.attempts == attempts or not is_retryable(outcome.status)
