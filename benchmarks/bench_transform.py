"""Transform throughput (decode + transform, one process, streaming) against the seed Lambda under node.

Both read the same file of Lambda events (base64 gzip payloads of fluentd-shaped container log
records, some with floats, JSON-in-strings and stack traces) and write the _bulk body to
/dev/null; rounds alternate between the two and each keeps its best.  ``ratio`` is by wall
clock; ``cpu_ratio`` by CPU time (node's counts all its threads), steadier on a busy machine.
Memory: peak RSS of ``efklab transform`` on an input four times larger must stay flat (streaming).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import run_cli_measured
from benchmarks.__main__ import markdown_table
from efklab.jobs.transform import transform_files
from efklab.lambda_.transform import TransformOptions
from efklab.testing import DEFAULT_TIMESTAMP, lambda_event, make_event, make_payload
from tests.conftest import SEED_DOCUMENT
from tests.differential.oracle import extract_seed_lambda

HERE = Path(__file__).resolve().parent
EVENTS_PER_PAYLOAD = 250
NAMESPACES = ("shop", "billing", "search", "kube-system")


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
    """A JSONL file of Lambda events with ``events`` log events; returns the event count."""
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


def time_efklab(path: Path, options: TransformOptions) -> tuple[int, float, float]:
    """(events, wall seconds, CPU seconds) of the ``efklab transform`` recipe over the file, body to /dev/null."""
    started, cpu_started = time.perf_counter(), time.process_time()
    with open(os.devnull, "wb") as sink:
        counts = transform_files([str(path)], write=sink.write, mode=options.mode,
                                 index_strategy=options.index_strategy, prefix=options.prefix, tz=options.tz)
    assert counts.unreadable == 0
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
    """(events, wall seconds, CPU seconds of all its threads) for the seed's transform under node."""
    done = subprocess.run(["node", str(HERE / "seed_baseline.js"), str(module), str(path)], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout)
    return int(result["events"]), float(result["seconds"]), float(result["cpu_seconds"])


def peak_rss_mb(path: Path) -> float:
    """Peak RSS of ``efklab transform --mode seed FILE > /dev/null`` in a fresh process."""
    measured = run_cli_measured(["transform", "--mode", "seed", "-q", str(path)])
    if measured["rc"] != 0:
        raise RuntimeError(f"efklab transform exited with status {measured['rc']}")
    return measured["rss_kib"] / 1024


def run(quick: bool) -> list[dict[str, Any]]:
    events = 20_000 if quick else 100_000
    rounds = 2 if quick else 3
    with tempfile.TemporaryDirectory(prefix="efklab-bench-") as tmp:
        work = Path(tmp)
        data = work / "events.jsonl"
        write_events(data, events)
        module = seed_module(work)
        wall: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for _ in range(rounds):  # alternate, keep each one's best round
            for name, options in (("seed", TransformOptions(mode="seed")), ("opensearch", TransformOptions())):
                n, seconds, cpu_seconds = time_efklab(data, options)
                assert n == events
                wall[name] = min(wall.get(name, seconds), seconds)
                cpu[name] = min(cpu.get(name, cpu_seconds), cpu_seconds)
            if module is not None:
                n, seconds, cpu_seconds = time_node(module, data)
                assert n == events
                wall["node"] = min(wall.get("node", seconds), seconds)
                cpu["node"] = min(cpu.get("node", cpu_seconds), cpu_seconds)
        small, large = work / "small.jsonl", work / "large.jsonl"
        write_events(small, events // 4, seed=1)
        write_events(large, events, seed=1)
        rss_small, rss_large = peak_rss_mb(small), peak_rss_mb(large)
    rows: list[dict[str, Any]] = []
    node_rate = events / wall["node"] if "node" in wall else None
    for name, target in (("seed", ">= 1.0"), ("opensearch", ">= seed mode")):
        rate = events / wall[name]
        rows.append({
            "benchmark": f"transform --mode {name}: decode + transform",
            "efklab": rate,
            "baseline": node_rate,
            "unit": "events/s",
            "ratio": rate / node_rate if node_rate else None,
            "target": target,
            "baseline_is": "seed Lambda under node" if node_rate else "skipped: no seed document",
            "cpu_ratio": cpu["node"] / cpu[name] if "node" in cpu else None,
            "events": events,
        })
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
