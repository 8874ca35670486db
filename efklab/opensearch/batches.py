"""Bulk actions in batches: chunked by count and bytes, rendered once, answered as a whole.

A batch's body is rendered to UTF-8 bytes once, when the batch is closed, and sent as is; only
items the node asks us to retry (429/5xx) are ever rendered again.  The node's answer is kept
per batch (every action's status, a full result only for the failures), so the all-ok path
costs one list of integers per request instead of an object per document.  Sans-I/O: the HTTP
call is the ``post`` function, the clock is ``sleep``.  ``answered_in_order`` keeps several
requests in flight (threads, as opensearch-py's ``parallel_bulk`` does) and still hands the
answers out in input order, so whoever accounts them sees exactly the single-request sequence.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from efklab.model import ItemResult
from efklab.opensearch.bulk import BulkAction, RetryPolicy, send_with_retries

# What per-item accounting reads from a ``_bulk`` answer (``filter_path``): whether anything failed,
# each item's status (201 created, 200 overwritten) and the error of a failed one.  Index and id
# come from the action itself (items answer in request order), which keeps the answer small.
RESPONSE_FILTER = "errors,items.*.status,items.*.error"
CREATED = 201


@dataclass(frozen=True, slots=True)
class Batch:
    """Consecutive actions and their ``_bulk`` body (UTF-8, every line newline-terminated)."""

    actions: Sequence[BulkAction]
    body: bytes


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """The outcome of one batch: every action's final status, in order, and a result for each failure.

    A status of 0 means the request got no usable answer (none at all, or one that was not a complete
    bulk response: the failure says why).
    """

    actions: Sequence[BulkAction]
    statuses: Sequence[int]
    failures: Mapping[int, ItemResult]  # position in ``actions`` -> the failed item's result

    def results(self) -> Iterator[tuple[BulkAction, ItemResult]]:
        """``(action, result)`` for every action, as opensearch-py's streaming bulk would report them."""
        failures = self.failures
        for n, (action, status) in enumerate(zip(self.actions, self.statuses, strict=True)):
            failed = failures.get(n)
            if failed is not None:
                yield action, failed
            else:
                yield action, {"ok": True, "index": action.index, "id": action.id, "status": status,
                               "result": "created" if status == CREATED else "updated",
                               "source": action.source, "position": action.position}


def line_bytes(line: str) -> int:
    """UTF-8 length of ``line`` (ASCII text, the usual case, is known without encoding)."""
    return len(line) if line.isascii() else len(line.encode("utf-8", "surrogatepass"))


def render_body(actions: Sequence[BulkAction]) -> bytes:
    """The ``_bulk`` body of ``actions`` as bytes."""
    lines: list[str] = []
    add = lines.append
    for action in actions:
        add(action.action_line)
        add(action.source_line)
    lines.append("")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def batch_actions(actions: Iterable[BulkAction], *, max_count: int, max_bytes: int) -> Generator[Batch, None, None]:
    """Batches of at most ``max_count`` actions and ``max_bytes`` of body (a larger single action goes alone).

    Greedy: each batch takes actions until the next would break a limit.  The usual case, a
    full count under the byte limit, is rendered and measured in one go; only a batch that
    comes out too large is cut action by action.
    """
    if max_count < 1 or max_bytes < 1:
        raise ValueError("max_count and max_bytes must be at least 1")
    source = iter(actions)
    chunk: list[BulkAction] = []
    while True:
        chunk += islice(source, max_count - len(chunk))
        if not chunk:
            return
        body = render_body(chunk)
        if len(body) <= max_bytes:
            yield Batch(chunk, body)
            chunk = []
            continue
        cut = _fitting(chunk, max_bytes)
        yield Batch(chunk[:cut], render_body(chunk[:cut]))
        chunk = chunk[cut:]


def _fitting(chunk: Sequence[BulkAction], max_bytes: int) -> int:
    """How many leading actions of ``chunk`` fit in ``max_bytes`` of body (at least one)."""
    size = 0
    for n, action in enumerate(chunk):
        size += line_bytes(action.action_line) + line_bytes(action.source_line) + 2
        if size > max_bytes:
            return max(n, 1)
    return len(chunk)


def answer_batch(
    batch: Batch,
    post: Callable[[str | bytes], object],  # the parsed answer, or a RequestFailure
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    bad_answer_fatal: bool = True,
) -> BatchAnswer:
    """Send ``batch`` (its rendered body first, only retried items re-rendered) and read the answer per batch.

    ``bad_answer_fatal``: an endpoint that keeps answering with something that is not a bulk
    response stops the caller (RemoteError) instead of failing the batch's actions.
    """
    actions = batch.actions
    items = send_with_retries(_LazyPairs(actions), post, policy=policy, sleep=sleep, first_body=batch.body,
                              bad_answer_fatal=bad_answer_fatal)
    statuses = [_status(info) for item in items for info in item.values()]
    failures = {n: failure_result(actions[n], items[n]) for n, status in enumerate(statuses) if not 200 <= status < 300}
    return BatchAnswer(actions, statuses, failures)


def answered_in_order(batches: Iterable[Batch], answer: Callable[[Batch], BatchAnswer], *,
                      workers: int) -> Generator[BatchAnswer, None, None]:
    """``answer(batch)`` for every batch, up to ``workers`` at a time in threads; the answers in input order.

    Answers may complete out of order; each is handed out only once every earlier one has been,
    so a caller recording progress records a prefix of the input.  At most ``2 * workers``
    batches are made and not yet handed out (memory stays bounded); batches are made in the
    caller's thread while requests are in flight.  The first failure (in input order) is raised
    when its turn comes; stopping early cancels the batches not yet sent and waits for those in
    flight.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    limit = 2 * workers
    window: deque[Future[BatchAnswer]] = deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="efklab-bulk")
    try:
        for batch in batches:
            window.append(pool.submit(answer, batch))
            while window and (len(window) >= limit or window[0].done()):
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def failure_result(action: BulkAction, item: Mapping[str, Any]) -> ItemResult:
    """Our record of a failed item: the action's index and id, the node's status and error as reported."""
    info = next(iter(item.values()))
    return {"ok": False, "index": action.index, "id": action.id, "status": _status(info), "error": info.get("error"),
            "source": action.source, "position": action.position}


def _status(info: Mapping[str, Any]) -> int:
    status = info.get("status")
    return status if type(status) is int else 0


class _LazyPairs(Sequence[tuple[str, str]]):
    """The (action line, source line) pairs of a batch, made only when a retry needs them."""

    __slots__ = ("_actions",)

    def __init__(self, actions: Sequence[BulkAction]) -> None:
        self._actions = actions

    def __len__(self) -> int:
        return len(self._actions)

    def __getitem__(self, n: Any) -> Any:
        if isinstance(n, slice):
            return [(a.action_line, a.source_line) for a in self._actions[n]]
        action = self._actions[n]
        return action.action_line, action.source_line
