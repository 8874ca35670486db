"""The index layout payloads imply, and the node's: ``efklab layout`` and notebooks 01 and 04.

From the payloads a pipeline delivers: the indices the Lambda's naming creates (documents, days,
namespaces, containers), names OpenSearch refuses, documents it will refuse (mapping conflicts),
fields whose type differs across the index pattern, the steady-state shard count of this and
coarser strategies and, with a node, what it actually holds.  The numbers come from
``lambda_.layout``, ``opensearch.mappings`` and ``opensearch.shards``; this recipe reads the
inputs, asks the node and says what is wrong.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from efklab.adapters.idspill import SpillingIds
from efklab.adapters.opensearch import cat_indices, refresh
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.cloudwatch.schema import Payload, payload_from_json
from efklab.errors import UsageError
from efklab.jobs.connect import Connected, connect
from efklab.jobs.policies import read_policies
from efklab.lambda_.indextemplate import MAPPED_FIELDS, index_pattern
from efklab.lambda_.layout import (
    OWN_STRATEGY,
    ActualIndex,
    ExpectedLayout,
    LayoutDiff,
    diff_layout,
    expect_layout,
    parse_cat_indices,
    strategy_counts,
)
from efklab.lambda_.transform import TransformOptions
from efklab.model import Reject
from efklab.opensearch.indexnames import compile_index_strategy
from efklab.opensearch.mappings import PatternConflict, find_pattern_conflicts
from efklab.opensearch.shards import ShardProjection, compare_strategies
from efklab.retention.policy import retention_days as policy_retention_days

DEFAULT_RETENTION_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class LayoutResult:
    """The expected layout, its shard projection and pattern conflicts; with a node its indices and the diff."""

    pattern: str
    expected: ExpectedLayout
    retention_days: float
    projections: tuple[ShardProjection, ...]
    pattern_conflicts: tuple[PatternConflict, ...]
    field_limit: int
    problems: tuple[str, ...]  # what loses or refuses documents or breaks the cluster; empty: the layout is sound
    actual: tuple[ActualIndex, ...] | None = None
    diff: LayoutDiff | None = None

    def figures(self) -> dict[str, Any]:
        """The numbers behind the layout checks."""
        indices = self.expected.indices
        return {"indices": len(indices), "documents": sum(i.doc_count for i in indices),
                "invalid_names": len(self.expected.invalid_names), "refused": sum(i.refused for i in indices),
                "missing_on_node": len(self.diff.missing) if self.diff else None,
                "unexpected_on_node": len(self.diff.unexpected) if self.diff else None,
                "count_mismatches": len(self.diff.count_mismatches) if self.diff else None}


def payload_records(payloads: Iterable[str | Mapping[str, Any]]) -> Iterator[Payload | Reject]:
    """Payload files (paths, ``-`` for stdin: the CLI) or payload objects (a pipeline run: the notebooks), in order."""
    items: list[str | Mapping[str, Any]] = list(payloads)
    paths = [p for p in items if isinstance(p, str)]
    objects = [p for p in items if not isinstance(p, str)]
    if not objects:
        return iter_payload_records(paths)
    if paths:
        raise UsageError("payloads are either file names or payload objects, not both")
    return (payload_from_json(p, source="pipeline", position=n) for n, p in enumerate(objects, start=1))


def index_layout(payloads: Iterable[str | Mapping[str, Any]], *, mode: str = "opensearch",
                 index_strategy: str = "seed", prefix: str = "mydata", tz: str = "UTC", pattern: str | None = None,
                 no_template: bool = False, field_limit: int = 1000, policy: str | None = None,
                 retention_days: float | None = None, primaries: int = 1, replicas: int = 1, data_nodes: int = 1,
                 max_shards_per_node: int = 1000, local: bool = False, opensearch_url: str | None = None,
                 aws_region: str | None = None, ca_certs: str | None = None, no_verify_tls: bool = False,
                 target: Connected | None = None, say: Callable[[str], None] | None = None) -> LayoutResult:
    """The layout of ``payloads``; compared with a node given ``target``, or asked to (``local``, ``opensearch_url``).

    ``pattern`` defaults to the naming's (e.g. ``mydata-*-*-*``); the retention period of the shard
    projection comes from ``retention_days``, else from ``policy``'s ``min_index_age``, else 30 days.
    ``no_template`` predicts mappings without the index template a replay installs.  The node is
    asked only after the payloads are read, so bad input fails before any connection.
    """
    options = TransformOptions(mode=mode, index_strategy=index_strategy, prefix=prefix, tz=tz)
    pattern = pattern or index_pattern(compile_index_strategy("seed" if mode == "seed" else index_strategy,
                                                              prefix=prefix, tz=tz))
    explicit = None if no_template else {k: v["type"] for k, v in MAPPED_FIELDS.items()}
    items: list[str | Mapping[str, Any]] = list(payloads)
    files = all(isinstance(p, str) for p in items) and "-" not in items
    # Files are read twice (layout, then the compared strategies) and their ids spill to disk: flat memory
    # for a day of millions of events.  Stdin and payload objects (a notebook's pipeline run) are held.
    records: Iterable[Payload | Reject] = payload_records(items) if files else list(payload_records(items))
    layout = expect_layout(records, options, explicit_mappings=explicit, field_limit=field_limit,
                           ids=SpillingIds() if files else None)
    days = retention_days
    if policy:
        (parsed,) = read_policies([policy])
        days = policy_retention_days(parsed) if days is None else days
        if days is None:
            raise UsageError(f"{policy}: the policy never deletes on min_index_age; give --retention-days",
                             source="--policy")
    days = DEFAULT_RETENTION_DAYS if days is None else days
    again = payload_records(items) if files else records
    projections = tuple(compare_strategies(strategy_counts(layout, again, prefix=prefix), days, primaries=primaries,
                                           replicas=replicas, data_nodes=data_nodes,
                                           max_shards_per_node=max_shards_per_node))
    conflicts = tuple(find_pattern_conflicts(list(layout.mappings.indices.values()), pattern))
    actual = diff = None
    if target is None and (local or opensearch_url):
        target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls, say=say)
    if target is not None:
        refresh(target.client, target.conn, pattern)
        actual = tuple(parse_cat_indices(cat_indices(target.client, target.conn, pattern)))
        diff = diff_layout(layout, actual, pattern)
    problems = layout_problems(layout, pattern, projections, conflicts, diff)
    return LayoutResult(pattern, layout, days, projections, conflicts, field_limit, problems, actual, diff)


def layout_problems(layout: ExpectedLayout, pattern: str, projections: Sequence[ShardProjection],
                    conflicts: Sequence[PatternConflict], diff: LayoutDiff | None) -> tuple[str, ...]:
    """One line per kind of trouble: refused or wrong names, lost or refused documents, conflicts, shards, the node."""
    problems = []
    refused_names = [n for n in layout.invalid_names if not n.accepted]
    if refused_names:
        problems.append(f"{len(refused_names)} invalid index names")
    if len(refused_names) < len(layout.invalid_names):
        problems.append(f"{len(layout.invalid_names) - len(refused_names)} index names with 'undefined' segments")
    if layout.rejects:
        problems.append(f"{len(layout.rejects)} events produce no document")
    if any(m.rejected for m in layout.mappings.indices.values()):
        problems.append(f"{sum(i.refused for i in layout.indices)} documents the node will refuse (mapping conflicts)")
    if conflicts:
        problems.append(f"{len(conflicts)} fields with conflicting types in {pattern}")
    own = next((p for p in projections if p.strategy == OWN_STRATEGY), None)
    if own is not None and not own.fits:
        problems.append(f"{own.steady_shards} shards at steady state > limit {own.limit}")
    if diff is not None and not diff.clean:
        problems.append("the node differs from the expected layout")
    return tuple(problems)
