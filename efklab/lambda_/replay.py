"""The replay recipe: payload records -> transform -> bulk -> per-item results -> summary.

Sending is a function (``send``: actions in, answers out in order: ``(action, result)`` pairs
or a ``BatchAnswer`` per bulk request), and so are the dead-letter sink and the checkpoint
callback; ``efklab.jobs.replay`` wires them to OpenSearch and files.  Answers come back in input
order, so a payload is complete exactly when its last action is answered; progress is only ever
recorded at such boundaries (see ``efklab.lambda_.checkpoint``).  A payload is accounted as counts
(actions and failures per index, documents created), so a batch whose items all succeeded costs no
object per document.
"""
from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from efklab.cloudwatch.payloads import Payload
from efklab.errors import UsageError
from efklab.lambda_.checkpoint import ReplayProgress
from efklab.lambda_.transform import TransformOptions, compile_options, transform_payload
from efklab.model import UNREADABLE_STAGES, ItemResult, Reject
from efklab.opensearch.batches import CREATED, BatchAnswer
from efklab.opensearch.bulk import BulkAction, dead_letter, fold_tallies, reject_letter
from efklab.prefetch import prefetched

Answer = tuple[BulkAction, ItemResult] | BatchAnswer
Send = Callable[[Iterable[BulkAction]], Iterator[Answer]]
_NOTHING_DONE = ReplayProgress()  # where a replay without a checkpoint starts (frozen, so one is enough)


class LetterSink(Protocol):
    """Where dead letters go: append one JSON record; ``offset`` is the bytes written so far."""

    def write(self, record: dict[str, Any]) -> None: ...

    def offset(self) -> int: ...


@dataclass(slots=True)
class _Pending:
    """A payload whose actions are not all answered yet (mutable, private to one replay)."""

    number: int
    remaining: int
    rejects: list[Reject]
    sent: Counter[str] = field(default_factory=Counter)  # actions per index
    failed: Counter[str] = field(default_factory=Counter)  # failed actions per index
    created: int = 0
    answered: list[tuple[BatchAnswer, int, int] | str] = field(default_factory=list)  # created ids, found lazily

    def created_ids(self) -> Iterator[str]:
        """Ids of this payload's documents the node answered 'created' so far (for a checkpoint mid-payload)."""
        for part in self.answered:
            if isinstance(part, str):
                yield part
                continue
            answer, at, end = part
            statuses = answer.statuses
            yield from (answer.actions[n].id for n in range(at, end) if statuses[n] == CREATED)


def replay_records(
    records: Iterable[Payload | Reject],
    send: Send,
    *,
    options: TransformOptions,
    letters: LetterSink,
    start: ReplayProgress = _NOTHING_DONE,
    on_checkpoint: Callable[[ReplayProgress], None] = lambda _: None,
    on_items: Callable[[int], None] = lambda _: None,
    on_records: Callable[[int], None] = lambda _: None,
    checkpoint_every: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    read_ahead: int = 0,
) -> ReplayProgress:
    """Replay every record after ``start.records_done``; returns the final progress.

    ``send`` answers the actions in order, one ``(action, result)`` at a time or a
    ``BatchAnswer`` for several.  ``on_checkpoint`` is called at payload boundaries (at most
    every ``checkpoint_every`` seconds, and when the replay stops for any reason) with
    everything accounted for so far, and the ids of documents answered "created" in records
    after those.  ``on_records`` is told how many records were completed each time some are.
    ``read_ahead`` > 0 decodes and transforms in a background thread, that many actions per
    batch, while the current bulk request is in flight.

    Resuming (``start``): a document the interrupted run saw created (``start.created_ahead``)
    and answered "updated" now counts as new, so the summary equals an uninterrupted replay's
    as far as the node's answers reached us.
    """
    compile_options(options)  # bad options fail before anything is sent
    pending: deque[_Pending] = deque()
    progress = replace(start, created_ahead=frozenset())
    ahead = set(start.created_ahead)  # ids created by the interrupted run, not yet answered in this one
    last_saved = clock()

    def snapshot() -> ReplayProgress:
        created = set(ahead)
        for waiting in tuple(pending):  # a copy: the read-ahead thread appends payloads as it transforms them
            created.update(waiting.created_ids())
        return replace(progress, created_ahead=frozenset(created))

    def complete_ready() -> None:
        nonlocal progress, last_saved
        if pending and pending[0].remaining == 0:
            summary, done = progress.summary, None
            while pending and pending[0].remaining == 0:
                done = pending.popleft()
                for reject in done.rejects:
                    letters.write(reject_letter(reject))
                summary = fold_tallies(summary, sent=done.sent, failed=done.failed, created=done.created,
                                       rejected=len(done.rejects), payloads=1,
                                       unreadable=sum(r.stage in UNREADABLE_STAGES for r in done.rejects))
            assert done is not None
            on_records(done.number + 1 - progress.records_done)
            progress = ReplayProgress(done.number + 1, summary, letters.offset())
        if clock() - last_saved >= checkpoint_every:
            on_checkpoint(snapshot())
            last_saved = clock()

    def account_one(action: BulkAction, result: ItemResult) -> None:
        complete_ready()  # payloads without actions ahead of this one
        head = pending[0]
        head.remaining -= 1
        seen_created = action.id in ahead
        ahead.discard(action.id)
        if result["ok"]:
            if result.get("result") == "created":
                head.created += 1
                head.answered.append(action.id)
            elif seen_created:
                head.created += 1
        else:
            head.failed[action.index] += 1
            letters.write(dead_letter(result, action.source_line))
        complete_ready()

    def account_batch(answer: BatchAnswer) -> None:
        statuses, failures, at = answer.statuses, answer.failures, 0
        failed_at = sorted(failures)  # positions of failed actions, consumed in order
        next_failure = 0
        while at < len(statuses):
            complete_ready()  # payloads without actions ahead of this one
            head = pending[0]
            end = at + min(head.remaining, len(statuses) - at)
            head.created += statuses[at:end].count(CREATED)  # a failed item never has a 2xx status
            head.answered.append((answer, at, end))
            if ahead:
                head.created += _created_before(answer, at, end, ahead)
            while next_failure < len(failed_at) and failed_at[next_failure] < end:
                n = failed_at[next_failure]
                action = answer.actions[n]
                head.failed[action.index] += 1
                letters.write(dead_letter(failures[n], action.source_line))
                next_failure += 1
            head.remaining -= end - at
            at = end
        complete_ready()

    def actions() -> Generator[BulkAction, None, None]:
        number = -1
        for number, record in enumerate(records):
            if number < start.records_done:
                continue
            if isinstance(record, Reject):
                pending.append(_Pending(number, 0, [record]))
                continue
            sent, rejects = transform_payload(record, options)
            pending.append(_Pending(number, len(sent), rejects, Counter(a.index for a in sent)))
            yield from sent
        if number + 1 < start.records_done:
            raise UsageError(f"the checkpoint counts {start.records_done} records done, but the inputs hold "
                             f"{number + 1}: it belongs to other inputs; delete it to replay from the start")

    produced = prefetched(actions(), batch=read_ahead) if read_ahead > 0 else actions()
    answers = send(produced)
    try:
        for answer in answers:
            if isinstance(answer, BatchAnswer):
                account_batch(answer)
                on_items(len(answer.statuses))
            else:
                account_one(*answer)
                on_items(1)
        complete_ready()
    finally:
        # When the replay stops early: first the sender (which may be reading ``produced`` ahead
        # in a thread of its own), then the read-ahead here.
        if isinstance(answers, Generator):
            answers.close()
        produced.close()
        on_checkpoint(snapshot())
    if pending:  # every action was answered, so nothing can be left waiting
        raise RuntimeError(f"{len(pending)} payload(s) left unaccounted for")
    return progress


def _created_before(answer: BatchAnswer, at: int, end: int, ahead: set[str]) -> int:
    """Of ``answer``'s actions ``at:end``: those answered "updated" that an interrupted run saw created.

    Each id counts once (the first answer in this run), as in an uninterrupted replay where a
    later duplicate of the id overwrites; every id answered here leaves ``ahead``.
    """
    count = 0
    statuses, actions, failures = answer.statuses, answer.actions, answer.failures
    for n in range(at, end):
        doc_id = actions[n].id
        if doc_id in ahead:
            ahead.discard(doc_id)
            count += n not in failures and statuses[n] != CREATED
    return count
