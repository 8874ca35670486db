"""The seed's pipeline under a fluentd config, over container log files: the payloads it delivers.

Each file is read as the in_tail source that tails it would read it (its ``<parse>``), then run
through the filter chain, fluent-plugin-cloudwatch-logs and the subscription
(:mod:`efklab.fluentd.pipeline`).  The line times read on the way are kept for the ordering check.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from efklab.adapters.samplefiles import load_pods, log_files
from efklab.fluentd.config.find import load_config
from efklab.fluentd.pipeline import PipelineOptions, PipelineResult, SourceRecord, reject_sources, run_pipeline
from efklab.fluentd.routing import Route, plan_routes, route_for
from efklab.fluentd.tail.containerlogs import read_records
from efklab.jobs.defaults import SEED_ENV
from efklab.model import Reject


@dataclass(frozen=True, slots=True)
class PipelineRun:
    """The payloads a config delivers for some container logs, their provenance, and the line times read."""

    config: str
    result: PipelineResult
    line_times: dict[tuple[str, int], int] = field(default_factory=dict)  # (file, line) -> ns, as the runtime wrote it

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [d.payload for d in self.result.deliveries]

    def provenance_rows(self) -> list[dict[str, Any]]:
        """Event rows (id -> sources) only; lines that made no event are in ``result.rejects``."""
        return [row for row in self.result.provenance() if "id" in row]

    def accounting(self) -> dict[str, int]:
        """Every source line is in exactly one delivered event or one reject: the counts that show it."""
        rows = self.provenance_rows()
        return {"lines": self.result.lines, "payloads": len(self.result.deliveries), "events": len(rows),
                "lines_in_events": sum(len(r["sources"]) for r in rows),
                "lines_rejected": sum(len(reject_sources(r)) for r in self.result.rejects),
                "rejects": len(self.result.rejects)}


def run_config(logs: str | Sequence[str], config: str, *, seed: int = 1) -> PipelineRun:
    """The seed's pipeline under ``config`` over the container logs (pods.json beside them is used when present)."""
    paths = log_files(logs)
    routes = plan_routes(load_config(config), SEED_ENV)
    pods = Path(paths[0]).parent.parent / "pods.json" if paths else None
    facts = load_pods(str(pods)) if pods is not None and pods.is_file() else None
    times: dict[tuple[str, int], int] = {}
    named = [(path, f"containers/{Path(path).name}") for path in paths]
    files = ((name, _noting_times(records, times)) for name, records in read_container_logs(named, routes))
    result = run_pipeline(files, routes, PipelineOptions(seed=seed, facts=facts))
    return PipelineRun(config, result, times)


def read_container_logs(files: Iterable[tuple[str, str]],
                        routes: list[Route]) -> Iterator[tuple[str, Iterator[SourceRecord | Reject]]]:
    """(name, records or read rejects) per (path, name), parsed as the file's source would parse it."""
    for path, name in files:
        route = route_for(routes, os.path.basename(path))
        yield name, _records(read_records(path, parse=route.parse if route else None), path, name)


def _records(items: Iterable[Any], path: str, name: str) -> Iterator[SourceRecord | Reject]:
    for item in items:
        if isinstance(item, Reject):
            yield dataclasses.replace(item, source=name) if item.source in (None, path) else item
        else:
            yield SourceRecord(name, item.lineno, item.time_ns, item.record)


def _noting_times(records: Iterable[SourceRecord | Reject],
                  times: dict[tuple[str, int], int]) -> Iterator[SourceRecord | Reject]:
    for record in records:
        if isinstance(record, SourceRecord):
            times[(record.file, record.line)] = record.time_ns
        yield record
