"""``efklab multiline group`` throughput on a large docker json-file log, against baselines in the same run.

Input: a deterministic docker json-file log of the seed's app (``(I) 11:09:04[301] ...`` lines,
some followed by stack-trace lines), >= 1M lines in quick mode too, written to a temp dir.
efklab: the ``group`` command's path end to end, in process (read and parse the docker lines in
chunks, concat with the seed's filter and event-time timeouts, JSON lines written to /dev/null).
Baselines over the same lines: ``json.loads`` of each line (parsing alone), and a Python ``re``
search of the seed's start regexp over each raw line (matching alone, no grouping).
Each is timed in CPU seconds of this process and in wall seconds, best of interleaved rounds:
CPU time is what the code itself needs on a shared machine; wall time is what a user waits.
Targets: >= 0.5x the JSON-decoding baseline, and >= 300k lines/s.
"""
from __future__ import annotations

import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from efklab.fluentd.concat.rule import build_rule
from efklab.multiline.encoding import write_events
from efklab.multiline.grouping import group_chunks, read_log_chunks

SEED_START = r"/\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]/"
FILE_NAME = "shop-7d9f8b6c5-x2x9k_default_shop-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.log"
LEVELS = ("D", "E", "T", "I")
TRACE = ("java.lang.IllegalStateException: connection closed", "\tat com.example.shop.Pay.run(Pay.java:42)",
         "\tat com.example.shop.Queue.take(Queue.java:118)", "\tat java.base/java.lang.Thread.run(Thread.java:829)")


def write_log(path: Path, lines: int, seed: int = 29) -> Path:
    """A docker json-file log: app lines in the seed's format, a third followed by 1-4 trace lines."""
    rng = random.Random(seed)
    t = 1_619_608_144_000_000_000
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < lines:
            t += rng.randrange(200_000, 40_000_000)
            sec = (t // 1_000_000_000) % 86400
            ms = (t // 1_000_000) % 1000
            text = (f"({rng.choice(LEVELS)}) {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}[{ms:03d}] "
                    f"order {written} handled in {rng.randrange(1, 900)} ms user=u{rng.randrange(10_000)}\n")
            body = [text] + ([t_ + "\n" for t_ in TRACE[: rng.randrange(1, 5)]] if rng.random() < 0.33 else [])
            for i, piece in enumerate(body[: lines - written]):  # exactly `lines` lines
                stamp = (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 1_000_000_000))
                         + f".{t % 1_000_000_000 + i:09d}Z")
                out.write(json.dumps({"log": piece, "stream": "stdout", "time": stamp}, separators=(",", ":")) + "\n")
                written += 1
    return path


def _timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    """CPU seconds of this process, wall seconds, and what ``fn`` counted."""
    cpu, wall = time.process_time(), time.perf_counter()
    n = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, n


def _json_baseline(path: Path) -> int:
    loads = json.loads
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            loads(line)
            n += 1
    return n


def _re_baseline(path: Path) -> int:
    search = re.compile(SEED_START[1:-1], re.M).search
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            search(line)
            n += 1
    return n


def _efklab(path: Path) -> int:
    rule = build_rule({"key": "log", "multiline_start_regexp": SEED_START, "separator": "", "flush_interval": "5",
                       "timeout_label": "@NORMAL"})
    with open(os.devnull, "wb") as sink:
        _, lines = write_events(group_chunks(rule, [read_log_chunks(str(path), fmt="docker")]), sink)
    return lines


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows, in CPU and in wall time: efklab vs the JSON-decoding baseline, vs the regexp-search
    baseline, and vs 300k lines/s."""
    lines = 1_000_000 if quick else 2_000_000
    repeat = 2 if quick else 3
    subjects = {"json": _json_baseline, "re": _re_baseline, "efklab": _efklab}
    best = {name: [float("inf"), float("inf")] for name in subjects}
    with tempfile.TemporaryDirectory(prefix="efklab-bench-") as tmp:
        path = write_log(Path(tmp) / FILE_NAME, lines)
        for _ in range(repeat):  # interleaved rounds, so a busy moment hurts all three alike
            for name, fn in subjects.items():
                cpu, wall, n = _timed(partial(fn, path))
                assert n == lines, (name, n, lines)
                best[name] = [min(best[name][0], cpu), min(best[name][1], wall)]
    rows = []
    for i, clock in enumerate(("CPU", "wall")):
        efk, js, rx = (lines / best[name][i] for name in ("efklab", "json", "re"))
        rows += [
            {"benchmark": f"multiline group vs json.loads of the same lines ({clock} time)", "efklab": round(efk),
             "baseline": round(js), "unit": "lines/s", "ratio": round(efk / js, 3), "target": 0.5, "lines": lines},
            {"benchmark": f"multiline group vs re.search of the start regexp ({clock} time)", "efklab": round(efk),
             "baseline": round(rx), "unit": "lines/s", "ratio": round(efk / rx, 3), "target": None, "lines": lines},
            {"benchmark": f"multiline group absolute rate ({clock} time)", "efklab": round(efk), "baseline": 300_000,
             "unit": "lines/s", "ratio": round(efk / 300_000, 3), "target": 1.0, "lines": lines},
        ]
    return rows


if __name__ == "__main__":
    for row in run(quick="--full" not in sys.argv):
        print(json.dumps(row))
