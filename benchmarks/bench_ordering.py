"""Ordering measurement throughput (``ordering.measure_order``) against baselines in the same run.

Input: a deterministic Discover-like display of N documents over 20 streams (a newest-first
list with same-millisecond ties shown shard by shard, as the node returns them), with
provenance (event id -> file:line).  efklab: ``measure_order`` end to end (truth ranks,
inversions, lines out of place, ties, causes' counts).  Baseline over the same documents:
sorting them by their truth key (the least any comparison with the truth must do).  CPU
seconds of this process, best of interleaved rounds.
Target: >= 0.05x the sort baseline (measuring is ~ a dozen passes over the data) and
>= 100k documents/s absolute, so a million-line replay is measured in seconds.
"""
from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from efklab.ordering.measure import Shown, SourceRef, measure_order


def display(n: int, seed: int = 7) -> tuple[list[Shown], dict[str, tuple[SourceRef, ...]]]:
    """A newest-first list of ``n`` documents in 20 streams with ties in shard order, and their provenance."""
    rng = random.Random(seed)
    docs, provenance = [], {}
    ms = 1_619_575_744_000
    for number in range(n):
        ms += rng.choice((0, 0, 1, 3, 17))
        stream = f"containers/app-{number // 50 % 20}.log"  # runs of 50 lines from one container
        ident = f"{number:056d}"
        provenance[ident] = (SourceRef(stream, number + 1),)
        docs.append(Shown(ident, ms, stream=stream, index="mydata-x", shard=f"mydata-x/{rng.randrange(3)}",
                          text="\tat com.example.X.y(X.java:1)" if rng.random() < 0.4 else "(I) 11:09:04[301] ok"))
    docs.sort(key=lambda d: (-d.timestamp_ms, d.shard, int(d.id)))  # the node: time desc, then shard, then index order
    return docs, provenance


def _cpu(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows: efklab vs sorting the same documents, and the absolute rate against 100k docs/s."""
    n = 200_000 if quick else 1_000_000
    docs, provenance = display(n)
    t_efk = t_sort = float("inf")
    for _ in range(2 if quick else 3):
        t_sort = min(t_sort, _cpu(lambda: sorted(docs, key=lambda d: (provenance[d.id][0].file,
                                                                      provenance[d.id][0].line))))
        t_efk = min(t_efk, _cpu(lambda: measure_order(docs, provenance)))
    report = measure_order(docs, provenance)
    assert len(report.placed) == n and not report.rejects
    efk, base = n / t_efk, n / t_sort
    return [
        {"benchmark": "ordering measure vs sorting the same documents by truth", "efklab": round(efk),
         "baseline": round(base),
         "unit": "docs/s", "ratio": round(efk / base, 3), "target": 0.05, "documents": n,
         "inversions": report.totals()["inversions"]},
        {"benchmark": "ordering measure absolute rate", "efklab": round(efk), "baseline": 100_000, "unit": "docs/s",
         "ratio": round(efk / 100_000, 3), "target": 1.0, "documents": n},
    ]


if __name__ == "__main__":
    for row in run(quick="--full" not in sys.argv):
        print(json.dumps(row))
