"""Container log reading and translated Ruby regexps, against baselines measured in the same run.

1. ``containerlogs.read_chunks`` (columns, what ``multiline group`` reads) and ``read_records``
   (one record object per line) over a docker json-file log (the seed's ``<parse> @type json``,
   ``%NZ`` times) vs ``json.loads`` of the same lines (decoding alone).  Target >= 0.5x.
2. ``compile_ruby`` translations of the seed's and AWS's start regexps searched over the same
   ``log`` texts vs Python ``re`` compiled from the Ruby source with re.MULTILINE (the usual
   port).  Target >= 0.8x: faithful semantics (``^`` not after a final newline, ASCII classes)
   must not cost much.
Times are CPU seconds of this process, best of interleaved rounds.
"""
from __future__ import annotations

import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from efklab.fluentd.tail.containerlogs import read_chunks, read_records
from efklab.ruby.regexp import compile_ruby

SEED = r"\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]"
AWS = r"^(date:){0,1}\d{4}[-/]\d{1,2}[-/]\d{1,2}"
NAME = "shop-7d9f8b6c5-x2x9k_default_shop-" + "0123456789abcdef" * 4 + ".log"


def write_log(path: Path, lines: int, seed: int = 7) -> list[str]:
    """A docker json-file log in the seed's app format; returns the `log` texts too."""
    rng = random.Random(seed)
    t = 1_619_608_144_000_000_000
    texts = []
    with open(path, "w", encoding="utf-8") as out:
        for i in range(lines):
            t += rng.randrange(100_000, 20_000_000)
            sec, ns = divmod(t, 1_000_000_000)
            if rng.random() < 0.25:
                text = "\tat com.example.shop.Pay.run(Pay.java:42)\n"
            else:
                text = (f"({rng.choice('DETI')}) {time.strftime('%H:%M:%S', time.gmtime(sec))}"
                        f"[{ns // 1_000_000:03d}] order {i}\n")
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{ns:09d}".rstrip("0") + "Z"
            out.write(json.dumps({"log": text, "stream": "stdout", "time": stamp}, separators=(",", ":")) + "\n")
            texts.append(text)
    return texts


def _best(fn: Callable[[], int], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _matching(search: Callable[[str], object], texts: list[str]) -> Callable[[], int]:
    """A timed body: how many of ``texts`` ``search`` finds a match in."""
    return lambda: sum(1 for t in texts if search(t))


def _rows(lines: int, rounds: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NAME
        texts = write_log(path, lines)

        def read() -> int:
            return sum(1 for _ in read_records(str(path)))

        def read_columns() -> int:
            return sum(len(chunk.times) for chunk in read_chunks(str(path)))

        def decode() -> int:
            loads = json.loads
            with open(path, encoding="utf-8") as f:
                return sum(1 for line in f if loads(line))

        baseline = reader = columns = float("inf")
        for _ in range(rounds):  # interleaved, so a busy moment hurts all alike
            baseline = min(baseline, _best(decode, 1))
            columns = min(columns, _best(read_columns, 1))
            reader = min(reader, _best(read, 1))
        rows = [{"benchmark": f"containerlogs read_chunks, docker json-file, {lines:,} lines",
                 "efklab": lines / columns, "baseline": lines / baseline, "unit": "lines/s",
                 "ratio": baseline / columns, "target": 0.5},
                {"benchmark": f"containerlogs read_records, docker json-file, {lines:,} lines",
                 "efklab": lines / reader, "baseline": lines / baseline, "unit": "lines/s",
                 "ratio": baseline / reader, "target": 0.5}]
        for label, source in (("seed", SEED), ("AWS sample", AWS)):
            ours = compile_ruby(source).compiled.search
            naive = re.compile(source, re.M).search  # a port that only adds MULTILINE
            t_ours = _best(_matching(ours, texts), rounds)
            t_naive = _best(_matching(naive, texts), rounds)
            rows.append({"benchmark": f"translated Ruby regexp search ({label} start regexp)",
                         "efklab": len(texts) / t_ours, "baseline": len(texts) / t_naive, "unit": "lines/s",
                         "ratio": t_naive / t_ours, "target": 0.8})
        return rows


def run(quick: bool) -> list[dict[str, Any]]:
    """Benchmark rows (1M lines, or 200k in quick mode)."""
    return _rows(200_000 if quick else 1_000_000, 2 if quick else 3)


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(json.dumps(row))
