"""Transform throughput against the seed Lambda's own code under node, on two corpora.

Corpora (same event count, written once per run): ``benign``, fluentd-shaped container records
that are mostly plain text lines, and ``insights`` (benchmarks/corpus_insights.py), shaped like
Container Insights traffic: structured logs with floats, integer-like keys, integers past
2**53 and nested objects, performance records, ``extractedFields``, stack traces, non-ASCII.

Two kinds of rows per corpus, all against node running the seed's ``transform()`` over the same
file of Lambda events (base64 gzip payloads), the ``_bulk`` body going to /dev/null:

* warm: the ``efklab transform`` recipe inside this process vs node's own timing of its loop
  (decode + transform, after start-up);
* whole process: ``python -m efklab transform --mode M -q FILE > /dev/null`` vs
  ``node seed_baseline.js SEED FILE``, each timed from outside (start-up, read, decode,
  transform, write).

Rounds alternate between the contenders and each keeps its best.  ``ratio`` is by wall clock;
``cpu_ratio`` by CPU time (node's counts all its threads), steadier on a busy machine.
Memory: peak RSS of ``efklab transform`` on an input four times larger must stay flat (streaming).
"""
from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import run_cli_measured
from benchmarks.__main__ import markdown_table
from benchmarks.corpus_insights import write_insights_events
from efklab.jobs.transform import transform_files
from efklab.lambda_.transform import TransformOptions
from efklab.testing import DEFAULT_TIMESTAMP, lambda_event, make_event, make_payload
from tests.conftest import SEED_DOCUMENT
from tests.differential.oracle import extract_seed_lambda

HERE = Path(__file__).resolve().parent
EVENTS_PER_PAYLOAD = 250
NAMESPACES = ("shop", "billing", "search", "kube-system")
MODES = ("seed", "opensearch")
CORPORA: dict[str, Callable[[Path, int], int]] = {}  # filled below: name -> writer(path, events)


def make_records(rng: random.Random, count: int, start: int) -> list[dict[str, Any]]:
    """Container log records as fluent-plugin-cloudwatch-logs ships them (the message is the record JSON)."""
    records = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.05:
            log = f"2021-04-28 09:09:{i % 60:02d}.{i % 1000:03d} ERROR [main] c.e.Svc - failed\n" + "".join(
                f"\tat com.example.Svc.step{j}(Svc.java:{100 + j})\n" for j in range(rng.randint(3, 12))
            )
        elif roll < 0.10:
            log = json.dumps({"level": "info", "msg": "handled", "path": f"/api/items/{i}", "status": 200}) + "\n"
        else:
            log = (f"(I) 09:09:04[{i % 1000:03d}] GET /api/items/{i} 200 {rng.randint(1, 900)}ms "
                   f"user={rng.getrandbits(32):08x}\n")
        record: dict[str, Any] = {
            "log": log,
            "stream": "stdout" if roll > 0.03 else "stderr",
            "docker": {"container_id": f"{rng.getrandbits(256):064x}"},
            "kubernetes": {
                "container_name": "api",
                "namespace_name": NAMESPACES[i % len(NAMESPACES)],
                "pod_name": f"api-7d9f8c6b5-{rng.getrandbits(20):05x}",
                "container_image": "registry.example/api:1.4.2",
                "pod_id": f"{rng.getrandbits(128):032x}",
                "host": f"ip-10-0-{i % 250}-{(i * 7) % 250}.ec2.internal",
                "labels": {"app": "api", "pod-template-hash": "7d9f8c6b5"},
            },
        }
        if roll > 0.95:
            record["latency_s"] = rng.random()  # floats take the JS-exact printing path
        records.append(record)
    return records


def write_events(path: Path, events: int, seed: int = 0) -> int:
    """A JSONL file of Lambda events with ``events`` log events (the benign corpus); returns the event count."""
    rng = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        while written < events:
            n = min(EVENTS_PER_PAYLOAD, events - written)
            ns = NAMESPACES[(written // EVENTS_PER_PAYLOAD) % len(NAMESPACES)]
            evs = [
                make_event(record, timestamp=DEFAULT_TIMESTAMP + written + i, sequence=written + i)
                for i, record in enumerate(make_records(rng, n, written))
            ]
            payload = make_payload(evs, log_group=f"/aws/containerinsights/lab/application/{ns}/api")
            out.write(json.dumps(lambda_event(payload)) + "\n")
            written += n
    return written


CORPORA.update({"benign": write_events, "insights": write_insights_events})


def time_efklab(path: Path, options: TransformOptions) -> tuple[int, float, float]:
    """(events, wall seconds, CPU seconds) of the ``efklab transform`` recipe over the file, body to /dev/null."""
    started, cpu_started = time.perf_counter(), time.process_time()
    with open(os.devnull, "wb") as sink:
        counts = transform_files([str(path)], write=sink.write, mode=options.mode,
                                 index_strategy=options.index_strategy, prefix=options.prefix, tz=options.tz)
    assert counts.unreadable == 0 and counts.rejects == 0
    return counts.events, time.perf_counter() - started, time.process_time() - cpu_started


def seed_module(workdir: Path) -> Path | None:
    """The seed Lambda's code as a node module exporting transform, or None without the seed document."""
    if not SEED_DOCUMENT.is_file():
        return None
    module = workdir / "seed-lambda.js"
    module.write_text(extract_seed_lambda(SEED_DOCUMENT.read_text(encoding="utf-8"))
                      + "module.exports = { transform: transform };\n")
    return module


def time_node(module: Path, path: Path) -> tuple[int, float, float]:
    """(events, wall seconds, CPU seconds of all its threads) of node's loop, as node times it (warm)."""
    done = subprocess.run(["node", str(HERE / "seed_baseline.js"), str(module), str(path)], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout)
    return int(result["events"]), float(result["seconds"]), float(result["cpu_seconds"])


def time_process(argv: list[str]) -> tuple[str, float, float]:
    """(stdout, wall seconds, CPU seconds of the process and all its threads) of a whole process, from outside."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    node = argv[0] == "node"  # node prints its count; efklab's body goes to /dev/null, as node's does
    done = subprocess.run(argv, stdout=subprocess.PIPE if node else subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (done.stdout or b"").decode(), wall, cpu


def efklab_argv(mode: str, path: Path) -> list[str]:
    """``efklab transform`` as a user runs it (the console script is ``python -m efklab``)."""
    return [sys.executable, "-m", "efklab", "transform", "--mode", mode, "-q", str(path)]


def peak_rss_mb(path: Path) -> float:
    """Peak RSS of ``efklab transform --mode seed FILE > /dev/null`` in a fresh process."""
    measured = run_cli_measured(["transform", "--mode", "seed", "-q", str(path)])
    if measured["rc"] != 0:
        raise RuntimeError(f"efklab transform exited with status {measured['rc']}")
    return measured["rss_kib"] / 1024


class Best:
    """The best (smallest) wall and CPU seconds of each contender over the rounds."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def keep(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = min(self.wall.get(name, wall), wall)
        self.cpu[name] = min(self.cpu.get(name, cpu), cpu)


def measure_corpus(path: Path, events: int, module: Path | None, rounds: int) -> Best:
    """Alternate warm and whole-process rounds of efklab (both modes) and node over one file."""
    best = Best()
    for _ in range(rounds):
        for mode in MODES:
            n, wall, cpu = time_efklab(path, TransformOptions(mode=mode))
            assert n == events
            best.keep(f"warm {mode}", wall, cpu)
            _, wall, cpu = time_process(efklab_argv(mode, path))
            best.keep(f"process {mode}", wall, cpu)
        if module is not None:
            n, wall, cpu = time_node(module, path)
            assert n == events
            best.keep("warm node", wall, cpu)
            out, wall, cpu = time_process(["node", str(HERE / "seed_baseline.js"), str(module), str(path)])
            assert json.loads(out)["events"] == events
            best.keep("process node", wall, cpu)
    return best


def corpus_rows(corpus: str, events: int, best: Best) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for kind, what in (("process", "whole process"), ("warm", "decode + transform, warm")):
        node = f"{kind} node"
        node_rate = events / best.wall[node] if node in best.wall else None
        for mode in MODES:
            name = f"{kind} {mode}"
            rate = events / best.wall[name]
            rows.append({
                "benchmark": f"transform --mode {mode}, {corpus} corpus: {what}",
                "efklab": rate,
                "baseline": node_rate,
                "unit": "events/s",
                "ratio": rate / node_rate if node_rate else None,
                "target": ">= 1.0",
                "baseline_is": (f"seed Lambda under node ({what})" if node_rate else "skipped: no seed document"),
                "cpu_ratio": best.cpu[node] / best.cpu[name] if node in best.cpu else None,
                "events": events,
            })
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    events = 20_000 if quick else 100_000
    rounds = 2 if quick else 3
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="efklab-bench-") as tmp:
        work = Path(tmp)
        module = seed_module(work)
        for corpus, write in CORPORA.items():
            data = work / f"{corpus}.jsonl"
            write(data, events)
            rows.extend(corpus_rows(corpus, events, measure_corpus(data, events, module, rounds)))
            data.unlink()
        small, large = work / "small.jsonl", work / "large.jsonl"
        write_events(small, events // 4, seed=1)
        write_events(large, events, seed=1)
        rss_small, rss_large = peak_rss_mb(small), peak_rss_mb(large)
    rows.append({
        "benchmark": "transform peak RSS, 4x input vs 1x",
        "efklab": rss_large,
        "baseline": rss_small,
        "unit": "MB",
        "ratio": rss_large / rss_small,
        "target": "<= 1.2 (flat)",
        "events": f"{events // 4} vs {events}",
    })
    return rows


if __name__ == "__main__":
    print(markdown_table(run("--quick" in sys.argv)))
