"""Shard projection: how many shards a daily-index strategy holds at steady state, against the limit.

OpenSearch refuses to create an index when the open shards (primaries and replicas, assigned
or not) would pass ``cluster.max_shards_per_node`` x data nodes (``ShardLimitValidator``:
"this action would add [N] total shards, but this cluster currently has [X]/[Y] maximum shards
open").  With daily indices deleted after R days, about R + 1 days of indices are open at once
(today's, the R previous days', and yesterday-plus-R while ISM gets to it).  A per-namespace or
per-container daily strategy multiplies that by the number of streams, which is how a cluster
that was fine in testing stops creating indices a month after go-live.

How many indices a day each strategy makes is counted by naming the events with that strategy
(:func:`indices_per_busiest_day`), never derived from another strategy's indices: a ``cwl``
index holds every namespace and container, and multiplying those would invent streams.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from efklab.opensearch.indexnames import IndexStrategy, StreamIndexNamer, compile_index_strategy
from efklab.units import DAY_MS

DEFAULT_MAX_SHARDS_PER_NODE = 1000
# The coarser and finer strategies a layout is compared with: projection row -> index strategy.
COMPARED_STRATEGIES: dict[str, str] = {
    "per namespace+container (seed)": "seed",
    "per namespace": "{prefix}-{namespace}-{date:%Y.%m.%d}",
    "per container name (cwl-group)": "cwl-group",
    "one index per day (cwl)": "cwl",
}


@dataclass(frozen=True, slots=True)
class ShardProjection:
    """Steady-state shards of one strategy and whether they fit."""

    strategy: str
    indices_per_day: int
    live_days: int  # days of daily indices open at once
    primaries: int
    replicas: int
    data_nodes: int
    max_shards_per_node: int
    other_shards: int  # system and other indices already open

    @property
    def shards_per_index(self) -> int:
        return self.primaries * (1 + self.replicas)

    @property
    def steady_shards(self) -> int:
        return self.indices_per_day * self.live_days * self.shards_per_index + self.other_shards

    @property
    def limit(self) -> int:
        return self.max_shards_per_node * self.data_nodes

    @property
    def fits(self) -> bool:
        return self.steady_shards <= self.limit

    @property
    def full_on_day(self) -> int | None:
        """0-based day (from the first index) on which index creation starts failing, or None if it fits."""
        if self.fits:
            return None
        per_day = self.indices_per_day * self.shards_per_index
        return max(0, math.floor((self.limit - self.other_shards) / per_day)) if per_day else None

    @property
    def utilisation(self) -> float:
        return self.steady_shards / self.limit if self.limit else math.inf

    def to_json(self) -> dict[str, object]:
        """A JSON-ready summary row."""
        return {"strategy": self.strategy, "indices_per_day": self.indices_per_day, "live_days": self.live_days,
                "shards_per_index": self.shards_per_index, "steady_shards": self.steady_shards, "limit": self.limit,
                "fits": self.fits, "full_on_day": self.full_on_day, "utilisation": round(self.utilisation, 3)}


def project_shards(
    strategy: str,
    indices_per_day: int,
    retention_days: float,
    *,
    primaries: int = 1,
    replicas: int = 1,
    data_nodes: int = 1,
    max_shards_per_node: int = DEFAULT_MAX_SHARDS_PER_NODE,
    other_shards: int = 0,
) -> ShardProjection:
    """Project one strategy; ``retention_days`` is the policy's delete age (30 for the seed)."""
    if min(indices_per_day, primaries, data_nodes, max_shards_per_node) < 0 or replicas < 0 or retention_days < 0:
        raise ValueError("shard projection inputs must not be negative")
    live_days = math.ceil(retention_days) + 1
    return ShardProjection(strategy, indices_per_day, live_days, primaries, replicas, data_nodes, max_shards_per_node,
                           other_shards)


def compare_strategies(indices_per_day: Mapping[str, int], retention_days: float,
                       **limits: int) -> list[ShardProjection]:
    """Project several strategies (name -> daily index count), finest first."""
    rows = [project_shards(name, count, retention_days, **limits) for name, count in indices_per_day.items()]
    return sorted(rows, key=lambda row: -row.indices_per_day)


def indices_per_busiest_day(events: Iterable[tuple[str, str, int]], strategies: Mapping[str, str], *,
                            prefix: str = "mydata") -> dict[str, int]:
    """Per strategy, the distinct index names of the busiest UTC day of ``(log group, log stream, ms)`` events.

    Each strategy names every event itself, so a strategy without namespaces or containers is
    never charged for them; names OpenSearch refuses still count (the Lambda tries to create them).
    """
    compiled: dict[str, IndexStrategy] = {row: compile_index_strategy(spec, prefix=prefix)
                                          for row, spec in strategies.items()}
    namers: dict[tuple[str, str, str], StreamIndexNamer] = {}
    names: dict[str, dict[int, set[str]]] = {row: defaultdict(set) for row in compiled}
    for log_group, log_stream, ms in events:
        for row, strategy in compiled.items():
            namer = namers.get((row, log_group, log_stream))
            if namer is None:
                namer = namers[(row, log_group, log_stream)] = strategy.for_stream(log_group, log_stream)
            names[row][ms // DAY_MS].add(namer.name(ms)[0])
    return {row: max((len(day) for day in per_day.values()), default=0) for row, per_day in names.items()}


def count_shards_over_time(
    lifetimes: Iterable[tuple[int, int | None]], shards_per_index: int, *, start: int, end: int, step_ms: int = DAY_MS
) -> list[tuple[int, int]]:
    """Open shards sampled every ``step_ms`` from ``start`` to ``end``: lifetimes are (created, deleted or None)."""
    spans: Sequence[tuple[int, int | None]] = list(lifetimes)
    points = []
    for moment in range(start, end + 1, step_ms):
        open_now = sum(1 for created, deleted in spans if created <= moment and (deleted is None or moment < deleted))
        points.append((moment, open_now * shards_per_index))
    return points


def projection_series(projection: ShardProjection, *, start: int, days: int) -> list[tuple[int, int]]:
    """Open shards day by day from the first daily index: growing until ISM deletes, then flat."""
    per_day = projection.indices_per_day * projection.shards_per_index
    return [(start + d * DAY_MS, min(d + 1, projection.live_days) * per_day + projection.other_shards)
            for d in range(days)]
