"""Replay throughput against the node's own bulk ingest, and replay memory at two input sizes.

Baseline: the same ``_bulk`` bodies, pre-rendered, POSTed to the same node over one
keep-alive connection with ``http.client`` (no decode, no transform, no result handling).
efklab: the replay recipe exactly as ``efklab replay`` wires it (read, decode, transform, bodies
rendered in the read-ahead thread, bulk with retries, accounting per payload), in process so the
fixed cost of starting Python is not counted.  Rounds alternate raw and replay into fresh indices so load
from elsewhere on the machine hits both alike; medians are compared.
Memory: peak RSS of the ``efklab replay`` command in a child process at two input sizes;
streaming means the larger one costs (almost) no more.
"""
from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks import run_cli_measured
from efklab.adapters.localnode import lifecycle as node
from efklab.adapters.opensearch import BulkSettings, delete_indices, send_batches
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.cloudwatch.payloads import Payload
from efklab.jobs.connect import connect
from efklab.jobs.replay import READ_AHEAD
from efklab.lambda_.replay import replay_records
from efklab.lambda_.transform import TransformOptions, render_bulk, transform_payload
from efklab.testing import DEFAULT_TIMESTAMP, make_event, make_payload

CHUNK = BulkSettings().chunk_size  # the replay's default chunk size, used for the baseline's bodies too
EVENTS_PER_PAYLOAD = 50


def write_payloads(path: Path, events: int) -> Path:
    """Decoded payloads (one JSON per line) of fluentd-shaped records over 4 namespaces and 2 days."""
    with open(path, "w") as out:
        for p in range(0, events, EVENTS_PER_PAYLOAD):
            ns = ("shop", "billing", "auth", "search")[(p // EVENTS_PER_PAYLOAD) % 4]
            start = DEFAULT_TIMESTAMP + (p % 2) * 86_400_000 + p
            evs = [make_event({"log": f"2021-04-28T09:09:04.{i:03d}Z INFO request {p + i} handled in {i % 97} ms "
                               f"path=/api/v1/items/{p + i} status=200\n", "stream": "stdout",
                               "docker": {"container_id": "3f2a9c1b7e4d" * 5},
                               "kubernetes": {"namespace_name": ns, "pod_name": f"api-{p % 7}", "container_name": "api",
                                              "labels": {"app": "api", "tier": "backend"}}},
                              timestamp=start + i, sequence=p + i) for i in range(min(EVENTS_PER_PAYLOAD, events - p))]
            payload = make_payload(evs, log_group=f"/aws/containerinsights/lab/application/{ns}/api",
                                   log_stream=f"api-{p % 7}")
            out.write(json.dumps(payload) + "\n")
    return path


def render_bodies(path: Path, prefix: str) -> tuple[list[bytes], int]:
    """The replay's documents as ``_bulk`` bodies of CHUNK actions each, and how many actions."""
    options = TransformOptions(prefix=prefix)
    bodies: list[bytes] = []
    batch: list[Any] = []
    total = 0
    for record in iter_payload_records([str(path)]):
        if isinstance(record, Payload):
            batch.extend(transform_payload(record, options)[0])
            while len(batch) >= CHUNK:
                bodies.append(render_bulk(batch[:CHUNK]).encode())
                total += CHUNK
                batch = batch[CHUNK:]
    if batch:
        bodies.append(render_bulk(batch).encode())
        total += len(batch)
    return bodies, total


def post_raw(url: str, bodies: list[bytes]) -> float:
    """Seconds to POST every body to ``_bulk`` on one connection; every response must be error-free."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    started = time.perf_counter()
    for body in bodies:
        connection.request("POST", "/_bulk", body=body, headers={"Content-Type": "application/x-ndjson"})
        answer = json.loads(connection.getresponse().read())
        if answer.get("errors"):
            raise RuntimeError("the raw bulk baseline had item errors")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def run_replay(url: str, path: Path, prefix: str) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `efklab replay` in a child process."""
    measured = run_cli_measured(["replay", "--opensearch-url", url, "--prefix", prefix, "--json", str(path)])
    if measured["rc"] != 0:
        raise RuntimeError(f"replay of {path} exited with status {measured['rc']}")
    return float(measured["s"]), int(measured["rss_kib"])


def replay_in_process(client: Any, conn: Any, path: Path, prefix: str) -> tuple[float, int]:
    """Seconds and documents of the replay recipe as the CLI wires it (streaming bulk, read-ahead, accounting)."""
    letters = _NoLetters()
    started = time.perf_counter()
    progress = replay_records(
        iter_payload_records([str(path)]),
        lambda actions: send_batches(client, conn, actions, settings=BulkSettings(), sleep=time.sleep,
                                     read_ahead=READ_AHEAD),
        options=TransformOptions(prefix=prefix), letters=letters,
    )
    if progress.summary.failed or progress.summary.rejected:
        raise RuntimeError(f"the replay had failures: {progress.summary}")
    return time.perf_counter() - started, progress.summary.indexed


class _NoLetters:
    def write(self, record: dict[str, Any]) -> None:
        raise RuntimeError(f"unexpected dead letter: {record}")

    def offset(self) -> int:
        return 0


def run(quick: bool) -> list[dict[str, Any]]:
    """Throughput ratio (replay / raw bulk, medians of interleaved rounds) and peak memory at two sizes."""
    events, rounds = (20_000, 3) if quick else (100_000, 5)
    small, large = (20_000, 100_000) if quick else (100_000, 1_000_000)
    rows: list[dict[str, Any]] = []
    with node.leased_node() as state, tempfile.TemporaryDirectory() as tmp:
        target = connect(state.url)
        client, conn = target.client, target.conn
        prefixes = ["benchwarm"]
        try:
            data = write_payloads(Path(tmp) / "payloads.jsonl", events)
            replay_in_process(client, conn, write_payloads(Path(tmp) / "warm.jsonl", 5_000), "benchwarm")  # JIT, caches
            raw_rates, replay_rates = [], []
            for n in range(rounds):  # interleaved, so load from elsewhere hits both alike
                bodies, docs = render_bodies(data, f"benchraw{n}")
                raw_rates.append(docs / post_raw(state.url, bodies))
                del bodies
                seconds, indexed = replay_in_process(client, conn, data, f"benchreplay{n}")
                replay_rates.append(indexed / seconds)
                for prefix in (f"benchraw{n}", f"benchreplay{n}"):
                    delete_indices(client, conn, f"{prefix}-*")
            raw, replayed = statistics.median(raw_rates), statistics.median(replay_rates)
            rows.append({"benchmark": f"replay throughput ({events} docs, median of {rounds})",
                         "efklab": round(replayed),
                         "baseline": round(raw), "unit": "docs/s (baseline: raw _bulk of the same bodies)",
                         "ratio": round(replayed / raw, 3), "target": ">= 0.8"})
            rss = {}
            for size in (small, large):
                prefixes.append(f"benchmem{size}")
                _, rss[size] = run_replay(state.url, write_payloads(Path(tmp) / f"m{size}.jsonl", size),
                                          f"benchmem{size}")
                delete_indices(client, conn, f"benchmem{size}-*")
            rows.append({"benchmark": f"replay peak RSS, {large} vs {small} events",
                         "efklab": round(rss[large] / 1024, 1),
                         "baseline": round(rss[small] / 1024, 1), "unit": "MiB (efklab replay process)",
                         "ratio": round(rss[large] / rss[small], 3), "target": "<= 1.2 and < 300 MiB"})
        finally:
            for prefix in prefixes:
                delete_indices(client, conn, f"{prefix}-*")
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:] or os.environ.get("EFKLAB_BENCH_QUICK") == "1"):
        print(json.dumps(row))
