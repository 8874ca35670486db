"""``efklab doctor`` on a large docker json-file log, against baselines in the same run.

Input: bench_multiline's deterministic log of the seed's app (100k lines quick, 300k full), the
seed's fluentd.yaml and ISM policy.  Times are CPU seconds of this process, best of interleaved
rounds, each measurement starting from a collected heap.  Rows:
- the checks alone (on inputs already read) vs one concat grouping of the same records: every
  check together should cost no more than ten groupings (target ratio >= 0.1);
- doctor from files (read with the source's <parse>, payloads emulated through the whole pipeline,
  the index layout and mappings predicted from them, every check) vs the pipeline emulation alone
  (``jobs.pipeline.run_config``): reading, layout prediction and checks together should cost no more
  than 1.5 emulations (target ratio >= 0.4).
"""
from __future__ import annotations

import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.bench_multiline import FILE_NAME, write_log
from efklab.doctor.registry import run_checks
from efklab.jobs.doctorinputs import read_inputs
from efklab.jobs.pipeline import run_config
from efklab.multiline.grouping import group_records

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "data" / "samples" / "fluentd.yaml")
POLICY = str(ROOT / "data" / "samples" / "ism-policy.json")


def _cpu(fn: Callable[[], Any]) -> float:
    """CPU seconds of ``fn()``, started from a collected heap.

    Without the collection, whether the cyclic collector's full pass over the large inputs falls
    inside a 0.4 s grouping depends on what ran before it; the best round then compares a grouping
    that skipped it with checks that cannot (they allocate enough for several passes).
    """
    gc.collect()
    start = time.process_time()
    fn()
    return time.process_time() - start


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows: checks vs one grouping; doctor end to end vs the pipeline emulation alone."""
    lines = 100_000 if quick else 300_000
    rounds = 2 if quick else 3
    with tempfile.TemporaryDirectory(prefix="efklab-bench-") as tmp:
        path = str(write_log(Path(tmp) / FILE_NAME, lines))
        inputs = read_inputs(config=CONFIG, logs=[path], policy=POLICY)
        (log,) = inputs.logs
        rule = inputs.config.sites[log.site].rule  # type: ignore[union-attr,index]
        t_group = t_checks = t_pipeline = t_doctor = float("inf")
        for _ in range(rounds):  # interleaved, so a busy moment on the shared machine hurts all alike
            t_group = min(t_group, _cpu(lambda: list(group_records(rule, [log.records]))))
            t_checks = min(t_checks, _cpu(lambda: run_checks(replace(inputs))))
            t_pipeline = min(t_pipeline, _cpu(lambda: run_config([path], CONFIG)))
            t_doctor = min(t_doctor, _cpu(lambda: run_checks(read_inputs(config=CONFIG, logs=[path], policy=POLICY))))
    rate = lambda seconds: lines / seconds
    return [
        {"benchmark": "doctor checks vs one concat grouping of the same lines", "efklab": round(rate(t_checks)),
         "baseline": round(rate(t_group)), "unit": "lines/s", "ratio": round(t_group / t_checks, 3), "target": 0.1,
         "lines": lines},
        {"benchmark": "doctor from files vs the pipeline emulation alone", "efklab": round(rate(t_doctor)),
         "baseline": round(rate(t_pipeline)), "unit": "lines/s", "ratio": round(t_pipeline / t_doctor, 3),
         "target": 0.4,
         "lines": lines},
    ]


if __name__ == "__main__":
    for row in run(quick="--full" not in sys.argv):
        print(json.dumps(row))
