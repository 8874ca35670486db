"""``efklab samples`` throughput: the pipeline emulation and the generator, against baselines in the same run.

Input: a generated sample set (``--events`` 4,000 quick, 40,000 full; about 2 lines per
statement) written to a temp dir as docker json-file logs.
pipeline: ``samples payloads`` in process with the seed's config: read and parse each line,
kubernetes_metadata, record_transformer, concat with its timer, the CloudWatch plugin's
batching and delivery, payload JSON text.  Baseline: the least any such tool does per line,
``json.loads`` of the Docker line plus ``json.dumps`` of one message per line.
generate: ``generate_containers`` + rendering the Docker lines; baseline: ``json.dumps`` of a
record of the same content per line.  Times are CPU seconds of this process (best of rounds).
Targets are regression floors set below the first measurements on a 2-core machine (pipeline
0.11-0.13x, about 28-32k lines/s; generator 0.11-0.12x): both >= 0.08x.  The pipeline does
about ten stages' work per line; the generator writes its text with Python's random, while its
baseline only encodes text that already exists.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from efklab.cloudwatch.payloads import payload_json
from efklab.fluentd.config.find import load_config
from efklab.fluentd.pipeline import PipelineOptions, run_pipeline
from efklab.fluentd.routing import plan_routes
from efklab.jobs.pipeline import read_container_logs
from efklab.samples.generate import SampleSpec, generate_containers, render_log

ROOT = Path(__file__).resolve().parents[1]


def _best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    best, n = float("inf"), 0
    for _ in range(repeat):
        start = time.process_time()
        n = fn()
        best = min(best, time.process_time() - start)
    return best, n


def run(quick: bool) -> list[dict[str, Any]]:
    """Two rows: pipeline lines/s and generator lines/s, each with its baseline and ratio."""
    events = 4_000 if quick else 40_000
    spec = SampleSpec(seed=5, events=events, days=3, recent_days=3, old_day_events=0)
    routes = plan_routes(load_config(ROOT / "data" / "samples" / "fluentd.yaml"), {"CLUSTER_NAME": "MyClusterName"})
    repeat = 2 if quick else 3
    with tempfile.TemporaryDirectory(prefix="efklab-bench-samples-") as tmp:
        logs = generate_containers(spec)
        files = []
        for log in logs:
            path = Path(tmp) / log.file_name
            path.write_text(render_log(log), encoding="utf-8")
            files.append((str(path), f"containers/{log.file_name}"))

        def pipeline() -> int:
            result = run_pipeline(read_container_logs(files, routes), routes, PipelineOptions(seed=1))
            for delivery in result.deliveries:
                payload_json(delivery.payload)
            return result.lines

        def pipeline_baseline() -> int:
            n = 0
            for path, _ in files:
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"))
                        n += 1
            return n

        def generate() -> int:
            return sum(len(render_log(log).splitlines()) for log in generate_containers(spec))

        def generate_baseline() -> int:
            n = 0
            for log in logs:
                for line in log.lines:
                    json.dumps({"log": line.text + "\n", "stream": line.stream, "time": line.time_ns},
                               separators=(",", ":"))
                    n += 1
            return n

        rows = []
        for name, fn, base, target in (("samples pipeline (seed config)", pipeline, pipeline_baseline, 0.08),
                                       ("samples generate", generate, generate_baseline, 0.08)):
            t_base, n_base = _best(base, repeat)
            t_ours, n_ours = _best(fn, repeat)
            ours, baseline = n_ours / t_ours, n_base / t_base
            rows.append({"benchmark": name, "efklab": ours, "baseline": baseline, "unit": "lines/s",
                         "ratio": ours / baseline, "target": f">= {target}x", "lines": n_ours,
                         "ok": ours / baseline >= target})
    return rows


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(json.dumps(row))
