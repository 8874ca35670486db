"""The ordering recipes: ``efklab ordering`` on indices already there, and notebook 03's story end to end.

Views are read from a node the way Discover shows them (``adapters.discover``) and measured,
explained and compared by the pure ``ordering.check``.  ``check_order`` is the CLI's recipe
(provenance files, line times from the container logs, the Dashboards export);
``tell_ordering_story`` replays the same logs under the production config and a candidate,
into indices with several primary shards (as Amazon domains had), and checks both.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from efklab.adapters.discover import FIELDS, discover_sort, field_types, primary_shards
from efklab.adapters.files import iter_lines
from efklab.adapters.opensearch import Connection, field_values, iter_sorted, refresh
from efklab.errors import InputError, UsageError
from efklab.jobs.connect import Connected, connect
from efklab.jobs.defaults import AWS_SAMPLE_CONFIG, SEED_CONFIG, config_path
from efklab.jobs.pipeline import PipelineRun, run_config
from efklab.jobs.replay import replay_fresh
from efklab.multiline.grouping import read_log_records
from efklab.opensearch.bulk import ReplaySummary
from efklab.opensearch.dashboards import saved_objects_ndjson, sortable_field
from efklab.ordering.check import DEFAULT_TIEBREAKERS, OrderingCheck, View, check_ordering, view_of_streams
from efklab.ordering.diagnosis import count_truncated_ties
from efklab.ordering.inputs import provenance_from_lines
from efklab.ordering.measure import Provenance, Shown, StreamOrder, parse_provenance, shown_from_hit


def measure_views(
    client: Any,
    conn: Connection,
    pattern: str,
    *,
    grouping: str,
    provenance: Provenance | None,
    tiebreakers: Sequence[Sequence[str]] = DEFAULT_TIEBREAKERS,
    descending: bool = True,
    per_stream: int | None = None,
) -> list[View]:
    """The Discover view (no tiebreaker) and one view per candidate tiebreaker, each measured against the truth.

    Read from the node stream by stream (``@log_stream``), each in display order with a point in
    time and ``search_after`` per shard (``adapters.opensearch.iter_sorted``), so memory holds one
    stream, not the index pattern.  ``per_stream``: measure only the newest that many documents of
    each stream (what Discover shows first); the report then says it is a sample, and of how much.
    """
    refresh(client, conn, pattern)  # a replay just before (efklab replay, then efklab ordering) is read whole
    wanted = sorted({field for tiebreaker in tiebreakers for field in tiebreaker} | {"@log_stream"})
    types = field_types(client, conn, pattern, wanted)
    shards = primary_shards(client, conn, pattern)
    if not shards:
        raise InputError("no index matches this pattern", source="--index", position=pattern)
    if per_stream is not None and per_stream < 1:
        raise UsageError(f"the sample per stream must be at least 1, not {per_stream}", source="--per-stream")
    streams: dict[str, int] = {}
    queries: list[dict[str, Any]] = [{"match_all": {}}]  # when @log_stream cannot be aggregated on: all in one go
    try:
        stream_field = sortable_field("@log_stream", types)
    except ValueError:
        pass
    else:
        streams = field_values(client, conn, pattern, stream_field)
        queries = [{"term": {stream_field: name}} for name in sorted(streams)]
        queries.append({"bool": {"must_not": {"exists": {"field": stream_field}}}})  # documents without a stream
    total = sum(streams.values())
    sampled = None
    if per_stream is not None and any(count > per_stream for count in streams.values()):
        measured = sum(min(count, per_stream) for count in streams.values())
        sampled = (f"the newest {per_stream:,} documents of each stream: {measured:,} of {total:,} "
                   f"({measured / total:.1%}) in {len(streams)} streams")
    views = []
    for tiebreaker in [(), *map(tuple, tiebreakers)]:
        try:
            fields = tuple(sortable_field(field, types) for field in tiebreaker)
        except ValueError as exc:
            raise UsageError(str(exc), source="--tiebreaker") from exc
        sort = discover_sort(fields, descending=descending)

        def per_stream_shown(sort: list[dict[str, Any]] = sort) -> Iterator[list[Shown]]:
            for query in queries:
                holding = sorted(field_values(client, conn, pattern, "_index", query=query))  # only these are read
                if not holding:
                    continue
                with closing(iter_sorted(client, conn, ",".join(holding), sort=sort, query=query,
                                         source=FIELDS)) as hits:
                    yield [shown_from_hit(hit) for hit in islice(hits, per_stream)]

        views.append(view_of_streams(per_stream_shown(), provenance, grouping=grouping, tiebreaker=fields,
                                     primaries=max(shards.values()), pattern=pattern, descending=descending,
                                     sampled=sampled))
    return views


def read_provenance(path: str) -> Provenance:
    """A provenance file (JSONL, .gz ok): event id -> source lines."""
    return provenance_from_lines(iter_lines(path), source=path)


def read_line_times(provenance: Provenance, base: str | Path) -> dict[tuple[str, int], int]:
    """Nanosecond time of every source line the provenance names, read from the container logs under ``base``.

    Files that are not there are skipped (the truncation cause is then judged on the others).
    """
    files = sorted({ref.file for refs in provenance.values() for ref in refs})
    times: dict[tuple[str, int], int] = {}
    for name in files:
        path = Path(base) / name
        if path.is_file():
            for record in read_log_records(str(path)):
                times[(name, int(record.lineno))] = record.time_ns
    return times


def write_saved_objects(check: OrderingCheck, path: str, *, pattern: str, direction: str = "desc") -> dict[str, Any]:
    """Write Dashboards saved objects (index pattern + saved search sorted as the check recommends) to ``path``."""
    fields = check.saved_search_sort()
    text = saved_objects_ndjson(pattern, fields, direction=direction)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=path) from exc
    return {"file": path, "sort": ["@timestamp", *fields]}


# --- efklab ordering -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderingResult:
    """The check, the view whose share out of place decides the exit code, and what was written."""

    check: OrderingCheck
    checked: View
    max_out_of_place: float
    worst: list[StreamOrder]  # the most disordered streams of the checked view
    exported: dict[str, Any] | None

    @property
    def share(self) -> float:
        return float(self.checked.measurement.totals["share_out_of_place"])

    @property
    def passed(self) -> bool:
        return self.share <= self.max_out_of_place

    def summary(self) -> dict[str, Any]:
        """``efklab ordering --json``: views, causes, recommendation, the check, the worst streams, the export."""
        out = self.check.summary()
        out["check"] = {"sort": self.checked.measurement.sort, "share_out_of_place": self.share,
                        "max_out_of_place": self.max_out_of_place, "passed": self.passed}
        out["streams"] = [_stream_row(s) for s in self.worst]
        out["exported"] = self.exported
        return out


def _stream_row(s: StreamOrder) -> dict[str, Any]:
    return {"stream": s.stream, "documents": s.documents, "lines": s.lines, "inversions": s.inversions,
            "kendall_tau_distance": s.kendall_tau_distance, "share_out_of_place": s.share_out_of_place,
            "tie_groups": s.tie_groups, "largest_tie": s.largest_tie}


def _fields(text: str) -> tuple[str, ...]:
    fields = tuple(f.strip() for f in text.split(",") if f.strip())
    if not fields:
        raise UsageError(f"empty tiebreaker {text!r}", source="--tiebreaker")
    return fields


def check_order(*, index: str = "mydata-*", provenance: str | None = None, logs: str | None = None,
                label: str = "as indexed", candidate_index: str | None = None, candidate_provenance: str | None = None,
                candidate_label: str = "candidate regex", tiebreaker: Sequence[str] | None = None,
                discover_tiebreaker: str = "", order: str = "desc", max_out_of_place: float = 0.0,
                export_dashboards: str | None = None, streams: int = 5, opensearch_url: str | None = None,
                aws_region: str | None = None, ca_certs: str | None = None, no_verify_tls: bool = False,
                target: Connected | None = None, say: Callable[[str], None] | None = None,
                per_stream: int | None = None) -> OrderingResult:
    """Measure ``index`` (and ``candidate_index``) as Discover shows it and with tiebreakers, explain, recommend.

    ``tiebreaker`` items and ``discover_tiebreaker`` are ``FIELD[,FIELD]``; the latter is the view the
    verdict is about.  The node is ``target``, or the one ``opensearch_url`` names (the local node when empty).
    ``per_stream``: measure the newest that many documents of each stream only (the views say so).
    """
    if candidate_provenance and not candidate_index:
        raise UsageError("--candidate-provenance needs --candidate-index", source="--candidate-provenance")
    if candidate_index and bool(provenance) != bool(candidate_provenance):
        raise UsageError("give provenance for both replays or for neither", source="--candidate-provenance")
    tiebreakers = [_fields(t) for t in tiebreaker] if tiebreaker else list(DEFAULT_TIEBREAKERS)
    checked = _fields(discover_tiebreaker) if discover_tiebreaker else ()
    if checked and checked not in tiebreakers:
        tiebreakers.append(checked)
    node = target or connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls,
                             say=say)
    descending = order == "desc"
    truth = read_provenance(provenance) if provenance else None
    views = measure_views(node.client, node.conn, index, grouping=label, provenance=truth, tiebreakers=tiebreakers,
                          descending=descending, per_stream=per_stream)
    if candidate_index:
        candidate_truth = read_provenance(candidate_provenance) if candidate_provenance else None
        views += measure_views(node.client, node.conn, candidate_index, grouping=candidate_label,
                               provenance=candidate_truth, tiebreakers=tiebreakers, descending=descending,
                               per_stream=per_stream)
    truncated = None
    if provenance and truth is not None:
        times = read_line_times(truth, logs or Path(provenance).resolve().parent)
        truncated = count_truncated_ties(views[0].report, times) if times and not views[0].report.sampled else None
    check = check_ordering(views, current=label, candidate=candidate_label if candidate_index else None,
                           truncated_tie_groups=truncated)
    view = check.view(label, checked)
    exported = None
    if export_dashboards:
        exported = write_saved_objects(check, export_dashboards, pattern=index, direction=order)
    return OrderingResult(check, view, max_out_of_place, view.worst_streams(streams), exported)


# --- notebook 03: the seed's story ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Replayed:
    """One grouping of the logs: its label, config, pipeline run, indices and replay summary."""

    label: str
    config: str
    run: PipelineRun
    pattern: str
    summary: ReplaySummary


@dataclass(frozen=True, slots=True)
class OrderingStory:
    """Both groupings replayed and the ordering check over all their views."""

    old: Replayed
    new: Replayed
    check: OrderingCheck

    @property
    def before(self) -> View:
        """What users saw: the production grouping in Discover's default sort."""
        return self.check.view(self.old.label)

    @property
    def after(self) -> View:
        """What the recommended fix shows."""
        rec = self.check.recommendation
        return self.check.view(rec.grouping, rec.tiebreaker)

    @property
    def regrouped(self) -> View:
        """The candidate grouping in Discover's default sort: the regex fix alone."""
        return self.check.view(self.new.label)

    def group_sizes(self) -> dict[str, list[int]]:
        """Lines per event under each grouping."""
        return {r.label: [len(row["sources"]) for row in r.run.provenance_rows()] for r in (self.old, self.new)}

    def export_dashboards(self, path: str) -> str | None:
        """Write the saved objects for the recommended view of its grouping's indices; None when ``path`` is empty."""
        if not path:
            return None
        rec = self.check.recommendation
        pattern = self.new.pattern if rec.grouping == self.new.label else self.old.pattern
        write_saved_objects(self.check, path, pattern=pattern)
        return path


def grouping_label(config: str) -> str:
    """A readable name for a config: the two sample configs by their story, others by file name."""
    if "@" in config and not Path(config).is_file():
        return config  # FILE@GITREV says what it is
    resolved = Path(config).resolve()
    if resolved == AWS_SAMPLE_CONFIG.resolve():
        return "AWS sample regex"
    if resolved == SEED_CONFIG.resolve():
        return "seed regex"
    return Path(config).name


def replay_grouping(target: Connected, logs: str | Sequence[str], config: str, *, prefix: str, primaries: int,
                    seed: int = 1, label: str | None = None, index_strategy: str = "seed") -> Replayed:
    """Run the pipeline under ``config`` and replay its payloads into fresh ``prefix`` indices."""
    run = run_config(logs, config, seed=seed)
    pattern, summary = replay_fresh(target, run.payloads, prefix=prefix, primaries=primaries,
                                    index_strategy=index_strategy)
    return Replayed(label or grouping_label(config), config, run, pattern, summary)


def tell_ordering_story(
    target: Connected,
    logs: str | Sequence[str],
    *,
    old: str = "",
    new: str = "",
    prefix: str = "efklab-nb",
    primaries: int = 3,
    seed: int = 1,
    index_strategy: str = "seed",
    tiebreakers: Sequence[Sequence[str]] = DEFAULT_TIEBREAKERS,
) -> OrderingStory:
    """Replay the logs under the production config ``old`` and the candidate ``new``; measure and explain."""
    old_config = config_path(old, AWS_SAMPLE_CONFIG)
    new_config = config_path(new, SEED_CONFIG)
    labels = (grouping_label(old or old_config), grouping_label(new or new_config))
    if labels[0] == labels[1]:
        labels = (f"old: {labels[0]}", f"new: {labels[1]}")
    before = replay_grouping(target, logs, old_config, prefix=f"{prefix}-old", primaries=primaries, seed=seed,
                             label=labels[0], index_strategy=index_strategy)
    after = replay_grouping(target, logs, new_config, prefix=f"{prefix}-new", primaries=primaries, seed=seed,
                            label=labels[1], index_strategy=index_strategy)
    views: list[View] = []
    for replayed in (before, after):
        provenance = parse_provenance(replayed.run.provenance_rows(), source=replayed.label)
        views += measure_views(target.client, target.conn, replayed.pattern, grouping=replayed.label,
                               provenance=provenance, tiebreakers=tiebreakers)
    discover = next(v for v in views if v.measurement.grouping == before.label and not v.measurement.tiebreaker)
    truncated = count_truncated_ties(discover.report, before.run.line_times)
    check = check_ordering(views, current=before.label, candidate=after.label, truncated_tie_groups=truncated)
    return OrderingStory(before, after, check)
