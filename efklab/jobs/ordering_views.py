"""The ordering check against a node: query each view, measure it, explain it, recommend a fix.

A view is one index pattern (the lines replayed with one grouping, i.e. one regex) sorted as
Discover does, or with a candidate tiebreaker.  The queries go through the Discover adapter;
measuring, causes and the recommendation are the pure ``ordering`` modules.  Used by
``efklab ordering`` and the ordering notebook alike.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from efklab.adapters.discover import field_types, iter_displayed, primary_shards
from efklab.adapters.opensearch import Connection
from efklab.errors import InputError, UsageError
from efklab.opensearch.dashboards import sortable_field
from efklab.ordering.diagnosis import Cause, Measurement, Recommendation, detect_causes, recommend_fix
from efklab.ordering.measure import OrderReport, Provenance, measure_order, shown_from_hit

DEFAULT_TIEBREAKERS: tuple[tuple[str, ...], ...] = (("@id",), ("@log_stream", "@id"))


@dataclass(frozen=True, slots=True)
class View:
    """One measured view: its figures, the full per-stream report, the index pattern it came from."""

    measurement: Measurement
    report: OrderReport
    pattern: str


@dataclass(frozen=True, slots=True)
class OrderingCheck:
    """Every view measured, the causes seen in the Discover view, and the fix the numbers support."""

    views: tuple[View, ...]
    causes: tuple[Cause, ...]
    recommendation: Recommendation
    current: str
    candidate: str | None

    def view(self, grouping: str, tiebreaker: Sequence[str] = ()) -> View:
        """The view of ``grouping`` sorted with ``tiebreaker`` (as measured; ``@id`` may read ``@id.keyword``)."""
        for view in self.views:
            if view.measurement.grouping == grouping and _logical(view.measurement.tiebreaker) == tuple(tiebreaker):
                return view
        raise KeyError(f"no view {grouping!r} sorted by {tiebreaker!r}")

    def cause_codes(self) -> list[str]:
        """The codes of the causes found (e.g. continuation-split, shard-ties)."""
        return [cause.code for cause in self.causes]

    def summary(self) -> dict[str, Any]:
        """Plain JSON: views, causes, recommendation."""
        rec = self.recommendation
        return {
            "current": self.current,
            "candidate": self.candidate,
            "views": [
                {"grouping": v.measurement.grouping, "index": v.pattern, "sort": v.measurement.sort,
                 "primaries": v.measurement.primaries, **v.measurement.totals}
                for v in self.views
            ],
            "causes": [{"code": c.code, "title": c.title, "evidence": c.evidence, "cure": c.cure} for c in self.causes],
            "recommendation": {"fix": rec.fix, "grouping": rec.grouping, "tiebreaker": list(rec.tiebreaker),
                               "before": rec.before, "after": rec.after, "steps": list(rec.steps)},
        }


def measure_views(
    client: Any,
    conn: Connection,
    pattern: str,
    *,
    grouping: str,
    provenance: Provenance | None,
    tiebreakers: Sequence[Sequence[str]] = DEFAULT_TIEBREAKERS,
    descending: bool = True,
    on_view: Callable[[View], None] | None = None,
) -> list[View]:
    """The Discover view (no tiebreaker) and one view per candidate tiebreaker, each measured against the truth."""
    wanted = sorted({field for tiebreaker in tiebreakers for field in tiebreaker})
    types = field_types(client, conn, pattern, wanted) if wanted else {}
    shards = primary_shards(client, conn, pattern)
    if not shards:
        raise InputError("no index matches this pattern", source="--index", position=pattern)
    views = []
    for tiebreaker in [(), *map(tuple, tiebreakers)]:
        try:
            fields = tuple(sortable_field(field, types) for field in tiebreaker)
        except ValueError as exc:
            raise UsageError(str(exc), source="--tiebreaker") from exc
        shown = [shown_from_hit(hit) for hit in iter_displayed(client, conn, pattern, tiebreaker=fields, descending=descending)]
        if not shown:
            raise InputError("the indices hold no documents", source="--index", position=pattern)
        report = measure_order(shown, provenance, descending=descending, tiebreaker=fields)
        if not report.placed:
            raise InputError(
                f"none of the {len(shown)} documents could be placed ({report.rejects[0].reason}): "
                "is the provenance from the replay into these indices?",
                source="--index",
                position=pattern,
            )
        view = View(Measurement.of(grouping, fields, report, max(shards.values())), report, pattern)
        views.append(view)
        if on_view is not None:
            on_view(view)
    return views


def check_ordering(views: Sequence[View], *, current: str, candidate: str | None = None,
                   truncated_tie_groups: int | None = None) -> OrderingCheck:
    """Causes from the current grouping's Discover view and the recommendation over all views."""
    logical = [Measurement(v.measurement.grouping, _logical(v.measurement.tiebreaker), v.measurement.totals, v.measurement.primaries)
               for v in views]
    base = next((m for m in logical if m.grouping == current and not m.tiebreaker), None)
    if base is None:
        raise UsageError(f"no Discover view of {current!r} was measured")
    causes = detect_causes(base, truncated_tie_groups=truncated_tie_groups)
    recommendation = recommend_fix(logical, current=current, candidate=candidate)
    return OrderingCheck(tuple(views), tuple(causes), recommendation, current, candidate)


def read_line_times(provenance: Provenance, base: str | Path) -> dict[tuple[str, int], int]:
    """Nanosecond time of every source line the provenance names, read from the container logs under ``base``.

    Files that are not there are skipped (the truncation cause is then judged on the others).
    """
    from efklab.multiline.grouping import read_log_records

    files = sorted({ref.file for refs in provenance.values() for ref in refs})
    times: dict[tuple[str, int], int] = {}
    for name in files:
        path = Path(base) / name
        if path.is_file():
            for record in read_log_records(str(path)):
                times[(name, int(getattr(record, "lineno")))] = record.time_ns
    return times


def _logical(fields: Sequence[str]) -> tuple[str, ...]:
    """``@id.keyword`` -> ``@id``: the field a user names, whatever sub-field the mapping needs."""
    return tuple(field.removesuffix(".keyword") for field in fields)
