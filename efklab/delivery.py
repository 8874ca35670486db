"""Delivering bulk actions with item-level retries: the sans-I/O core of the Python Lambda.

The seed Lambda fails the whole invocation when any item fails, so CloudWatch's retries
re-send every item and a mapping conflict is retried until the batch is dropped.  Here each
item has its own outcome: 2xx is done, 429/5xx is retried alone (exponential backoff),
any other 4xx is final and goes to the dead letters.  ``send`` and ``sleep`` are
parameters, so the policy is tested without a network or a clock.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from efklab.errors import BulkError


class Action(Protocol):
    """What delivery needs of a bulk action (``efklab.transform.BulkAction`` has it)."""

    @property
    def index(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def action_line(self) -> str: ...
    @property
    def source_line(self) -> str: ...


@dataclass(frozen=True, slots=True)
class BulkResponse:
    """One HTTP answer to a ``_bulk`` request (status 0 = no answer: connection failed)."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` sends at most per item, ``base * 2**n`` seconds apart, capped."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0
    max_bytes: int = 5_000_000
    max_actions: int = 5_000

    def delay(self, retry: int) -> float:
        """Seconds before retry round ``retry`` (0-based)."""
        return float(min(self.cap, self.base * (2**retry)))


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final fate of one action."""

    action: Action
    status: int
    error: Any
    attempts: int

    @property
    def ok(self) -> bool:
        """Indexed (2xx)."""
        return 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """Every action's outcome (input order), and how much retrying it took."""

    outcomes: tuple[Outcome, ...]
    rounds: int
    requests: int
    retried_items: int


def is_retryable(status: int) -> bool:
    """429 and 5xx (and no answer at all) may succeed later; other failures will not."""
    return status == 0 or status == 429 or status >= 500


def chunk_actions(actions: Sequence[Action], *, max_bytes: int, max_actions: int) -> list[list[Action]]:
    """Consecutive chunks bounded by body bytes and action count (never empty, never split an action)."""
    chunks: list[list[Action]] = []
    current: list[Action] = []
    size = 0
    for action in actions:
        cost = len(action.action_line.encode()) + len(action.source_line.encode()) + 2
        if current and (size + cost > max_bytes or len(current) >= max_actions):
            chunks.append(current)
            current, size = [], 0
        current.append(action)
        size += cost
    if current:
        chunks.append(current)
    return chunks


def render_body(actions: Iterable[Action]) -> bytes:
    """The NDJSON ``_bulk`` body: action line, source line, each ending in a newline."""
    return "".join(f"{a.action_line}\n{a.source_line}\n" for a in actions).encode("utf-8", "surrogatepass")


def read_item_statuses(chunk: Sequence[Action], response: BulkResponse) -> list[tuple[int, Any]]:
    """(status, error) per action of a chunk; a request-level failure applies to all of them."""
    if response.status in (401, 403):
        raise BulkError(f"the endpoint refused the request (HTTP {response.status}): check signing, the role and the domain's access policy")
    if not 200 <= response.status < 300:
        reason = _request_error(response)
        return [(response.status, reason)] * len(chunk)
    try:
        items = json.loads(response.body)["items"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BulkError(f"unreadable _bulk response (HTTP {response.status}): {exc}") from exc
    if not isinstance(items, list) or len(items) != len(chunk):
        raise BulkError(f"_bulk answered {len(items) if isinstance(items, list) else 'no'} items for {len(chunk)} actions")
    statuses = []
    for item in items:
        (result,) = item.values()
        statuses.append((int(result.get("status", 500)), result.get("error")))
    return statuses


def deliver(actions: Sequence[Action], send: Callable[[bytes], BulkResponse], *, policy: RetryPolicy, sleep: Callable[[float], None]) -> DeliveryReport:
    """Send every action; retry only retryable failures, alone, until they succeed or attempts run out."""
    final: dict[int, Outcome] = {}
    pending = list(range(len(actions)))
    rounds = requests = retried = 0
    while pending:
        rounds += 1
        if rounds > 1:
            retried += len(pending)
            sleep(policy.delay(rounds - 2))
        again: list[int] = []
        for chunk in chunk_actions([_Indexed(i, actions[i]) for i in pending], max_bytes=policy.max_bytes, max_actions=policy.max_actions):
            requests += 1
            response = send(render_body(chunk))
            for entry, (status, error) in zip(chunk, read_item_statuses(chunk, response)):
                index = entry.position
                if is_retryable(status) and rounds < policy.attempts:
                    again.append(index)
                else:
                    final[index] = Outcome(actions[index], status, error, rounds)
        pending = again
    return DeliveryReport(tuple(final[i] for i in range(len(actions))), rounds, requests, retried)


def summarize(report: DeliveryReport) -> dict[str, Any]:
    """Counts for the one-line log: indexed, failed by status and error type (no reasons: they quote documents)."""
    failed = [o for o in report.outcomes if not o.ok]
    return {
        "actions": len(report.outcomes),
        "indexed": len(report.outcomes) - len(failed),
        "failed": len(failed),
        "failed_by_status": dict(sorted(Counter(str(o.status) for o in failed).items())),
        "failed_by_type": dict(sorted(Counter(_error_type(o.error) for o in failed).items())),
        "requests": report.requests,
        "rounds": report.rounds,
        "retried_items": report.retried_items,
        "indices": dict(sorted(Counter(o.action.index for o in report.outcomes if o.ok).items())),
    }


def dead_letter_record(outcome: Outcome, context: Mapping[str, Any]) -> dict[str, Any]:
    """A failed action as a dead letter: the original document, status and the node's reason."""
    return {
        **context,
        "stage": "bulk",
        "status": outcome.status,
        "error": outcome.error,
        "attempts": outcome.attempts,
        "index": outcome.action.index,
        "id": outcome.action.id,
        "action": outcome.action.action_line,
        "document": outcome.action.source_line,
    }


@dataclass(frozen=True, slots=True)
class _Indexed:
    """An action with its position in the input, so outcomes land back in input order."""

    position: int
    action: Action

    @property
    def index(self) -> str:
        return self.action.index

    @property
    def id(self) -> str:
        return self.action.id

    @property
    def action_line(self) -> str:
        return self.action.action_line

    @property
    def source_line(self) -> str:
        return self.action.source_line


def _request_error(response: BulkResponse) -> Any:
    try:
        body = json.loads(response.body)
        return body.get("error", body) if isinstance(body, dict) else body
    except ValueError:
        return {"type": "http_error", "reason": response.body[:300].decode("utf-8", "replace")}


def _error_type(error: Any) -> str:
    if isinstance(error, Mapping):
        return str(error.get("type", "unknown"))
    return "unknown" if error is None else type(error).__name__
