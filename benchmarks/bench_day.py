"""A day of a busy cluster through every stage, at two sizes: wall time and peak memory per stage.

The day comes from ``efklab.samples.day`` (the sample cluster's pods, one payload per log stream
per 5-second flush, deterministic).  Each stage runs in a child process of its own, so its peak
RSS (VmHWM) is its own: generate (payload file), transform (bulk NDJSON to /dev/null), replay
into the node (``--workers 2``), layout (payload fold with ids spilled to disk, compared with the
node), ordering (read back per stream with a point in time; a sample of the newest
``PER_STREAM`` documents of each stream, which the report states) and the retention forecast
(``retention simulate``).  Each row compares the larger day's peak RSS with the smaller day's,
measured in the same run: flat memory means a ratio near 1.  Runs only when asked
(``python -m benchmarks --only day``): the full sizes take an hour on a small machine.
Sizes: ``EFKLAB_BENCH_DAY_EVENTS=SMALL,LARGE`` (default 1,000,000,10,000,000; --quick 20,000,100,000).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import run_cli_measured
from benchmarks.bench_replay import drop
from efklab.adapters.localnode import lifecycle as node
from efklab.jobs.connect import connect
from efklab.jobs.defaults import SEED_POLICY

PER_STREAM = 20_000  # ordering measures the newest this many documents of each stream
WORKERS = 2

_PROBE = (
    "import json, sys, time\n"
    "t = time.perf_counter()\n"
    "exec(sys.argv[1])\n"
    "s = time.perf_counter() - t\n"
    "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "print(json.dumps({'rc': 0, 's': s, 'rss_kib': hwm, **globals().get('extra', {})}), file=sys.stderr)\n"
)

_GENERATE = """
import gzip, json
from efklab.samples.day import DaySpec, day_payloads
with gzip.open(sys.argv[2], "wt", encoding="utf-8", compresslevel=1) as out:
    for payload in day_payloads(DaySpec(events=int(sys.argv[3]))):
        out.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\\n")
"""

_ORDERING = """
from efklab.jobs.ordering import check_order
result = check_order(index=sys.argv[2], opensearch_url=sys.argv[3], per_stream=int(sys.argv[4]))
totals = result.checked.measurement.totals
extra = {"documents": totals["documents"], "sampled": totals.get("sampled"),
         "share_out_of_place": totals["share_out_of_place"]}
"""


def run_python(code: str, *args: str) -> dict[str, Any]:
    """``code`` in a fresh Python process (with ``sys.argv[2:]`` = ``args``): seconds ``s``, peak ``rss_kib``."""
    done = subprocess.run([sys.executable, "-c", _PROBE, code, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    lines = done.stderr.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"stage died: {done.stderr[-800:]}")
    return dict(json.loads(lines[-1]))


def run_cli(args: list[str], ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    measured = run_cli_measured(args)
    if measured["rc"] not in ok:
        raise RuntimeError(f"efklab {' '.join(args[:2])} exited with status {measured['rc']}")
    return dict(measured)


def run_day(url: str, folder: Path, events: int) -> dict[str, dict[str, Any]]:
    """Every stage of one day of ``events`` events: seconds and peak RSS each (and what ordering measured)."""
    payloads = str(folder / f"day-{events}.jsonl.gz")
    prefix = f"benchday{events}"
    pattern = f"{prefix}-*"
    say = lambda text: print(f"bench_day: {events:,} events: {text}", file=sys.stderr, flush=True)
    stages: dict[str, dict[str, Any]] = {}
    steps = {
        "generate": lambda: run_python(_GENERATE, payloads, str(events)),
        "transform": lambda: run_cli(["transform", payloads]),
        "replay": lambda: run_cli(["replay", "--opensearch-url", url, "--prefix", prefix, "--workers", str(WORKERS),
                                   "--dead-letters", str(folder / f"dl-{events}.jsonl"), "--json", payloads]),
        "layout": lambda: run_cli(["layout", "--opensearch-url", url, "--prefix", prefix, "--json", payloads],
                                  ok=(0, 1)),
        "ordering": lambda: run_python(_ORDERING, pattern, url, str(PER_STREAM)),
        "retention": lambda: run_cli(["retention", "simulate", "--policy", str(SEED_POLICY), "--prefix", prefix,
                                      "--json", payloads], ok=(0, 1)),
    }
    for stage, step in steps.items():
        stages[stage] = step()
        say(f"{stage}: {json.dumps(stages[stage])}")  # as it completes: a run cut short still tells
    os.unlink(payloads)
    return stages


def run(quick: bool) -> list[dict[str, Any]]:
    """Per stage: peak RSS at the larger day against the smaller day (flat: ~1), with the wall times."""
    sizes = os.environ.get("EFKLAB_BENCH_DAY_EVENTS") or ("20000,100000" if quick else "1000000,10000000")
    small, large = (int(n) for n in sizes.split(","))
    rows: list[dict[str, Any]] = []
    with node.leased_node() as state, tempfile.TemporaryDirectory() as tmp:
        target = connect(state.url)
        measured: dict[int, dict[str, dict[str, Any]]] = {}
        try:
            for events in (small, large):
                measured[events] = run_day(state.url, Path(tmp), events)
                drop(target.client, target.conn, f"benchday{events}-*")
        finally:
            for events in (small, large):
                drop(target.client, target.conn, f"benchday{events}-*")
    for stage in measured[small]:
        a, b = measured[small][stage], measured[large][stage]
        row: dict[str, Any] = {
            "benchmark": f"day {stage}: peak RSS, {large:,} vs {small:,} events",
            "efklab": round(b["rss_kib"] / 1024, 1), "baseline": round(a["rss_kib"] / 1024, 1),
            "unit": "MiB (stage process)", "ratio": round(b["rss_kib"] / a["rss_kib"], 3),
            "target": "flat (<= 1.3)", "seconds": f"{a['s']:.0f} / {b['s']:.0f}",
            "events_per_s": f"{small / a['s']:,.0f} / {large / b['s']:,.0f}",
        }
        if stage == "ordering":
            row["measured"] = f"{a['documents']:,} / {b['documents']:,} documents"
            row["sampled"] = b.get("sampled") or "all documents"
        rows.append(row)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:] or os.environ.get("EFKLAB_BENCH_QUICK") == "1"):
        print(json.dumps(row))
