"""Run an iterator ahead in a background thread, so producing items overlaps with waiting on I/O.

The replay decodes and transforms the next payloads while the node is busy with the current
bulk request (the waiting thread releases the GIL).  Items travel in batches through a bounded
queue, so memory stays bounded; an exception in the producer is re-raised in the consumer,
and stopping the consumer early stops the producer.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], *, batch: int = 256, depth: int = 8) -> Generator[T, None, None]:
    """The items of ``items`` in order, produced up to ``batch * depth`` ahead by another thread."""
    if batch < 1 or depth < 1:
        raise ValueError("batch and depth must be at least 1")
    channel: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: object) -> bool:
        while not stop.is_set():
            try:
                channel.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        chunk: list[T] = []
        try:
            for item in items:
                chunk.append(item)
                if len(chunk) >= batch:
                    if not put(chunk):
                        return
                    chunk = []
            if chunk and not put(chunk):
                return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(_Failure(exc))

    worker = threading.Thread(target=produce, name="efklab-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            message = channel.get()
            if message is _DONE:
                return
            if isinstance(message, _Failure):
                raise message.error
            yield from message  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
