"""Sans-I/O bulk indexing: the actions, retries, per-item results, dead letters and the replay summary.

The HTTP call comes in as a function (``post``) and the clock as ``sleep``, so every rule here
(what is retried, how long we wait, how an item failure is reported) is tested without a
network.  Only whole bulk items are ever reported: each action sent ends as exactly one
item, ok or failed with a status and the node's reason.
"""
from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from efklab.errors import RemoteError
from efklab.model import UNREADABLE_STAGES, ItemResult, Reject

Pair = tuple[str, str]  # (action line, source line), both serialised, without newlines
BulkItem = dict[str, Any]  # {"index": {"_index", "_id", "status", "result" | "error", ...}}


@dataclass(frozen=True, slots=True)
class BulkAction:
    """One ``_bulk`` action: the exact serialized lines (no newline) and where the event came from."""

    index: str
    id: str
    action_line: str
    source_line: str
    source: str | None = None  # input file ("-" for stdin)
    position: str | None = None  # e.g. "3:logEvents[12]"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff for 429 and 5xx: ``initial * 2**attempt`` seconds, capped."""

    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        return float(min(self.max_backoff, self.initial_backoff * 2**attempt))


@dataclass(frozen=True, slots=True)
class BulkSettings:
    """Chunking (by count and by bytes) and retries of a streaming bulk.

    4000 documents (a few MiB of typical log documents) per request: fewer, larger requests cost
    the node and us less per document than 1000 did; 8 MiB stays under the 10 MiB request limit
    of the smallest Amazon OpenSearch Service instance types.
    """

    chunk_size: int = 4000
    chunk_bytes: int = 8 * 1024 * 1024
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True, slots=True)
class RequestFailure:
    """A bulk request that got no per-item answer: the status (None: no HTTP answer) and why.

    ``fatal`` failures (unreachable, refused credentials) stop the replay; the others become
    failed items once retries are exhausted.
    """

    status: int | None
    reason: str
    fatal: bool = False


def retryable_status(status: int | None) -> bool:
    """429 (queue full) and 5xx are worth retrying; other statuses will not change by waiting."""
    return status is not None and (status == 429 or 500 <= status < 600)


def split_bulk_body(body: str) -> list[Pair]:
    """The (action, source) pairs of an index-only ``_bulk`` body."""
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) % 2:
        raise ValueError("a bulk body of index actions has an even number of lines")
    return [(lines[i], lines[i + 1]) for i in range(0, len(lines), 2)]


def render_bulk_body(pairs: Iterable[Pair]) -> str:
    """The NDJSON body for ``pairs`` (every line newline-terminated, as ``_bulk`` wants)."""
    return "".join(f"{a}\n{s}\n" for a, s in pairs)


def failed_item(action_line: str, status: int | None, reason: str) -> BulkItem:
    """The item we report for an action whose request failed as a whole."""
    op, meta = next(iter(json.loads(action_line).items()))
    info = {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": status,
            "error": {"type": "request_failed", "reason": reason}}
    return {op: info}


def item_status(item: Mapping[str, Any]) -> int:
    """The HTTP status of one response item (a missing or unknown status counts as 500, as opensearch-py does)."""
    status = next(iter(item.values())).get("status")
    return 500 if status is None else int(status)


def bulk_items(answer: object, expected: int) -> list[BulkItem] | str:
    """The items of a complete ``_bulk`` answer for ``expected`` actions, or why ``answer`` is not one.

    Complete: a JSON object whose ``items`` hold exactly one answer per action, each naming one
    operation with an integer status (a 2xx never carrying an error).  Anything else (a proxy's
    page, ``{"acknowledged": true}``, an empty or cut body, a short list) says nothing about any
    document, so nothing in it may be counted as indexed.
    """
    if not isinstance(answer, Mapping):
        shown = "an empty body" if answer in (None, "", b"") else f"a JSON {type(answer).__name__}"
        return f"not a bulk response ({shown})"
    items = answer.get("items")
    if not isinstance(items, list):
        keys = ", ".join(sorted(str(k) for k in answer)[:5]) or "nothing"
        return f"not a bulk response (no items; it holds {keys})"
    if len(items) != expected:
        return f"the bulk response has {len(items)} items for {expected} actions"
    for n, item in enumerate(items):
        if type(item) is not dict or len(item) != 1:
            return f"bulk response item {n} is not one operation's answer"
        for op, info in item.items():
            if op not in _OPERATIONS or type(info) is not dict or type(info.get("status")) is not int:
                return f"bulk response item {n} has no operation status"
            if 200 <= info["status"] < 300 and "error" in info:
                return f"bulk response item {n} has status {info['status']} and an error"
    return items


_OPERATIONS = frozenset({"index", "create", "update", "delete"})
TOO_LARGE = 413  # the node's http.max_content_length (or a proxy's limit): smaller requests will pass


def send_with_retries(
    pairs: Sequence[Pair],
    post: Callable[[Any], object],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    first_body: str | bytes | None = None,
    bad_answer_fatal: bool = True,
) -> list[BulkItem]:
    """Send ``pairs``; one item per pair, in order, each ok only if the node answered ok for it.

    Retried with backoff: 429/5xx (whole request or single items), no HTTP answer, and an answer
    that is not a complete bulk response (``bulk_items``); such an answer still coming after the
    last retry stops with a RemoteError (``bad_answer_fatal``) or fails every action it was for.
    A request refused as too large (413) is split in halves, each sent on its own, down to single
    actions; a single action still too large fails with 413.  ``first_body``: the body of all
    ``pairs`` already rendered, sent as is on the first attempt (retries and halves render only
    the items they send).
    """
    final: list[BulkItem | None] = [None] * len(pairs)
    groups: deque[tuple[list[int], int]] = deque([(list(range(len(pairs))), 0)] if pairs else [])
    while groups:
        pending, attempt = groups.popleft()
        whole = first_body is not None and attempt == 0 and len(pending) == len(pairs)
        answer = post(first_body if whole else render_bulk_body(pairs[i] for i in pending))
        last_try = attempt >= policy.max_retries
        items = _no_answer(answer) if isinstance(answer, RequestFailure) else bulk_items(answer, len(pending))
        if isinstance(items, str):
            items = RequestFailure(None, f"{items}: nothing in it counts as indexed", fatal=bad_answer_fatal)
        if isinstance(items, RequestFailure):
            failure = items
            if failure.fatal and (failure.status is not None or last_try):
                raise RemoteError(failure.reason)
            if failure.status == TOO_LARGE and len(pending) > 1:
                half = len(pending) // 2
                groups.extendleft([(pending[half:], attempt), (pending[:half], attempt)])
                continue
            if (failure.status is None or retryable_status(failure.status)) and not last_try:
                sleep(policy.delay(attempt))
                groups.appendleft((pending, attempt + 1))
                continue
            for i in pending:
                final[i] = failed_item(pairs[i][0], failure.status, failure.reason)
            continue
        retry: list[int] = []
        for i, item in zip(pending, items, strict=True):
            if not last_try and retryable_status(item_status(item)):
                retry.append(i)
            else:
                final[i] = item
        if retry:
            sleep(policy.delay(attempt))
            groups.appendleft((retry, attempt + 1))
    return [item for item in final if item is not None]


def _no_answer(failure: RequestFailure) -> RequestFailure:
    """A failure reported with a 2xx status (a body that was no bulk answer) is one without a usable status."""
    if failure.status is not None and 200 <= failure.status < 300:
        return replace(failure, status=None)
    return failure


def error_reason(error: Any) -> str:
    """One line from an item's ``error`` object: ``type: reason``, with the root cause when it adds one."""
    if not isinstance(error, Mapping):
        return str(error)
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}".rstrip(": ")
    cause = error.get("caused_by")
    if isinstance(cause, Mapping) and cause.get("reason") and cause.get("reason") != error.get("reason"):
        text += f" (caused by {cause.get('type', 'error')}: {cause['reason']})"
    return " ".join(text.split())


def item_result(ok: bool, item: Mapping[str, Any], *, source: str | None, position: str | int | None) -> ItemResult:
    """Our record of one bulk item, keeping the node's status and error as reported."""
    info = next(iter(item.values()))
    result: ItemResult = {"ok": ok, "index": str(info.get("_index")), "id": info.get("_id"),
                          "status": int(info.get("status") or 0), "source": source, "position": position}
    if not ok:
        result["error"] = info.get("error")
    elif info.get("result"):
        result["result"] = info["result"]
    return result


def dead_letter(result: ItemResult, source_line: str) -> dict[str, Any]:
    """A dead-letter record: the original document, the status and the node's reason."""
    try:
        document: Any = json.loads(source_line)
    except ValueError:
        document = source_line
    return {"stage": "bulk", "index": result.get("index"), "id": result.get("id"), "status": result.get("status"),
            "reason": error_reason(result.get("error")), "error": result.get("error"),
            "source": result.get("source"), "position": result.get("position"), "document": document}


def reject_letter(reject: Reject) -> dict[str, Any]:
    """A dead-letter record for an item that never reached OpenSearch (payload or transform reject)."""
    return reject.to_json()


@dataclass(frozen=True, slots=True)
class IndexTally:
    """Per index: documents indexed (created or overwritten) and failed."""

    indexed: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    """The fold over every outcome of a replay: nothing is counted twice, nothing left out."""

    payloads: int = 0  # input records read (payloads and unreadable records)
    attempted: int = 0  # bulk actions sent
    indexed: int = 0
    created: int = 0  # of indexed: new documents (the rest overwrote the same _id)
    failed: int = 0
    rejected: int = 0  # never sent: payload or transform rejects
    unreadable: int = 0  # of rejected: input records that could not be read at all (bad input)
    per_index: Mapping[str, IndexTally] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"payloads": self.payloads, "attempted": self.attempted, "indexed": self.indexed,
                "created": self.created, "failed": self.failed, "rejected": self.rejected,
                "unreadable": self.unreadable,
                "per_index": {k: {"indexed": v.indexed, "failed": v.failed} for k, v in sorted(self.per_index.items())}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReplaySummary:
        per_index = {k: IndexTally(int(v["indexed"]), int(v["failed"])) for k, v in data.get("per_index", {}).items()}
        return cls(**{k: int(data[k]) for k in ("payloads", "attempted", "indexed", "created", "failed", "rejected")},
                   unreadable=int(data.get("unreadable", 0)), per_index=per_index)


def fold_results(
    summary: ReplaySummary, results: Iterable[ItemResult], rejects: Iterable[Reject] = (), *, payloads: int = 0
) -> ReplaySummary:
    """``summary`` plus a batch of outcomes (typically one payload's); the input summary is unchanged."""
    per_index = dict(summary.per_index)
    attempted = indexed = created = failed = 0
    for result in results:
        attempted += 1
        tally = per_index.get(result["index"], IndexTally())
        if result["ok"]:
            indexed += 1
            created += result.get("result") == "created"
            per_index[result["index"]] = IndexTally(tally.indexed + 1, tally.failed)
        else:
            failed += 1
            per_index[result["index"]] = IndexTally(tally.indexed, tally.failed + 1)
    rejects = list(rejects)
    return replace(
        summary, payloads=summary.payloads + payloads, attempted=summary.attempted + attempted,
        indexed=summary.indexed + indexed, created=summary.created + created, failed=summary.failed + failed,
        rejected=summary.rejected + len(rejects),
        unreadable=summary.unreadable + sum(r.stage in UNREADABLE_STAGES for r in rejects), per_index=per_index,
    )


def fold_tallies(
    summary: ReplaySummary, *, sent: Mapping[str, int], failed: Mapping[str, int], created: int, rejected: int = 0,
    unreadable: int = 0, payloads: int = 0,
) -> ReplaySummary:
    """``summary`` plus outcomes already counted: actions ``sent`` and ``failed`` per index, ``created`` of the indexed.

    The same fold as ``fold_results`` over the results those counts describe, for callers that
    account a whole batch at once instead of one result at a time.
    """
    per_index = dict(summary.per_index)
    for index, count in sent.items():
        bad = failed.get(index, 0)
        tally = per_index.get(index, IndexTally())
        per_index[index] = IndexTally(tally.indexed + count - bad, tally.failed + bad)
    attempted, failures = sum(sent.values()), sum(failed.values())
    return replace(
        summary, payloads=summary.payloads + payloads, attempted=summary.attempted + attempted,
        indexed=summary.indexed + attempted - failures, created=summary.created + created,
        failed=summary.failed + failures, rejected=summary.rejected + rejected,
        unreadable=summary.unreadable + unreadable, per_index=per_index,
    )


def render_summary(summary: ReplaySummary) -> str:
    """The text summary: totals, then one line per index."""
    lines = [
        f"payloads {summary.payloads}, attempted {summary.attempted}, indexed {summary.indexed} "
        f"({summary.created} new, {summary.indexed - summary.created} overwritten), failed {summary.failed}, "
        f"rejected {summary.rejected}" + (f" ({summary.unreadable} unreadable)" if summary.unreadable else ""),
    ]
    width = max((len(k) for k in summary.per_index), default=0)
    for name, tally in sorted(summary.per_index.items()):
        lines.append(f"  {name:<{width}}  indexed {tally.indexed:>8}  failed {tally.failed:>6}")
    return "\n".join(lines)
