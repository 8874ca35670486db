"""Layout and retention forecasting speed, against baselines measured in the same run.

1. ``expect_layout`` (transform + per-index fold + dynamic-mapping prediction) on deterministic
   payloads, against the transform plus ``json.loads`` of every source line (the least any
   layout needs).  Target: >= 0.33x, i.e. the layout costs at most three times that.
2. Forecasting the seed policy for many daily indices with the closed-form run arithmetic of
   ``efklab.retention.schedule``, against walking the ISM job run by run (5-minute runs for 30 days).
   Target: >= 100x.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from efklab.cloudwatch.payloads import decode_payload
from efklab.lambda_.layout import expect_layout
from efklab.lambda_.transform import TransformOptions, transform_payload
from efklab.retention.attachment import IndexFacts, attach_policy
from efklab.retention.policy import load_policy
from efklab.retention.schedule import JobSettings, forecast_index
from efklab.testing import make_event, make_payload

ROOT = Path(__file__).resolve().parents[1]
START = 1_622_505_600_000  # 2021-06-01T00:00:00Z
DAY = 86_400_000


def _payloads(streams: int, days: int, per_payload: int) -> list[Any]:
    records = []
    for stream in range(streams):
        group = f"/aws/containerinsights/bench/application/ns{stream % 5}/app{stream}"
        for day in range(days):
            at = START + day * DAY
            events = [make_event({"log": f"GET /orders/{k} 200\n", "stream": "stdout", "status": 200, "ms": k * 0.5,
                                  "kubernetes": {"pod_name": f"app{stream}-x", "host": "ip-10-0-0-1"},
                                  "time": "2021-06-01T00:00:00Z"},
                                 timestamp=at + k, sequence=k) for k in range(per_payload)]
            payload = make_payload(events, log_group=group)
            records.append(decode_payload(payload, source="bench", position=len(records) + 1))
    return records


def _best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Best wall time of ``repeat`` runs (the least disturbed by other work on a shared machine)."""
    best, n = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        n = fn()
        best = min(best, time.perf_counter() - start)
    return best, n


def _transform_baseline(records: list[Any]) -> int:
    options, loads, n = TransformOptions(), json.loads, 0
    for record in records:
        for action in transform_payload(record, options)[0]:
            loads(action.source_line)
            n += 1
    return n


def _layout(records: list[Any]) -> int:
    layout = expect_layout(records, TransformOptions(), explicit_mappings={"@timestamp": "date", "@id": "keyword"})
    return sum(i.events for i in layout.indices)


def _forecast(indices: int, walk: bool) -> int:
    policy = load_policy((ROOT / "data" / "samples" / "ism-policy.json").read_bytes())
    settings = JobSettings()
    age = 30 * DAY
    done = 0
    for n in range(indices):
        facts = IndexFacts(f"mydata-ns-app-{n}", START + n * 60_000)
        attachment = attach_policy(facts, [policy])
        if walk:  # run by run: init, then a transition attempt per run until the age is reached, then delete
            run = 2
            while attachment.attached_at + run * settings.interval_ms - facts.creation_date < age:
                run += 1
            done += run + 1 > 2
        else:
            done += forecast_index(facts, attachment, policy, settings).deletion is not None
    return done


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows: layout vs transform+parse, and closed-form forecasts vs a run-by-run walk."""
    streams, days, per_payload = (20, 5, 200) if quick else (40, 10, 250)
    repeat = 2 if quick else 3
    records = _payloads(streams, days, per_payload)
    t_base, n_base = _best(lambda: _transform_baseline(records), repeat)
    t_layout, n_layout = _best(lambda: _layout(records), repeat)
    assert n_base == n_layout == streams * days * per_payload, (n_base, n_layout)
    indices = 200 if quick else 1000  # the walk is slow; the closed form gets 20x more indices to time well
    t_walk, n_walk = _best(lambda: _forecast(indices, walk=True), repeat)
    t_closed, n_closed = _best(lambda: _forecast(20 * indices, walk=False), repeat)
    assert (n_walk, n_closed) == (indices, 20 * indices)
    layout_rate, base_rate = n_layout / t_layout, n_base / t_base
    closed_rate, walk_rate = n_closed / t_closed, n_walk / t_walk
    return [
        {"benchmark": "layout (transform + fold + mapping prediction) vs transform + json.loads",
         "efklab": round(layout_rate),
         "baseline": round(base_rate), "unit": "docs/s", "ratio": round(layout_rate / base_rate, 3), "target": 0.33,
         "docs": n_layout},
        {"benchmark": "retention forecast (closed form) vs run-by-run ISM walk, seed policy",
         "efklab": round(closed_rate),
         "baseline": round(walk_rate), "unit": "indices/s", "ratio": round(closed_rate / walk_rate, 1), "target": 100.0,
         "indices": indices},
    ]


if __name__ == "__main__":
    for row in run(quick="--full" not in sys.argv):
        print(json.dumps(row))
