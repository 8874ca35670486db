"""Several bulk requests in flight: answers handed out in input order, so checkpoints only ever record a prefix."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.errors import RemoteError
from efklab.lambda_.checkpoint import ReplayProgress
from efklab.lambda_.replay import replay_records
from efklab.lambda_.transform import BulkAction, TransformOptions
from efklab.opensearch.batches import Batch, BatchAnswer, answered_in_order, batch_actions
from tests.unit.lambda_.test_replay import MemoryLetters, node_send, records
from tests.unit.opensearch.test_batches import action

DELAYS = st.lists(st.sampled_from([0.0, 0.0005, 0.002, 0.004]), min_size=1, max_size=6)


def node_answer(batch: Batch) -> BatchAnswer:
    """What ``node_send`` answers, for a whole batch: documents with "bad" in them fail with 400."""
    statuses = [400 if "bad" in a.source_line else 201 for a in batch.actions]
    failures: dict[int, Any] = {
        n: {"ok": False, "index": a.index, "id": a.id, "status": 400, "source": a.source, "position": a.position,
            "error": {"type": "mapper_parsing_exception", "reason": "conflict"}}
        for n, a in enumerate(batch.actions) if statuses[n] == 400}
    return BatchAnswer(batch.actions, statuses, failures)


class Recorder:
    """An answer function that takes a while (per-batch delays) and records how many ran at once."""

    def __init__(self, delays: list[float], fail_at: int | None = None) -> None:
        self.delays, self.fail_at = delays, fail_at
        self.lock = threading.Lock()
        self.running = self.most = self.calls = 0
        self.finished: list[str] = []

    def __call__(self, batch: Batch) -> BatchAnswer:
        with self.lock:
            number = self.calls
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.delays[number % len(self.delays)])
            if self.fail_at is not None and number >= self.fail_at:
                raise RemoteError("cannot reach http://127.0.0.1:9: Connection refused")
            return node_answer(batch)
        finally:
            with self.lock:
                self.running -= 1
                self.finished.append(batch.actions[0].id)


def concurrent_send(size: int, answer: Callable[[Batch], BatchAnswer],
                    workers: int) -> Callable[[Iterable[BulkAction]], Iterator[BatchAnswer]]:
    def send(actions: Iterable[BulkAction]) -> Iterator[BatchAnswer]:
        return answered_in_order(batch_actions(actions, max_count=size, max_bytes=1 << 20), answer, workers=workers)

    return send


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=6), DELAYS)
def test_answers_come_in_input_order_with_at_most_workers_in_flight(count: int, workers: int,
                                                                    delays: list[float]) -> None:
    made: list[int] = []
    batches = (made.append(n) or Batch([action(n)], b"") for n in range(count))
    recorder = Recorder(delays)
    answered = []
    for answer in answered_in_order(batches, recorder, workers=workers):
        answered.append(answer.actions[0].id)
        assert len(made) - len(answered) <= 2 * workers  # made ahead of the answers handed out: bounded
    assert answered == [f"id{n}" for n in range(count)]
    assert recorder.most <= workers


def test_a_later_answer_that_completes_first_waits_for_the_earlier_one() -> None:
    first_may_finish = threading.Event()
    finished: list[int] = []

    def answer(batch: Batch) -> BatchAnswer:
        n = int(batch.actions[0].id[2:])
        if n == 0:
            assert first_may_finish.wait(10)
        elif n == 2:
            first_may_finish.set()  # batches 1 and 2 are done before batch 0
        finished.append(n)
        return node_answer(batch)

    answers = answered_in_order((Batch([action(n)], b"") for n in range(4)), answer, workers=3)
    assert [a.actions[0].id for a in answers] == ["id0", "id1", "id2", "id3"]
    assert finished.index(0) > finished.index(1)


def test_the_first_failure_in_input_order_stops_and_nothing_more_is_sent() -> None:
    recorder = Recorder([0.001], fail_at=5)
    answered = []
    with pytest.raises(RemoteError):
        for answer in answered_in_order((Batch([action(n)], b"") for n in range(100)), recorder, workers=3):
            answered.append(answer.actions[0].id)
    assert answered == [f"id{n}" for n in range(5)]
    assert recorder.calls <= 5 + 2 * 3  # only the window made ahead was ever sent


def test_workers_must_be_at_least_one() -> None:
    with pytest.raises(ValueError):
        list(answered_in_order(iter([]), node_answer, workers=0))


def prefix_progress(done: int) -> ReplayProgress:
    """What a one-request replay has accounted for after exactly the first ``done`` records."""
    return replay_records(records()[:done], node_send(), options=TransformOptions(), letters=MemoryLetters())


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=4), st.integers(min_value=2, max_value=5), DELAYS,
       st.none() | st.integers(min_value=0, max_value=6))
def test_checkpoints_of_a_concurrent_replay_record_only_a_prefix_and_resume_exactly(
        size: int, workers: int, delays: list[float], fail_at: int | None) -> None:
    """Whatever order the answers complete in, every checkpoint holds exactly the first N records' accounting,
    and resuming from the last one (after a failure) ends as an uninterrupted one-request replay."""
    whole_letters = MemoryLetters()
    whole = replay_records(records(), node_send(), options=TransformOptions(), letters=whole_letters)
    saved: list[ReplayProgress] = []
    letters = MemoryLetters()
    with contextlib.suppress(RemoteError):
        replay_records(records(), concurrent_send(size, Recorder(delays, fail_at), workers),
                       options=TransformOptions(), letters=letters, on_checkpoint=saved.append, checkpoint_every=0.0)
    assert saved and [p.records_done for p in saved] == sorted(p.records_done for p in saved)
    for progress in saved:
        expected = prefix_progress(progress.records_done)
        assert (progress.summary, progress.letters_offset) == (expected.summary, expected.letters_offset)
    if fail_at is None:
        assert saved[-1].summary == whole.summary and letters.records == whole_letters.records
        return
    resumed_letters = letters.truncated(saved[-1].letters_offset)
    resumed = replay_records(records(), concurrent_send(size, Recorder(delays), workers), options=TransformOptions(),
                             letters=resumed_letters, start=saved[-1])
    assert resumed == whole and resumed_letters.records == whole_letters.records
