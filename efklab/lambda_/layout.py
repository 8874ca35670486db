"""Index layout: the indices payloads will create, the indices a node has, and the difference.

Expected layout is a fold over the transform's bulk actions: per index the documents (unique
``_id``s, since a redelivered event overwrites itself), the first/last ``@timestamp``, the
namespaces/containers and days it holds, and when each document arrives (the newest event of
its payload: CloudWatch delivers a subscription payload within seconds of its last event).
Names OpenSearch refuses are collected with its reason.  Mapping risks are predicted on the
same pass.  The node side is plain rows from ``_cat/indices``; the diff compares the two,
counting only the documents the node can accept.

The unique ``_id``s are the one part of the fold that grows with the input.  They live in an
``IdStore``: in memory by default (``MemoryIds``), or one that spills to disk (the adapters'),
so a day of millions of events folds in flat memory with the same, exact, result.  Arrival
times come back run-length encoded (``Arrivals``): one pair per payload, not one int per document.
"""
from __future__ import annotations

import bisect
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

from efklab.cloudwatch.schema import Payload
from efklab.js.dates import time_clip
from efklab.lambda_.transform import TransformOptions, transform_payload
from efklab.model import Reject
from efklab.opensearch.indexnames import index_name_problem, log_group_segment
from efklab.opensearch.mappings import MappingPredictor
from efklab.opensearch.patterns import simple_match
from efklab.opensearch.shards import COMPARED_STRATEGIES, indices_per_busiest_day
from efklab.units import format_time, parse_time

OWN_STRATEGY = "this strategy"  # the projection row of the naming in use

_INVALID_NAME = re.compile(r"Invalid index name \[(.*?)\], ")


class Arrivals(Sequence[int]):
    """Sorted arrival times as (time, how many) runs: a sequence of ints that costs one pair per distinct time."""

    __slots__ = ("_ends", "_times")

    def __init__(self, runs: Iterable[tuple[int, int]] = ()) -> None:
        self._times: list[int] = []
        self._ends: list[int] = []  # cumulative counts
        total = 0
        for time, count in sorted(runs):
            if count > 0:
                total += count
                self._times.append(time)
                self._ends.append(total)

    @classmethod
    def of(cls, times: Iterable[int]) -> Arrivals:
        runs: Counter[int] = Counter(times)
        return cls(runs.items())

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    @overload
    def __getitem__(self, n: int) -> int: ...

    @overload
    def __getitem__(self, n: slice) -> Sequence[int]: ...

    def __getitem__(self, n: int | slice) -> int | Sequence[int]:
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(len(self)))]
        if n < 0:
            n += len(self)
        if not 0 <= n < len(self):
            raise IndexError("arrival index out of range")
        return self._times[bisect.bisect_right(self._ends, n)]

    def __iter__(self) -> Iterator[int]:
        start = 0
        for time, end in zip(self._times, self._ends, strict=True):
            for _ in range(end - start):
                yield time
            start = end

    def runs(self) -> list[tuple[int, int]]:
        """(time, count) pairs, in time order."""
        starts = [0, *self._ends[:-1]]
        return [(t, e - s) for t, s, e in zip(self._times, starts, self._ends, strict=True)]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Arrivals):
            return self.runs() == other.runs()
        if isinstance(other, Sequence):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self.runs()))

    def __repr__(self) -> str:
        return f"Arrivals({self.runs()!r})"


@dataclass(frozen=True, slots=True)
class IndexIds:
    """What the unique ids of one index come to: how many, when each arrived first, and which refused ids
    were also accepted (a later or earlier copy fitted)."""

    count: int
    arrivals: Arrivals
    accepted_refused: frozenset[str]


class IdStore(Protocol):
    """Where the fold keeps the accepted ``_id``s of every index (each with its earliest arrival)."""

    def add(self, index: str, doc_id: str, arrival: int) -> None: ...

    def finish(self, refused: Mapping[str, set[str]]) -> dict[str, IndexIds]: ...


class MemoryIds:
    """An ``IdStore`` in memory: a dict per index."""

    def __init__(self) -> None:
        self._ids: dict[str, dict[str, int]] = defaultdict(dict)

    def add(self, index: str, doc_id: str, arrival: int) -> None:
        ids = self._ids[index]
        known = ids.get(doc_id)
        if known is None or arrival < known:
            ids[doc_id] = arrival

    def finish(self, refused: Mapping[str, set[str]]) -> dict[str, IndexIds]:
        return {index: IndexIds(len(ids), Arrivals.of(ids.values()),
                                frozenset(i for i in refused.get(index, ()) if i in ids))
                for index, ids in self._ids.items()}


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
    arrivals: Sequence[int]  # estimated arrival of each accepted unique document, sorted (``Arrivals``)
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
    refused: set[str] = field(default_factory=set)
    first: int | None = None
    last: int | None = None
    namespaces: Counter[str] = field(default_factory=Counter)
    containers: Counter[str] = field(default_factory=Counter)
    days: Counter[str] = field(default_factory=Counter)
    day_namespace: Counter[tuple[str, str]] = field(default_factory=Counter)


class LayoutBuilder:
    """Accumulates documents into an expected layout; feed in bulk order."""

    def __init__(self, *, explicit_mappings: Mapping[str, str] | None = None, field_limit: int = 1000,
                 ids: IdStore | None = None) -> None:
        self._acc: dict[str, _IndexAcc] = defaultdict(_IndexAcc)
        self._ids: IdStore = MemoryIds() if ids is None else ids
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
            acc.refused.add(doc_id)  # unless another copy fits (then it is indexed): settled in build()
        else:
            self._ids.add(index, doc_id, arrival)
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
        """The layout (indices sorted by name); call once: a spilling id store is consumed."""
        ids = self._ids.finish({name: acc.refused for name, acc in self._acc.items() if acc.refused})
        none = IndexIds(0, Arrivals(), frozenset())
        indices = tuple(
            ExpectedIndex(
                name=name, doc_count=ids.get(name, none).count, events=acc.events,
                refused=len(acc.refused - ids.get(name, none).accepted_refused),
                first_timestamp=acc.first, last_timestamp=acc.last,
                namespaces=tuple(sorted(acc.namespaces)), containers=tuple(sorted(acc.containers)),
                days=tuple(sorted(acc.days)), arrivals=ids.get(name, none).arrivals,
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
                  explicit_mappings: Mapping[str, str] | None = None, field_limit: int = 1000,
                  ids: IdStore | None = None) -> ExpectedLayout:
    """Transform payloads (``Payload | Reject`` in input order) and fold the actions into a layout.

    The transform owns the index names and the documents; this only folds what it produces.
    ``ids``: where the unique ids are kept (default: in memory).
    """
    builder = LayoutBuilder(explicit_mappings=explicit_mappings, field_limit=field_limit, ids=ids)
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


def strategy_counts(layout: ExpectedLayout, records: Iterable[Payload | Reject], *, prefix: str) -> dict[str, int]:
    """Indices on the busiest day: the layout's own (``OWN_STRATEGY``), and each compared strategy naming the same
    events itself (a strategy without namespaces or containers is never charged for them)."""
    own: dict[str, set[str]] = defaultdict(set)
    for index in layout.indices:
        for day in index.days:
            own[day].add(index.name)
    events = ((r.log_group, r.log_stream, ms) for r in records  # an invalid time makes no document
              if isinstance(r, Payload) and not r.is_control
              for e in r.log_events if (ms := time_clip(e.timestamp)) is not None)
    return {OWN_STRATEGY: max((len(names) for names in own.values()), default=0),
            **indices_per_busiest_day(events, COMPARED_STRATEGIES, prefix=prefix)}
