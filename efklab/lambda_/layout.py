"""Index layout: the indices payloads will create, the indices a node has, and the difference.

Expected layout is a fold over the transform's bulk actions: per index the documents (unique
``_id``s, since a redelivered event overwrites itself), the first/last ``@timestamp``, the
namespaces/containers and days it holds, and when each document arrives (the newest event of
its payload: CloudWatch delivers a subscription payload within seconds of its last event).
Names OpenSearch refuses are collected with its reason.  Mapping risks are predicted on the
same pass.  The node side is plain rows from ``_cat/indices``; the diff compares the two,
counting only the documents the node can accept.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from efklab.cloudwatch.schema import Payload
from efklab.js.dates import time_clip
from efklab.lambda_.transform import TransformOptions, transform_payload
from efklab.model import Reject
from efklab.opensearch.indexnames import index_name_problem, log_group_segment
from efklab.opensearch.mappings import MappingPredictor
from efklab.opensearch.patterns import simple_match
from efklab.units import format_time, parse_time

_INVALID_NAME = re.compile(r"Invalid index name \[(.*?)\], ")


@dataclass(frozen=True, slots=True)
class ExpectedIndex:
    """One index the payloads create."""

    name: str
    doc_count: int  # unique _ids the node can accept
    events: int  # bulk actions aimed at it (redeliveries included)
    refused: int  # unique _ids the node will refuse (mapping conflicts)
    first_timestamp: int | None
    last_timestamp: int | None
    namespaces: tuple[str, ...]
    containers: tuple[str, ...]
    days: tuple[str, ...]
    arrivals: tuple[int, ...]  # estimated arrival of each accepted unique document, sorted
    per_day_namespace: tuple[tuple[str, str, int], ...] = ()  # (UTC day, namespace, events)


@dataclass(frozen=True, slots=True)
class InvalidName:
    """An index name OpenSearch refuses (or accepts although it is wrong), why, and how many events aimed at it."""

    name: str
    reason: str
    events: int
    example: str | None
    accepted: bool = False  # True: OpenSearch creates it (e.g. a JS 'undefined' segment), the name is still wrong


@dataclass(frozen=True, slots=True)
class ExpectedLayout:
    """Everything the payloads imply for the cluster."""

    indices: tuple[ExpectedIndex, ...]
    invalid_names: tuple[InvalidName, ...]
    rejects: tuple[Reject, ...]  # payloads/events that produce no action at all
    mappings: MappingPredictor

    def index(self, name: str) -> ExpectedIndex | None:
        return next((i for i in self.indices if i.name == name), None)


@dataclass(slots=True)
class _IndexAcc:
    events: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # id -> arrival
    refused: set[str] = field(default_factory=set)
    first: int | None = None
    last: int | None = None
    namespaces: Counter[str] = field(default_factory=Counter)
    containers: Counter[str] = field(default_factory=Counter)
    days: Counter[str] = field(default_factory=Counter)
    day_namespace: Counter[tuple[str, str]] = field(default_factory=Counter)


class LayoutBuilder:
    """Accumulates documents into an expected layout; feed in bulk order."""

    def __init__(self, *, explicit_mappings: Mapping[str, str] | None = None, field_limit: int = 1000) -> None:
        self._acc: dict[str, _IndexAcc] = defaultdict(_IndexAcc)
        self._invalid: dict[str, list[Any]] = {}
        self._rejects: list[Reject] = []
        self.mappings = MappingPredictor(explicit=explicit_mappings, field_limit=field_limit)

    def add_reject(self, reject: Reject) -> None:
        """An item that produced no bulk action (bad payload, event the transform refused)."""
        named = _INVALID_NAME.search(reject.reason)
        if named:
            self._note_invalid(named.group(1), reject.reason[named.start():], reject.location() or None)
        else:
            self._rejects.append(reject)

    def add_document(self, index: str, doc_id: str, doc: Mapping[str, Any], *, arrival: int, log_group: str,
                     position: str | None = None) -> None:
        """One bulk action: its target index, ``_id``, source document and estimated arrival (ms)."""
        problem = index_name_problem(index)
        if problem is not None:
            self._note_invalid(index, problem, position)
            return
        missing = [n for n, what in ((5, "namespace"), (6, "container")) if log_group_segment(log_group, n) is None]
        if missing and "undefined" in index.split("-"):
            self._note_invalid(index, f"'undefined' in the name: log group {log_group!r} has no segment "
                               f"{' or '.join(str(n) for n in missing)} (split('/')[5], [6]); OpenSearch accepts it, "
                               "but every short log group lands in this one index", position, accepted=True)
        acc = self._acc[index]
        acc.events += 1
        refused = self.mappings.feed(index, doc, doc_id=doc_id, position=position)
        if refused is not None:
            acc.refused.add(doc_id)
        else:
            acc.refused.discard(doc_id)  # a later copy that fits overwrites nothing and is indexed
            acc.ids[doc_id] = min(arrival, acc.ids.get(doc_id, arrival))
        stamp = _timestamp_ms(doc.get("@timestamp"))
        namespace = log_group_segment(log_group, 5) or "undefined"
        if stamp is not None:
            acc.first = stamp if acc.first is None else min(acc.first, stamp)
            acc.last = stamp if acc.last is None else max(acc.last, stamp)
            acc.days[_day(stamp)] += 1
            acc.day_namespace[(_day(stamp), namespace)] += 1
        acc.namespaces[namespace] += 1
        acc.containers[log_group_segment(log_group, 6) or "undefined"] += 1

    def _note_invalid(self, index: str, reason: str, example: str | None, *, accepted: bool = False) -> None:
        entry = self._invalid.setdefault(index, [reason, 0, example, accepted])
        entry[1] += 1

    def build(self) -> ExpectedLayout:
        """The layout so far (indices sorted by name)."""
        indices = tuple(
            ExpectedIndex(
                name=name, doc_count=len(acc.ids), events=acc.events, refused=len(acc.refused - set(acc.ids)),
                first_timestamp=acc.first, last_timestamp=acc.last,
                namespaces=tuple(sorted(acc.namespaces)), containers=tuple(sorted(acc.containers)),
                days=tuple(sorted(acc.days)), arrivals=tuple(sorted(acc.ids.values())),
                per_day_namespace=tuple((d, ns, n) for (d, ns), n in sorted(acc.day_namespace.items())),
            )
            for name, acc in sorted(self._acc.items())
        )
        invalid = tuple(InvalidName(n, r, c, e, a) for n, (r, c, e, a) in sorted(self._invalid.items()))
        return ExpectedLayout(indices, invalid, tuple(self._rejects), self.mappings)


def doc_counts(layout: ExpectedLayout) -> list[dict[str, Any]]:
    """Rows (day, namespace, docs) over all indices: the data of the doc-count heat map."""
    totals: Counter[tuple[str, str]] = Counter()
    for index in layout.indices:
        for day, namespace, count in index.per_day_namespace:
            totals[(day, namespace)] += count
    return [{"day": d, "namespace": ns, "docs": n} for (d, ns), n in sorted(totals.items())]


def _timestamp_ms(value: Any) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            return None
    return None


def _day(ms: int) -> str:
    return format_time(ms)[:10]


def _arrival_ms(payload: Payload) -> int:
    """When the payload's documents arrive: its newest event time, in the integer ms the documents
    carry (``new Date`` truncates a float timestamp; an invalid one makes no document)."""
    return max((ms for e in payload.log_events if (ms := time_clip(e.timestamp)) is not None), default=0)


def expect_layout(records: Iterable[Payload | Reject], options: TransformOptions, *,
                  explicit_mappings: Mapping[str, str] | None = None, field_limit: int = 1000) -> ExpectedLayout:
    """Transform payloads (``Payload | Reject`` in input order) and fold the actions into a layout.

    The transform owns the index names and the documents; this only folds what it produces.
    """
    builder = LayoutBuilder(explicit_mappings=explicit_mappings, field_limit=field_limit)
    for record in records:
        if isinstance(record, Reject):
            builder.add_reject(record)
            continue
        arrival = _arrival_ms(record)
        actions, rejects = transform_payload(record, options)
        for reject in rejects:
            builder.add_reject(reject)
        for action in actions:
            builder.add_document(action.index, action.id, json.loads(action.source_line), arrival=arrival,
                                 log_group=record.log_group, position=action.position)
    return builder.build()


@dataclass(frozen=True, slots=True)
class ActualIndex:
    """One index as ``_cat/indices`` reports it."""

    name: str
    health: str
    status: str
    primaries: int
    replicas: int
    doc_count: int
    creation_date: int
    store_bytes: int
    primary_store_bytes: int


@dataclass(frozen=True, slots=True)
class LayoutDiff:
    """Expected vs actual: what is missing, unexpected, or holds a different count."""

    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    count_mismatches: tuple[tuple[str, int, int], ...]  # (index, expected, actual)
    matching: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.missing or self.unexpected or self.count_mismatches)


def parse_cat_indices(rows: Sequence[Mapping[str, Any]]) -> list[ActualIndex]:
    """``_cat/indices?format=json&bytes=b`` rows -> ActualIndex, sorted by name."""
    def number(row: Mapping[str, Any], key: str) -> int:
        value = row.get(key)
        return int(value) if value not in (None, "") else 0

    return sorted(
        (ActualIndex(str(r["index"]), str(r.get("health") or ""), str(r.get("status") or ""), number(r, "pri"),
                     number(r, "rep"), number(r, "docs.count"), number(r, "creation.date"), number(r, "store.size"),
                     number(r, "pri.store.size")) for r in rows),
        key=lambda a: a.name,
    )


def diff_layout(expected: ExpectedLayout, actual: Sequence[ActualIndex], pattern: str | None = None) -> LayoutDiff:
    """Compare; with ``pattern`` only actual indices matching it can be unexpected (dot indices never)."""
    wanted = {i.name: i.doc_count for i in expected.indices}
    have = {a.name: a.doc_count for a in actual
            if not a.name.startswith(".") and (pattern is None or simple_match(pattern, a.name))}
    missing = tuple(sorted(n for n, count in wanted.items() if n not in have and count > 0))
    unexpected = tuple(sorted(n for n in have if n not in wanted))
    mismatches = tuple((n, wanted[n], have[n]) for n in sorted(wanted) if n in have and have[n] != wanted[n])
    matching = tuple(sorted(n for n in wanted if n in have and have[n] == wanted[n]))
    return LayoutDiff(missing, unexpected, mismatches, matching)


def daily_index_counts(layout: ExpectedLayout) -> dict[str, int]:
    """Indices per day (the busiest day) for the strategy used and for coarser ones."""
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    per_day: dict[str, set[str]] = defaultdict(set)
    for index in layout.indices:
        for day in index.days:
            per_day[day].add(index.name)
            pairs[day].update((ns, c) for ns in index.namespaces for c in index.containers)
    if not pairs:
        return {}

    def busiest(sets: Iterable[set[Any]]) -> int:
        return max(len(s) for s in sets)

    return {
        "this strategy": busiest(per_day.values()),
        "per namespace+container (seed)": busiest(pairs.values()),
        "per namespace": busiest([{ns for ns, _ in s} for s in pairs.values()]),
        "per container name (cwl-group)": busiest([{c for _, c in s} for s in pairs.values()]),
        "one index per day (cwl)": 1,
    }
