"""When ISM deletes each index, and which traps apply: the review behind notebook 05.

The expected indices of the payloads (``layout``), each split into generations by when its
documents arrive (``retention_forecast``), simulated under the policy with the ISM job's
interval and jitter (``ismschedule``), and read as of a moment.  Pure simulation: it needs
no ISM plugin, so it runs where the plugin cannot be installed.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from efklab.cloudwatch.payloads import payload_from_json
from efklab.errors import UsageError
from efklab.jobs.defaults import SEED_POLICY
from efklab.lambda_.layout import expect_layout
from efklab.lambda_.transform import TransformOptions
from efklab.retention.forecast import Finding, Generation, find_traps, plan_generations, status_at, summarize_at
from efklab.retention.policy import Policy, load_policy
from efklab.retention.schedule import JobSettings
from efklab.units import DAY_MS, format_time, parse_time


@dataclass(frozen=True, slots=True)
class RetentionReview:
    """The simulated life of every index generation under the policy, as of ``at``."""

    policy: Policy
    settings: JobSettings
    generations: tuple[Generation, ...]
    findings: tuple[Finding, ...]
    at: int

    def summary(self) -> dict[str, Any]:
        """Indices and documents gone / due / kept as of ``at``, and what goes next."""
        return summarize_at(self.generations, self.at)

    def totals_table(self) -> pd.DataFrame:
        """Indices and documents per status as of ``at``."""
        return pd.DataFrame(self.summary()["totals"]).T.rename_axis("status")

    def indices_table(self) -> pd.DataFrame:
        """Per index generation: documents, creation, the deletion window, status as of ``at``."""
        rows = []
        for g in sorted(self.generations, key=lambda g: (g.forecast.created, g.forecast.index)):
            deletion = g.forecast.deletion
            rows.append({"index": g.forecast.index, "generation": g.generation, "docs": g.doc_count,
                         "created": format_time(g.forecast.created), "policy": g.forecast.policy_id,
                         "deleted from": format_time(deletion[0]) if deletion else None,
                         "deleted by": format_time(deletion[1]) if deletion else None,
                         "outcome": g.forecast.outcome, f"status at {format_time(self.at)}": status_at(g.forecast, self.at)})
        return pd.DataFrame(rows)

    def traps_table(self) -> pd.DataFrame:
        """The retention traps found: kind, index, what it means."""
        return pd.DataFrame([{"trap": f.kind, "index": f.index, "message": f.message} for f in self.findings],
                            columns=["trap", "index", "message"])

    def unmanaged(self) -> list[str]:
        """Indices no policy manages (they are never deleted)."""
        return [g.forecast.index for g in self.generations if g.forecast.outcome == "unmanaged"]

    def overdue(self) -> list[str]:
        """Indices whose documents are all older than the retention period but that are not gone by ``at``."""
        days = _retention_days(self.policy)
        if days is None:
            return []
        return [g.forecast.index for g in self.generations
                if g.forecast.created + days * DAY_MS + DAY_MS < self.at and status_at(g.forecast, self.at) != "gone"]


def review_retention(payloads: Iterable[Mapping[str, Any]], *, policy: str = "", at: str = "", job_interval: int = 5,
                     jitter: float = 0.6, prefix: str = "mydata", mode: str = "opensearch",
                     index_strategy: str = "seed") -> RetentionReview:
    """Simulate ``policy`` (default: the seed's) over the indices the payloads create; ``at`` defaults to the last arrival."""
    path = Path(policy) if policy else SEED_POLICY
    try:
        parsed = load_policy(path.read_bytes(), source=str(path))
    except OSError as exc:
        raise UsageError(f"cannot read the policy: {exc.strerror}", source=str(path)) from exc
    if job_interval < 1:
        raise UsageError("job_interval must be at least 1 minute (the plugin's minimum)", source="--job-interval")
    settings = JobSettings(interval_minutes=job_interval, jitter=jitter)
    options = TransformOptions(mode=mode, index_strategy=index_strategy, prefix=prefix)
    records = [payload_from_json(p, source="pipeline", position=n) for n, p in enumerate(payloads, start=1)]
    layout = expect_layout(records, options)
    generations: list[Generation] = []
    for index in layout.indices:
        generations += plan_generations(index.name, list(index.arrivals), [parsed], settings)
    moment = parse_time(at) if at else max((a for i in layout.indices for a in i.arrivals), default=0)
    return RetentionReview(parsed, settings, tuple(generations), tuple(find_traps(generations, [parsed])), moment)


def _retention_days(policy: Policy) -> float | None:
    from efklab.retention.policy import retention_days

    return retention_days(policy)
