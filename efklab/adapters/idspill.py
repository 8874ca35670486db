"""An id store for the layout fold that spills to disk: exact unique counts of millions of ids in flat memory.

Ids are buffered, and every ``run`` of them is sorted and written to a temporary file; finishing
merges the sorted runs (``heapq.merge``), so each ``(index, id)`` is met once with its earliest
arrival.  Memory is one run plus one line per run file, whatever the number of documents; the
temporary files are removed when the store finishes or is closed.
"""
from __future__ import annotations

import heapq
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from itertools import groupby
from typing import IO

from efklab.lambda_.layout import Arrivals, IndexIds, MemoryIds

_SEP = "\x1f"  # the field separator of a run file; an id or name holding it (or a newline) stays in memory


class SpillingIds:
    """``efklab.lambda_.layout.IdStore`` keeping at most ``run`` ids in memory; the rest in sorted temporary files."""

    def __init__(self, run: int = 200_000, directory: str | None = None) -> None:
        if run < 1:
            raise ValueError("run must be at least 1")
        self._run, self._directory = run, directory
        self._buffer: list[tuple[str, str, int]] = []
        self._files: list[IO[str]] = []
        self._odd = MemoryIds()  # ids that cannot be written as a line of a run file

    def add(self, index: str, doc_id: str, arrival: int) -> None:
        if _SEP in doc_id or "\n" in doc_id or _SEP in index or "\n" in index:
            self._odd.add(index, doc_id, arrival)
            return
        self._buffer.append((index, doc_id, arrival))
        if len(self._buffer) >= self._run:
            self._spill()

    def _spill(self) -> None:
        self._buffer.sort()
        run = tempfile.TemporaryFile("w+", encoding="utf-8", dir=self._directory, prefix="efklab-ids-")  # noqa: SIM115 (kept open until finish)
        run.writelines(f"{i}{_SEP}{d}{_SEP}{a}\n" for i, d, a in self._buffer)
        run.seek(0)
        self._files.append(run)
        self._buffer = []

    def _runs(self) -> list[Iterator[tuple[str, str, int]]]:
        def read(run: IO[str]) -> Iterator[tuple[str, str, int]]:
            for line in run:
                index, doc_id, arrival = line.rstrip("\n").split(_SEP)
                yield index, doc_id, int(arrival)

        self._buffer.sort()
        return [iter(self._buffer), *(read(f) for f in self._files)]

    def finish(self, refused: Mapping[str, set[str]]) -> dict[str, IndexIds]:
        counts: Counter[str] = Counter()
        arrivals: dict[str, Counter[int]] = defaultdict(Counter)
        accepted: dict[str, set[str]] = defaultdict(set)
        try:
            for (index, doc_id), copies in groupby(heapq.merge(*self._runs()), key=lambda t: (t[0], t[1])):
                first = next(copies)[2]  # sorted: the earliest arrival of this id comes first
                counts[index] += 1
                arrivals[index][first] += 1
                if doc_id in refused.get(index, ()):
                    accepted[index].add(doc_id)
        finally:
            self.close()
        for index, odd in self._odd.finish(refused).items():
            counts[index] += odd.count
            arrivals[index].update(dict(odd.arrivals.runs()))
            accepted[index].update(odd.accepted_refused)
        return {index: IndexIds(count, Arrivals(arrivals[index].items()), frozenset(accepted[index]))
                for index, count in counts.items()}

    def close(self) -> None:
        """Remove the temporary files (finishing does it too)."""
        for run in self._files:
            run.close()
        self._files, self._buffer = [], []
