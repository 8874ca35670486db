"""The seed's story, end to end: the same container logs under two regexes, replayed and ordered.

The production config (the AWS sample regex, no grouping) and a candidate (the seed's regex)
each run through the pipeline over the same logs, are replayed into their own indices with
several primary shards (as Amazon domains had), and are measured as Discover shows them and
with tiebreakers.  The result says what was wrong, why, and which fix the numbers support.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from efklab.jobs.connect import Connected
from efklab.jobs.defaults import AWS_SAMPLE_CONFIG, SEED_CONFIG, config_path
from efklab.jobs.ordering_views import DEFAULT_TIEBREAKERS, OrderingCheck, View, check_ordering, measure_views
from efklab.jobs.pipeline import PipelineRun, run_config
from efklab.jobs.replay import replay_fresh
from efklab.opensearch.bulk import ReplaySummary
from efklab.opensearch.dashboards import check_saved_objects, render_ndjson, saved_objects
from efklab.ordering.diagnosis import count_truncated_ties
from efklab.ordering.measure import parse_provenance


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
        """Write the saved objects for the recommended view of the candidate's indices; None when ``path`` is empty."""
        if not path:
            return None
        rec = self.check.recommendation
        fields = self.check.view(rec.grouping, rec.tiebreaker).measurement.tiebreaker or ("@id",)
        pattern = self.new.pattern if rec.grouping == self.new.label else self.old.pattern
        text = render_ndjson(saved_objects(pattern, fields))
        problems = check_saved_objects(text)
        if problems:
            raise RuntimeError("saved objects failed their own check: " + "; ".join(problems))
        Path(path).write_text(text, encoding="utf-8")
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


def replay_grouping(target: Connected, logs: str | Sequence[str], config: str, *, prefix: str, primaries: int, seed: int = 1,
                    label: str | None = None, index_strategy: str = "seed") -> Replayed:
    """Run the pipeline under ``config`` and replay its payloads into fresh ``prefix`` indices."""
    run = run_config(logs, config, seed=seed)
    pattern, summary = replay_fresh(target, run.payloads, prefix=prefix, primaries=primaries, index_strategy=index_strategy)
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
    before = replay_grouping(target, logs, old_config, prefix=f"{prefix}-old", primaries=primaries, seed=seed, label=labels[0],
                             index_strategy=index_strategy)
    after = replay_grouping(target, logs, new_config, prefix=f"{prefix}-new", primaries=primaries, seed=seed, label=labels[1],
                            index_strategy=index_strategy)
    views: list[View] = []
    for replayed in (before, after):
        provenance = parse_provenance(replayed.run.provenance_rows(), source=replayed.label)
        views += measure_views(target.client, target.conn, replayed.pattern, grouping=replayed.label, provenance=provenance,
                               tiebreakers=tiebreakers)
    discover = next(v for v in views if v.measurement.grouping == before.label and not v.measurement.tiebreaker)
    truncated = count_truncated_ties(discover.report, before.run.line_times)
    check = check_ordering(views, current=before.label, candidate=after.label, truncated_tie_groups=truncated)
    return OrderingStory(before, after, check)
