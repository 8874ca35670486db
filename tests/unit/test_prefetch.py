"""Read-ahead in a background thread: same items, same order, errors and early stops handled."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.prefetch import prefetched


@given(st.lists(st.integers()), st.integers(1, 5), st.integers(1, 3))
def test_items_come_out_unchanged_and_in_order(items: list[int], batch: int, depth: int) -> None:
    """Whatever the batch size and queue depth, the consumer sees exactly the producer's items."""
    assert list(prefetched(iter(items), batch=batch, depth=depth)) == items


def test_producer_error_is_raised_in_the_consumer_after_earlier_items() -> None:
    """Items produced before a failure are delivered, then the producer's exception is raised."""
    def broken() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("corrupt input")

    seen = []
    with pytest.raises(ValueError, match="corrupt input"):
        for item in prefetched(broken(), batch=1):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_stops_the_producer() -> None:
    """Closing the consumer (e.g. the node went away) ends the background thread."""
    def endless() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    before = threading.active_count()
    consumer = prefetched(endless(), batch=4, depth=2)
    assert [next(consumer) for _ in range(10)] == list(range(10))
    consumer.close()
    assert threading.active_count() == before


def test_rejects_empty_batches() -> None:
    """A batch or depth below 1 is a programming error."""
    with pytest.raises(ValueError):
        list(prefetched([1], batch=0))
