"""Retention as of a time: which indices and documents are gone, kept, or due next, and the traps.

Built on ``attachment`` (who gets which policy) and ``schedule`` (when ISM acts).  An
index name can live several lives: a daily index deleted by ISM is created again by the next
late event for that day (the Lambda names indices after the event's time, and OpenSearch
auto-creates them), and the new index is a fresh one whose age starts at zero.  So the unit of
the forecast is a *generation*: one creation of one index name.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from efklab.lambda_.layout import ExpectedLayout
from efklab.retention.attachment import IndexFacts, attach_policy, match_managed_policy
from efklab.retention.policy import Policy
from efklab.retention.schedule import IndexForecast, JobSettings, forecast_index
from efklab.units import DAY_MS, format_duration, format_time

_NAME_DATE = re.compile(r"(\d{4})[.\-_/](\d{2})[.\-_/](\d{2})$")


@dataclass(frozen=True, slots=True)
class Generation:
    """One life of an index name: its forecast, and which documents land in it."""

    forecast: IndexForecast
    generation: int  # 1 = first creation, 2 = recreated by late events, ...
    doc_count: int
    uncertain_docs: int  # arrived inside the deletion window: in this index, or the next one


@dataclass(frozen=True, slots=True)
class Finding:
    """A retention trap made visible: what, for which index, and the consequence in one line."""

    # "creation-date", "recreated", "pre-existing", "unmanaged", "never-deleted", "or-conditions", "undetermined"
    kind: str
    index: str
    message: str


def name_date(index: str) -> int | None:
    """Epoch ms of the UTC day in an index name ending in YYYY.MM.DD (or - _ /), else None."""
    match = _NAME_DATE.search(index)
    if not match:
        return None
    try:
        year, month, day = map(int, match.groups())
        return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)
    except ValueError:
        return None


def plan_generations(
    name: str,
    arrivals: Sequence[int],
    policies: Sequence[Policy],
    settings: JobSettings,
    *,
    applied_at: Mapping[str, int] | None = None,
    added: Mapping[str, tuple[str, int]] | None = None,
    base: IndexFacts | None = None,
) -> list[Generation]:
    """Split the (sorted) arrival times of one index name's documents into generations.

    The first arrival creates the index; documents arriving after its deletion window create it
    again.  ``base`` carries facts read from a node (size, hidden ...) for the first generation.
    """
    generations: list[Generation] = []
    i = 0
    while i < len(arrivals):
        created = arrivals[i]
        facts = replace(base, creation_date=created) if base and not generations else IndexFacts(name, created)
        # first pass with every remaining document (min_doc_count), then again with those that land here
        facts = replace(facts, doc_count=len(arrivals) - i)
        window = _forecast(facts, policies, settings, applied_at, added if not generations else None)
        end = len(arrivals) if window.deletion is None else bisect.bisect_left(arrivals, window.deletion[0], lo=i)
        late = len(arrivals) if window.deletion is None else bisect.bisect_left(arrivals, window.deletion[1], lo=i)
        count = late - i
        facts = replace(facts, doc_count=count)
        forecast = _forecast(facts, policies, settings, applied_at, added if not generations else None)
        generations.append(Generation(forecast, len(generations) + 1, count, late - end))
        i = late
    return generations


def forecast_layout(layout: ExpectedLayout, policies: Sequence[Policy], settings: JobSettings, *,
                    applied_at: Mapping[str, int] | None = None,
                    replayed_at: int | None = None) -> tuple[list[Generation], list[Finding]]:
    """The generations of every index the payloads create, and the traps they show.

    Each index is created by its first accepted document's arrival and again by documents that
    arrive after its deletion; with ``replayed_at`` every document arrives then (a backfill).
    """
    generations: list[Generation] = []
    for index in layout.indices:
        arrivals = [replayed_at] * index.doc_count if replayed_at is not None else list(index.arrivals)
        generations.extend(plan_generations(index.name, arrivals, policies, settings, applied_at=applied_at))
    return generations, find_traps(generations, policies)


def forecast_existing(facts: Sequence[IndexFacts], policies: Sequence[Policy], settings: JobSettings, *,
                      applied_at: Mapping[str, int] | None = None,
                      stored: Mapping[str, Policy] | None = None) -> list[Generation]:
    """One generation per index a node holds, from what it reports (creation date, documents, policy).

    An index the node manages runs the policy the node names (:func:`match_managed_policy`, with
    ``stored``: the node's own policies by id); the others get what the templates would give them.
    """
    generations = []
    for fact in facts:
        if fact.managed_by is not None:
            attachment = attach_policy(fact, policies, applied_at=applied_at)
            policy, how = match_managed_policy(fact, fact.managed_by, policies, stored or {})
            forecast = forecast_index(fact, replace(attachment, matched=how), policy, settings)
        else:
            forecast = _forecast(fact, policies, settings, applied_at, None)
        generations.append(Generation(forecast, 1, fact.doc_count or 0, 0))
    return generations


def _forecast(facts: IndexFacts, policies: Sequence[Policy], settings: JobSettings,
              applied_at: Mapping[str, int] | None, added: Mapping[str, tuple[str, int]] | None) -> IndexForecast:
    attachment = attach_policy(facts, policies, applied_at=applied_at, added=added)
    policy = next((p for p in policies if p.policy_id == attachment.policy_id), None)
    return forecast_index(facts, attachment, policy, settings)


def status_at(forecast: IndexForecast, at: int, latency_ms: int = 0) -> str:
    """Where the index stands at ``at``.

    ``gone`` (surely deleted by ``at``), ``due`` (inside its deletion window), ``kept``, or ``not-yet`` (created later).
    ``latency_ms`` widens the window's end by the plugin's execution latency (comparisons with a node).
    """
    if at < forecast.created:
        return "not-yet"
    if forecast.deletion is None:
        return "kept"
    earliest, latest = forecast.deletion
    if at >= latest + latency_ms:
        return "gone"
    return "due" if at >= earliest else "kept"


def summarize_at(generations: Sequence[Generation], at: int, *, due_within_ms: int = DAY_MS,
                 latency_ms: int = 0) -> dict[str, object]:
    """Counts of indices and documents gone / due / kept as of ``at``, and what is deleted next."""
    totals = {status: {"indices": 0, "docs": 0} for status in ("gone", "due", "kept", "not-yet")}
    upcoming = []
    for gen in generations:
        status = status_at(gen.forecast, at, latency_ms)
        totals[status]["indices"] += 1
        totals[status]["docs"] += gen.doc_count
        deletion = gen.forecast.deletion
        if deletion and status in ("kept", "due", "not-yet") and deletion[0] - at <= due_within_ms:
            upcoming.append({"index": gen.forecast.index, "generation": gen.generation, "docs": gen.doc_count,
                             "earliest": deletion[0], "latest": deletion[1]})
    upcoming.sort(key=lambda row: (row["earliest"], row["index"]))
    return {"at": at, "totals": totals, "due_next": upcoming}


def index_lifetimes(generations: Sequence[Generation]) -> list[tuple[int, int | None]]:
    """(created, surely deleted by) per generation, None for never: the input of shards over time."""
    return [(g.forecast.created, g.forecast.deletion[1] if g.forecast.deletion else None) for g in generations]


def find_traps(generations: Sequence[Generation], policies: Sequence[Policy]) -> list[Finding]:
    """The retention traps the forecast shows, one finding per index (and per policy for OR conditions)."""
    findings: list[Finding] = []
    for policy in policies:
        for state in policy.states:
            kinds = {t.condition.kind for t in state.transitions if t.condition}
            if len(state.transitions) > 1 and len(kinds) > 1:
                findings.append(Finding("or-conditions", policy.policy_id,
                                        f"state {state.name} has {len(state.transitions)} transitions: the first whose "
                                        f"condition holds wins (OR over {sorted(kinds)}), not all of them"))
        if not policy.deletes:
            findings.append(Finding("never-deleted", policy.policy_id,
                                    "the policy has no delete action: its indices are never deleted"))
    unmatched = [g.forecast for g in generations if g.forecast.attachment.how == "none"]
    if unmatched:
        first = unmatched[0]
        findings.append(Finding("unmanaged", first.index, f"{len(unmatched)} indices get no policy (this one: "
                                f"{first.attachment.reason}); they are never deleted"))
    for gen in generations:
        forecast = gen.forecast
        if gen.generation > 1:
            findings.append(Finding("recreated", forecast.index,
                                    f"recreated at {format_time(forecast.created)} by {gen.doc_count} late document(s) "
                                    f"after ISM deleted it; the new index lives another full period"
                                    + (f" (deleted {_window(forecast)})" if forecast.deletion else "")))
        if forecast.attachment.how == "pre-existing":
            findings.append(Finding("pre-existing", forecast.index, forecast.attachment.reason))
        if forecast.outcome == "undetermined":
            findings.append(Finding("undetermined", forecast.index, forecast.reason))
        logical = name_date(forecast.index)
        if (gen.generation == 1 and logical is not None and forecast.deletion is not None
                and forecast.created - (logical + DAY_MS) >= DAY_MS):
            late_by = forecast.created - logical
            findings.append(Finding(
                "creation-date", forecast.index,
                f"created {format_time(forecast.created)}, {format_duration(late_by)} after the day in its name: "
                f"ISM counts age from index.creation_date, so it is deleted {_window(forecast)}, "
                f"not {format_duration(late_by)} earlier"))
    return findings


def _window(forecast: IndexForecast) -> str:
    assert forecast.deletion is not None
    return f"between {format_time(forecast.deletion[0])} and {format_time(forecast.deletion[1])}"


TRAP_MEANINGS = {
    "creation-date": "ISM counts age from index.creation_date, not from the day in the name: created late, "
                     "deleted late",
    "recreated": "a late event recreated a daily index after ISM deleted it; the new index lives a full period",
    "pre-existing": "created before the policy's template: the template never attaches (use --add)",
    "unmanaged": "no policy matches: never deleted",
    "never-deleted": "the policy has no delete action",
    "or-conditions": "several transitions: the first whose condition holds wins (OR)",
    "undetermined": "the forecast cannot tell (a condition needs facts it does not have)",
}


@dataclass(frozen=True, slots=True)
class TrapGroup:
    """All findings of one kind: how many, a few examples, what it means, and the first one in full."""

    kind: str
    count: int
    examples: tuple[str, ...]
    meaning: str
    first: str


def group_findings(findings: Sequence[Finding], *, examples: int = 3) -> list[TrapGroup]:
    """One group per trap kind, in the order kinds first appear (a report shows kinds, not 181 lines)."""
    kinds: dict[str, list[Finding]] = {}
    for finding in findings:
        kinds.setdefault(finding.kind, []).append(finding)
    return [TrapGroup(kind, len(found), tuple(f.index for f in found[:examples]), TRAP_MEANINGS.get(kind, kind),
                      found[0].message) for kind, found in kinds.items()]


@dataclass(frozen=True, slots=True)
class LifetimeGroup:
    """Index generations created on one day with one outcome: a row of a report that has too many indices."""

    day: int  # UTC midnight of their creation, ms
    outcome: str
    recreated: bool
    generations: tuple[Generation, ...]

    @property
    def docs(self) -> int:
        return sum(g.doc_count for g in self.generations)

    @property
    def created(self) -> tuple[int, int]:
        return (min(g.forecast.created for g in self.generations), max(g.forecast.created for g in self.generations))

    @property
    def deletion(self) -> tuple[int, int] | None:
        """The earliest start and the latest end of their deletion windows (None: not deleted)."""
        windows = [g.forecast.deletion for g in self.generations if g.forecast.deletion]
        return (min(w[0] for w in windows), max(w[1] for w in windows)) if windows else None


def group_by_creation_day(generations: Sequence[Generation]) -> list[LifetimeGroup]:
    """Generations grouped by UTC creation day, outcome and first-or-recreated, oldest first."""
    groups: dict[tuple[int, str, bool], list[Generation]] = {}
    for gen in sorted(generations, key=lambda g: (g.forecast.created, g.forecast.index)):
        day = gen.forecast.created - gen.forecast.created % DAY_MS
        groups.setdefault((day, gen.forecast.outcome, gen.generation > 1), []).append(gen)
    return [LifetimeGroup(day, outcome, again, tuple(gens)) for (day, outcome, again), gens in groups.items()]
