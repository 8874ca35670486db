"""How far the order Dashboards shows is from the order the lines were written.

Truth is the order of lines in each container log file, reached through the provenance the
pipeline keeps (event id -> source ``file:line`` list); without provenance, the CloudWatch
event id order of each stream stands in for it.  The displayed order is what a query
returned (newest first, as Discover shows it).  Per stream: inversions, the Kendall tau
distance, the share of lines shown out of place (lines outside a heaviest in-order
subsequence, i.e. what a reader must mentally move), and groups of identical timestamps.
Pure: plain data in, plain data out.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from efklab.model import Reject
from efklab.ordering.inputs import Provenance, Shown, SourceRef, parse_provenance, parse_timestamp_ms, shown_from_hit
from efklab.ordering.inversions import count_inversions, heaviest_increasing

__all__ = ["CONTINUATION", "OrderReport", "Placed", "Provenance", "Shown", "SourceRef", "StreamOrder", "measure_order",
           "merge_reports", "parse_provenance", "parse_timestamp_ms", "shown_from_hit"]

# A line that continues the statement before it: stack frames, "Caused by", "... 12 more",
# indented bodies.  Used only as evidence for a cause, never to decide the truth.
CONTINUATION = re.compile(r"^(?:[ \t]+\S|Caused by: |\.\.\. \d+ (?:more|common frames omitted)|at [\w$.]+\()")


@dataclass(frozen=True, slots=True)
class Placed:
    """One shown document with its true and displayed positions in its stream."""

    stream: str
    id: str
    true_rank: int
    shown_rank: int
    timestamp_ms: int
    lines: int
    first_line: int | None
    last_line: int | None
    shard: str | int | None
    continuation: bool


@dataclass(frozen=True, slots=True)
class StreamOrder:
    """Order metrics of one stream (one container log file)."""

    stream: str
    documents: int
    lines: int
    inversions: int
    kendall_tau_distance: float  # inversions / (n choose 2), 0 = identical order, 1 = reversed
    out_of_place_documents: int
    out_of_place_lines: int
    tie_groups: int  # timestamps shared by two or more documents
    documents_in_ties: int
    largest_tie: int
    tie_inversions: int  # inversions between documents with the same timestamp
    time_inversions: int  # inversions where the timestamps themselves contradict the file
    cross_shard_tie_inversions: int
    index_order_inversions: int  # same-shard ties not in file order: indexed out of order (no tiebreaker only)
    split_continuations: int  # continuation lines indexed alone, tied with the line before them
    split_same_ms: int  # adjacent file lines in separate documents with the same millisecond
    tie_sizes: dict[int, int] = field(default_factory=dict)

    @property
    def share_out_of_place(self) -> float:
        """Share of lines shown out of place (0..1)."""
        return self.out_of_place_lines / self.lines if self.lines else 0.0


@dataclass(frozen=True, slots=True)
class OrderReport:
    """Order of every stream, the documents as placed, and what could not be placed."""

    streams: tuple[StreamOrder, ...]
    placed: tuple[Placed, ...]
    rejects: tuple[Reject, ...]
    missing: int  # events in the provenance that the query did not return
    truth: str  # "provenance" or "event-id"
    sampled: str | None = None  # what part of the documents was measured, when not all of them
    shards_known: bool | None = None  # set when ``placed`` was not kept (a report of millions of documents)

    def totals(self) -> dict[str, Any]:
        """The figures summed over streams (shares recomputed from the sums)."""
        s = self.streams
        lines = sum(x.lines for x in s)
        pairs = sum(x.documents * (x.documents - 1) // 2 for x in s)
        inversions = sum(x.inversions for x in s)
        sizes: Counter[int] = Counter()
        for x in s:
            sizes.update(x.tie_sizes)
        return {
            "streams": len(s),
            "documents": sum(x.documents for x in s),
            "lines": lines,
            "inversions": inversions,
            "kendall_tau_distance": inversions / pairs if pairs else 0.0,
            "out_of_place_lines": sum(x.out_of_place_lines for x in s),
            "share_out_of_place": sum(x.out_of_place_lines for x in s) / lines if lines else 0.0,
            "streams_out_of_order": sum(1 for x in s if x.inversions),
            "tie_groups": sum(x.tie_groups for x in s),
            "documents_in_ties": sum(x.documents_in_ties for x in s),
            "largest_tie": max((x.largest_tie for x in s), default=0),
            "tie_sizes": dict(sorted(sizes.items())),
            "tie_inversions": sum(x.tie_inversions for x in s),
            "time_inversions": sum(x.time_inversions for x in s),
            "cross_shard_tie_inversions": sum(x.cross_shard_tie_inversions for x in s),
            "index_order_inversions": sum(x.index_order_inversions for x in s),
            "split_continuations": sum(x.split_continuations for x in s),
            "split_same_ms": sum(x.split_same_ms for x in s),
            "shards_known": (self.shards_known if self.shards_known is not None
                             else any(p.shard is not None for p in self.placed)),
            "missing": self.missing,
            "rejected": len(self.rejects),
            "truth": self.truth,
            **({"sampled": self.sampled} if self.sampled else {}),
        }


def measure_order(
    shown: Sequence[Shown],
    provenance: Provenance | None = None,
    *,
    descending: bool = True,
    tiebreaker: Sequence[str] = (),
) -> OrderReport:
    """Compare the displayed order with the truth, per stream.

    ``shown`` is in display order (newest first when ``descending``); ``provenance`` maps
    event ids to source lines (None: the event id order of each stream is the truth);
    ``tiebreaker`` names the sort fields after ``@timestamp`` the query used (it decides
    whether tie order tells anything about indexing order).
    """
    ascending = list(reversed(shown)) if descending else list(shown)
    rejects: list[Reject] = []
    seen: set[str] = set()
    keyed: dict[str, list[tuple[Shown, tuple[Any, ...], Sequence[SourceRef]]]] = {}
    for position, doc in enumerate(ascending):
        if doc.id in seen:
            rejects.append(Reject("ordering", "event id shown more than once", doc.index, position, doc.id))
            continue
        seen.add(doc.id)
        if provenance is not None:
            refs = provenance.get(doc.id)
            if not refs:
                rejects.append(Reject("ordering", "no provenance for this event id", doc.index, position, doc.id))
                continue
            stream, key = refs[0].file, (refs[0].line,)
        else:
            if not doc.id.isdigit():
                rejects.append(Reject("ordering", "event id is not a CloudWatch id (digits)", doc.index, position,
                                      doc.id))
                continue
            refs, stream, key = (), doc.stream, (int(doc.id),)
        keyed.setdefault(stream, []).append((doc, key, refs))
    missing = len(set(provenance) - seen) if provenance is not None else 0
    streams, placed = [], []
    for stream in sorted(keyed):
        order, rows = _measure_stream(stream, keyed[stream], tiebreaker)
        streams.append(order)
        placed.extend(rows)
    return OrderReport(tuple(streams), tuple(placed), tuple(rejects), missing,
                       "provenance" if provenance is not None else "event-id")


def merge_reports(reports: Sequence[OrderReport], provenance: Provenance | None = None, *,
                  sampled: str | None = None, keep_placed: bool = True) -> OrderReport:
    """One report from reports measured stream by stream (each over documents of its own streams only).

    Equal to ``measure_order`` over all the documents at once when no event id is shown in two
    streams; reject positions count within each report's documents.  ``sampled`` says which part
    of the documents the reports cover (then ``missing`` is not counted: a sample misses the rest).
    Without ``keep_placed`` the per-document rows are dropped (the totals keep what they tell).
    """
    streams = sorted((s for r in reports for s in r.streams), key=lambda s: s.stream)
    rank = {s.stream: n for n, s in enumerate(streams)}
    placed = sorted((p for r in reports for p in r.placed), key=lambda p: rank[p.stream])
    missing = 0
    if provenance is not None and not sampled:
        found = sum(len(provenance) - r.missing for r in reports)
        missing = len(provenance) - found
    truth = "provenance" if provenance is not None else "event-id"
    shards_known = any(r.shards_known if r.shards_known is not None else any(p.shard is not None for p in r.placed)
                       for r in reports)
    return OrderReport(tuple(streams), tuple(placed) if keep_placed else (),
                       tuple(x for r in reports for x in r.rejects), missing, truth, sampled,
                       None if keep_placed else shards_known)


def _measure_stream(
    stream: str, docs: list[tuple[Shown, tuple[Any, ...], Sequence[SourceRef]]], tiebreaker: Sequence[str]
) -> tuple[StreamOrder, list[Placed]]:
    truth_order = sorted(range(len(docs)), key=lambda i: docs[i][1])
    true_rank = [0] * len(docs)
    for rank, i in enumerate(truth_order):
        true_rank[i] = rank
    weights = [max(1, len(refs)) for _doc, _key, refs in docs]
    stamps = [doc.timestamp_ms for doc, _key, _refs in docs]
    shards = [doc.shard for doc, _key, _refs in docs]
    rows = [
        Placed(
            stream=stream,
            id=doc.id,
            true_rank=true_rank[i],
            shown_rank=i,
            timestamp_ms=doc.timestamp_ms,
            lines=weights[i],
            first_line=refs[0].line if refs else None,
            last_line=refs[-1].line if refs else None,
            shard=doc.shard,
            continuation=bool(doc.text and CONTINUATION.match(doc.text)),
        )
        for i, (doc, _key, refs) in enumerate(docs)
    ]
    inversions = count_inversions(true_rank)
    ties = Counter(stamps)
    tie_inv = cross = index_inv = 0
    for members in _blocks(stamps).values():
        if len(members) < 2:
            continue
        ranks = [true_rank[i] for i in members]
        tie_inv += count_inversions(ranks)
        cross += _cross_shard_inversions(ranks, [shards[i] for i in members])
        if not tiebreaker:
            index_inv += _index_order_inversions(ranks, [shards[i] for i in members])
    split_same, split_cont = _split_pairs(rows, truth_order)
    kept = heaviest_increasing(true_rank, weights)
    n = len(docs)
    order = StreamOrder(
        stream=stream,
        documents=n,
        lines=sum(weights),
        inversions=inversions,
        kendall_tau_distance=inversions / (n * (n - 1) // 2) if n > 1 else 0.0,
        out_of_place_documents=n - len(kept),
        out_of_place_lines=sum(weights) - sum(weights[i] for i in kept),
        tie_groups=sum(1 for c in ties.values() if c > 1),
        documents_in_ties=sum(c for c in ties.values() if c > 1),
        largest_tie=max((c for c in ties.values() if c > 1), default=0),
        tie_inversions=tie_inv,
        time_inversions=inversions - tie_inv,
        cross_shard_tie_inversions=cross,
        index_order_inversions=index_inv,
        split_continuations=split_cont,
        split_same_ms=split_same,
        tie_sizes=dict(sorted(Counter(c for c in ties.values() if c > 1).items())),
    )
    return order, rows


def _blocks(stamps: Sequence[int]) -> dict[int, list[int]]:
    """Positions sharing each timestamp, in displayed order."""
    blocks: dict[int, list[int]] = {}
    for i, stamp in enumerate(stamps):
        blocks.setdefault(stamp, []).append(i)
    return blocks


def _index_order_inversions(ranks: Sequence[int], shards: Sequence[str | int | None]) -> int:
    """Within one shard, tied documents come back in indexing order: any disorder there was indexed so.

    ``ranks`` run oldest-first (the display reversed), so indexing order in file order shows
    here as a strictly decreasing run; count the pairs that break it.
    """
    total = 0
    for shard in set(shards):
        same = [r for r, s in zip(ranks, shards, strict=True) if s == shard]
        total += count_inversions([-r for r in same])
    return total


def _cross_shard_inversions(ranks: Sequence[int], shards: Sequence[str | int | None]) -> int:
    """Inversions between different shards = all inversions minus those inside each shard (exact)."""
    inside = 0
    for shard in set(shards):
        inside += count_inversions([r for r, s in zip(ranks, shards, strict=True) if s == shard])
    return count_inversions(ranks) - inside


def _split_pairs(rows: Sequence[Placed], truth_order: Sequence[int]) -> tuple[int, int]:
    """Adjacent file lines in separate documents with the same ms; how many of the later ones continue a statement."""
    same = cont = 0
    for earlier, later in pairwise(truth_order):
        a, b = rows[earlier], rows[later]
        adjacent = a.last_line is None or b.first_line is None or b.first_line == a.last_line + 1
        if adjacent and a.timestamp_ms == b.timestamp_ms:
            same += 1
            cont += b.continuation
    return same, cont
