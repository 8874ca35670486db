"""The replay recipe: payload records -> transform -> bulk -> per-item results -> summary.

Sending is a function (``send``: actions in, ``(action, result)`` out, in order), and so are
the dead-letter sink and the checkpoint callback; the CLI wires them to OpenSearch and files.
Results come back in input order, so a payload is complete exactly when its last action is
answered; progress is only ever recorded at such boundaries (see ``efklab.checkpoint``).
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from efklab.bulk import dead_letter, fold_results, reject_letter
from efklab.checkpoint import ReplayProgress
from efklab.model import ItemResult, Reject
from efklab.payloads import Payload
from efklab.prefetch import prefetched
from efklab.transform import BulkAction, TransformOptions, compile_options, transform_payload

Send = Callable[[Iterable[BulkAction]], Iterator[tuple[BulkAction, ItemResult]]]


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
    results: list[ItemResult] = field(default_factory=list)


def replay_records(
    records: Iterable[Payload | Reject],
    send: Send,
    *,
    options: TransformOptions,
    letters: LetterSink,
    start: ReplayProgress = ReplayProgress(),
    on_checkpoint: Callable[[ReplayProgress], None] = lambda _: None,
    on_items: Callable[[int], None] = lambda _: None,
    checkpoint_every: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    read_ahead: int = 0,
) -> ReplayProgress:
    """Replay every record after ``start.records_done``; returns the final progress.

    ``on_checkpoint`` is called at payload boundaries (at most every ``checkpoint_every``
    seconds, and when the replay stops for any reason) with everything accounted for so far.
    ``read_ahead`` > 0 decodes and transforms in a background thread, that many actions per
    batch, while the current bulk request is in flight.
    """
    compile_options(options)  # bad options fail before anything is sent
    pending: deque[_Pending] = deque()
    progress = start
    last_saved = clock()

    def complete_ready() -> None:
        nonlocal progress, last_saved
        while pending and pending[0].remaining == 0:
            done = pending.popleft()
            for reject in done.rejects:
                letters.write(reject_letter(reject))
            summary = fold_results(progress.summary, done.results, done.rejects, payloads=1)
            progress = ReplayProgress(done.number + 1, summary, letters.offset())
        if clock() - last_saved >= checkpoint_every:
            on_checkpoint(progress)
            last_saved = clock()

    def actions() -> Generator[BulkAction, None, None]:
        for number, record in enumerate(records):
            if number < start.records_done:
                continue
            if isinstance(record, Reject):
                pending.append(_Pending(number, 0, [record]))
                continue
            sent, rejects = transform_payload(record, options)
            pending.append(_Pending(number, len(sent), rejects))
            yield from sent

    produced = prefetched(actions(), batch=read_ahead) if read_ahead > 0 else actions()
    try:
        for action, result in send(produced):
            complete_ready()  # payloads without actions ahead of this one
            head = pending[0]
            head.results.append(result)
            head.remaining -= 1
            if not result["ok"]:
                letters.write(dead_letter(result, action.source_line))
            on_items(1)
            complete_ready()
        complete_ready()
    finally:
        produced.close()  # stops the read-ahead thread when the replay stops early
        on_checkpoint(progress)
    if pending:  # every action was answered, so nothing can be left waiting
        raise RuntimeError(f"{len(pending)} payload(s) left unaccounted for")
    return progress
