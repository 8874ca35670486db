"""Replay throughput against the node's own bulk ingest, serial and parallel, and replay memory at two sizes.

Baselines, measured in the same run: the same ``_bulk`` bodies, pre-rendered, POSTed to the same
node over keep-alive ``http.client`` connections (one, or N in N threads: no decode, no
transform, no result handling), and opensearch-py's ``parallel_bulk`` (N threads) fed the same
transform's actions from the same file (what a user would write instead of ``efklab replay``).
efklab: the replay recipe exactly as ``efklab replay [--workers N]`` wires it (read, decode,
transform, bodies rendered in the read-ahead thread, bulk with retries, accounting per payload,
answers committed in input order), in process so the fixed cost of starting Python is not
counted.  Rounds interleave the variants into fresh indices so load from elsewhere on the machine
hits all alike; medians are compared and the spread of the per-round ratios is reported.  The
parallel rows run on the checkout's node and on a 3-node cluster started for the run in a state
folder of its own (small heaps), stopped afterwards.
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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from opensearchpy.helpers import parallel_bulk

from benchmarks import run_cli_measured
from efklab.adapters.localnode import lifecycle as node
from efklab.adapters.opensearch import BulkSettings, delete_indices, send_batches
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.cloudwatch.payloads import Payload
from efklab.errors import RemoteError
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


def post_raw(url: str, bodies: list[bytes], connections: int = 1) -> float:
    """Seconds to POST every body to ``_bulk`` over ``connections`` keep-alive connections (one thread each,
    taking the next body as soon as its answer is read); every response must be error-free."""
    parts = urlsplit(url)
    queue = iter(bodies)
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        try:
            while True:
                with lock:
                    body = next(queue, None)
                if body is None:
                    return
                connection.request("POST", "/_bulk", body=body, headers={"Content-Type": "application/x-ndjson"})
                answer = json.loads(connection.getresponse().read())
                if answer.get("errors"):
                    errors.append("the raw bulk baseline had item errors")
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(errors[0])
    return elapsed


def run_replay(url: str, path: Path, prefix: str, workers: int = 1) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `efklab replay` in a child process."""
    measured = run_cli_measured(["replay", "--opensearch-url", url, "--prefix", prefix, "--json",
                                 "--workers", str(workers), str(path)])
    if measured["rc"] != 0:
        raise RuntimeError(f"replay of {path} exited with status {measured['rc']}")
    return float(measured["s"]), int(measured["rss_kib"])


def replay_in_process(client: Any, conn: Any, path: Path, prefix: str, workers: int = 1) -> tuple[float, int]:
    """Seconds and documents of the replay recipe as the CLI wires it (streaming bulk, read-ahead, accounting)."""
    letters = _NoLetters()
    started = time.perf_counter()
    progress = replay_records(
        iter_payload_records([str(path)]),
        lambda actions: send_batches(client, conn, actions, settings=BulkSettings(), sleep=time.sleep,
                                     read_ahead=READ_AHEAD, workers=workers),
        options=TransformOptions(prefix=prefix), letters=letters,
    )
    if progress.summary.failed or progress.summary.rejected:
        raise RuntimeError(f"the replay had failures: {progress.summary}")
    return time.perf_counter() - started, progress.summary.indexed


def parallel_bulk_in_process(client: Any, path: Path, prefix: str, workers: int) -> tuple[float, int]:
    """Seconds and documents of opensearch-py's ``parallel_bulk`` over the transform's actions of ``path``."""
    options = TransformOptions(prefix=prefix)

    def actions() -> Iterator[Any]:
        for record in iter_payload_records([str(path)]):
            if isinstance(record, Payload):
                yield from transform_payload(record, options)[0]

    settings = BulkSettings()
    started = time.perf_counter()
    indexed = 0
    for ok, item in parallel_bulk(client, actions(), thread_count=workers, chunk_size=settings.chunk_size,
                                  max_chunk_bytes=settings.chunk_bytes,
                                  expand_action_callback=lambda a: (a.action_line, a.source_line)):
        if not ok:
            raise RuntimeError(f"parallel_bulk item failed: {item}")
        indexed += 1
    return time.perf_counter() - started, indexed


class _NoLetters:
    def write(self, record: dict[str, Any]) -> None:
        raise RuntimeError(f"unexpected dead letter: {record}")

    def offset(self) -> int:
        return 0


def drop(client: Any, conn: Any, pattern: str) -> None:
    """Delete a round's indices; a node busy with other work may time out a delete, so try again."""
    for attempt in range(6):
        try:
            delete_indices(client, conn, pattern)
            return
        except RemoteError:
            if attempt == 5:
                raise
            time.sleep(10)


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def serial_rows(url: str, client: Any, conn: Any, data: Path, events: int, rounds: int) -> list[dict[str, Any]]:
    """One connection: the replay recipe vs raw ``_bulk`` of the same bodies (interleaved rounds)."""
    raw_rates, replay_rates = [], []
    for n in range(rounds):
        bodies, docs = render_bodies(data, f"benchraw{n}")
        raw_rates.append(docs / post_raw(url, bodies))
        del bodies
        seconds, indexed = replay_in_process(client, conn, data, f"benchreplay{n}")
        replay_rates.append(indexed / seconds)
        for prefix in (f"benchraw{n}", f"benchreplay{n}"):
            drop(client, conn, f"{prefix}-*")
    raw, replayed = statistics.median(raw_rates), statistics.median(replay_rates)
    return [{"benchmark": f"replay throughput ({events} docs, median of {rounds})", "efklab": round(replayed),
             "baseline": round(raw), "unit": "docs/s (baseline: raw _bulk of the same bodies)",
             "ratio": round(replayed / raw, 3), "target": ">= 0.8",
             "spread": _spread([r / b for r, b in zip(replay_rates, raw_rates, strict=True)])}]


def parallel_rows(url: str, client: Any, conn: Any, data: Path, events: int, rounds: int, workers: int,
                  cluster: str) -> list[dict[str, Any]]:
    """``--workers N`` vs raw ``_bulk`` over N connections and vs ``parallel_bulk`` with N threads."""
    rates: dict[str, list[float]] = {"raw": [], "replay": [], "parallel_bulk": []}
    for n in range(rounds):
        order = ("raw", "replay", "parallel_bulk") if n % 2 == 0 else ("parallel_bulk", "replay", "raw")
        for variant in order:  # alternating order: neither baseline always runs on a warmer node
            prefix = f"benchp{variant.replace('_', '')}{n}"
            if variant == "raw":
                bodies, docs = render_bodies(data, prefix)
                rates["raw"].append(docs / post_raw(url, bodies, workers))
                del bodies
            elif variant == "replay":
                seconds, docs = replay_in_process(client, conn, data, prefix, workers)
                rates["replay"].append(docs / seconds)
            else:
                seconds, docs = parallel_bulk_in_process(client, data, prefix, workers)
                rates["parallel_bulk"].append(docs / seconds)
            drop(client, conn, f"{prefix}-*")
    median = {k: statistics.median(v) for k, v in rates.items()}
    ratios = {k: [r / b for r, b in zip(rates["replay"], rates[k], strict=True)] for k in ("raw", "parallel_bulk")}
    title = f"replay --workers {workers}, {cluster} ({events} docs, median of {rounds})"
    return [
        {"benchmark": f"{title} vs raw _bulk", "efklab": round(median["replay"]), "baseline": round(median["raw"]),
         "unit": f"docs/s (baseline: raw _bulk of the same bodies over {workers} connections)",
         "ratio": round(median["replay"] / median["raw"], 3), "target": ">= 0.9", "spread": _spread(ratios["raw"])},
        {"benchmark": f"{title} vs parallel_bulk", "efklab": round(median["replay"]),
         "baseline": round(median["parallel_bulk"]),
         "unit": f"docs/s (baseline: opensearch-py parallel_bulk, {workers} threads, same actions)",
         "ratio": round(median["replay"] / median["parallel_bulk"], 3), "target": ">= 1.0",
         "spread": _spread(ratios["parallel_bulk"])},
    ]


@contextmanager
def three_node_cluster() -> Iterator[str]:
    """A 3-node local cluster in a state folder of its own (EFKLAB_BENCH_CLUSTER_DIR, else a temporary one),
    384 MiB heap each; stopped and wiped afterwards."""
    folder = os.environ.get("EFKLAB_BENCH_CLUSTER_DIR") or tempfile.mkdtemp(prefix="efklab-bench-n3-")
    settings = node.load_settings({**os.environ, "EFKLAB_STATE_DIR": folder,
                                   "EFKLAB_OPENSEARCH_HEAP": os.environ.get("EFKLAB_BENCH_CLUSTER_HEAP", "384m")})
    say: Callable[[str], None] = lambda text: print(f"bench_replay: {text}", file=sys.stderr, flush=True)
    state, _ = node.up(settings, nodes=3, say=say)
    try:
        yield state.url
    finally:
        node.down(settings, wipe=True)


def run(quick: bool) -> list[dict[str, Any]]:
    """Throughput ratios (medians of interleaved rounds), serial and parallel on 1 and 3 nodes; peak memory."""
    events, rounds = (20_000, 3) if quick else (100_000, 5)
    small, large = (20_000, 100_000) if quick else (100_000, 1_000_000)
    workers = int(os.environ.get("EFKLAB_BENCH_WORKERS", "4"))
    rows: list[dict[str, Any]] = []
    with node.leased_node() as state, tempfile.TemporaryDirectory() as tmp:
        target = connect(state.url)
        client, conn = target.client, target.conn
        prefixes = ["benchwarm"]
        try:
            data = write_payloads(Path(tmp) / "payloads.jsonl", events)
            replay_in_process(client, conn, write_payloads(Path(tmp) / "warm.jsonl", 5_000), "benchwarm")  # JIT, caches
            rows += serial_rows(state.url, client, conn, data, events, rounds)
            rows += parallel_rows(state.url, client, conn, data, events, rounds, workers, "1 node")
            for count in sorted({1, workers}):  # the default, and the parallel replay
                rss = {}
                for size in (small, large):
                    prefixes.append(f"benchmem{size}")
                    _, rss[size] = run_replay(state.url, write_payloads(Path(tmp) / f"m{size}.jsonl", size),
                                              f"benchmem{size}", count)
                    drop(client, conn, f"benchmem{size}-*")
                rows.append({"benchmark": f"replay --workers {count} peak RSS, {large} vs {small} events",
                             "efklab": round(rss[large] / 1024, 1),
                             "baseline": round(rss[small] / 1024, 1), "unit": "MiB (efklab replay process)",
                             "ratio": round(rss[large] / rss[small], 3), "target": "<= 1.2 and < 300 MiB"})
        finally:
            for prefix in prefixes:
                drop(client, conn, f"{prefix}-*")
        if os.environ.get("EFKLAB_BENCH_SKIP_CLUSTER") != "1":
            with three_node_cluster() as url:
                cluster = connect(url)
                replay_in_process(cluster.client, cluster.conn, Path(tmp) / "warm.jsonl", "benchwarm")
                drop(cluster.client, cluster.conn, "benchwarm-*")
                rows += parallel_rows(url, cluster.client, cluster.conn, data, events, rounds, workers, "3 nodes")
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:] or os.environ.get("EFKLAB_BENCH_QUICK") == "1"):
        print(json.dumps(row))
