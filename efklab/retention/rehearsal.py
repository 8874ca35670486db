"""A rehearsal of a policy on a real node: which indices to create when, what was seen, and the verdict per index.

The pure half of ``efklab retention rehearse`` (the I/O is :mod:`efklab.jobs.rehearsal`).  The
payloads' indices are created in the order and at the (scaled) spacing of their first arrivals,
one created just before the policy's PUT (the template must not reach it), and, optionally, a
late event sent to the first index once ISM deleted it (it must come back as a new index with
a new lifetime).  Every poll of the node is folded into one :class:`Life` per index
generation: when it was created, the policy the node reports, each state/action/step it went
through, and the two polls between which it disappeared.  :func:`judge` puts that beside the
forecast the simulator makes from the same facts (the node's creation dates, the PUT time, the
job settings) and decides whether the observed deletion lies in the predicted window, allowing
for the plugin's execution latency (``schedule.EXECUTION_LATENCY_MS``).

What a rehearsal cannot show: OpenSearch refuses ``index.creation_date`` at creation, so every
index starts its life when the rehearsal creates it; back-dated data (a backfill of old days,
old indices restored) keeps its real creation date on a cluster, and only the forecast
(``efklab retention simulate``) reads that calendar.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from efklab.retention.explain import ExplainRow
from efklab.retention.scaling import Scale
from efklab.retention.schedule import IndexForecast

BEFORE_PUT, ARRIVAL, LATE_EVENT = "before-put", "arrival", "late-event"


@dataclass(frozen=True, slots=True)
class PlannedIndex:
    """One index the rehearsal creates: its name on the node, the payload index it stands for, and when."""

    name: str
    source: str
    offset_ms: int  # after the start of the arrivals; the before-put index is created before the PUT
    role: str  # BEFORE_PUT or ARRIVAL (a LATE_EVENT is sent when the first arrival index is gone)
    docs: int  # documents of the source index (one is written: only min_doc_count/min_size would care)


def plan_rehearsal(sources: Sequence[tuple[str, int, int]], scale: Scale, *, prefix: str, count: int,
                   before_put: bool = True) -> list[PlannedIndex]:
    """Up to ``count`` of the payloads' indices (name, first arrival ms, docs), evenly spread over the arrivals.

    Offsets keep the arrivals' spacing, scaled; the first chosen index is also created once
    before the PUT (under another name) when ``before_put``.
    """
    ordered = sorted(sources, key=lambda s: (s[1], s[0]))
    if not ordered or count < 1:
        return []
    if len(ordered) > count:
        step = (len(ordered) - 1) / max(count - 1, 1)
        ordered = [ordered[round(i * step)] for i in range(count)] if count > 1 else ordered[:1]
    start = ordered[0][1]
    plan = [PlannedIndex(f"{prefix}{name}", name, int((first - start) * scale.ratio), ARRIVAL, docs)
            for name, first, docs in ordered]
    if before_put:
        name, _, docs = ordered[0]
        plan.insert(0, PlannedIndex(f"{prefix}pre-{name}", name, 0, BEFORE_PUT, docs))
    return plan


@dataclass(slots=True)
class Life:
    """One generation of one index as the polls saw it."""

    index: str
    generation: int
    role: str
    created: int  # index.creation_date on the node
    policy_id: str | None = None  # the policy the node reported (explain), once seen
    steps: list[tuple[int, str]] = field(default_factory=list)  # (first seen at, "state/action/step status")
    failed: str | None = None
    last_seen: int | None = None
    gone_seen: int | None = None  # first poll that no longer found it

    @property
    def deleted(self) -> bool:
        return self.gone_seen is not None

    def where(self) -> str:
        """The last step seen, or what is known instead."""
        return self.steps[-1][1] if self.steps else ("attached, not initialised" if self.policy_id else "-")


@dataclass(slots=True)
class Watch:
    """Every poll of the rehearsal's indices folded into lives (a late event makes a second generation)."""

    roles: dict[str, str]
    lives: dict[str, list[Life]] = field(default_factory=dict)

    def observe(self, at: int, present: Mapping[str, int], explained: Mapping[str, ExplainRow]) -> None:
        """One poll at ``at``: the indices present (name -> creation date) and their explain rows."""
        for name, created in present.items():
            history = self.lives.setdefault(name, [])
            if not history or history[-1].created != created:
                role = self.roles.get(name, ARRIVAL) if not history else LATE_EVENT
                history.append(Life(name, len(history) + 1, role, created))
            life = history[-1]
            life.last_seen = at
            row = explained.get(name)
            if row is not None and row.managed:
                life.policy_id = row.policy_id
                if row.state is not None:
                    text = f"{row.state}/{row.action or '-'}/{row.step or '-'} {row.step_status or ''}".rstrip()
                    if not life.steps or life.steps[-1][1] != text:
                        life.steps.append((at, text))
                if row.failed:
                    life.failed = row.info or "failed"
        for history in self.lives.values():
            life = history[-1]
            if life.index not in present and life.gone_seen is None:
                life.gone_seen = at

    def all_lives(self) -> list[Life]:
        return [life for history in self.lives.values() for life in history]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Forecast beside observation for one life; ``agrees`` None while the window is still open."""

    index: str
    generation: int
    role: str
    created: int
    predicted: str
    observed: str
    agrees: bool | None
    deletion: tuple[int, int] | None  # predicted window (no latency added)
    deleted_between: tuple[int, int] | None  # last poll that saw it, first that did not
    note: str = ""


def judge(life: Life, forecast: IndexForecast, now: int, *, latency_ms: int, settle_ms: int) -> Verdict:
    """Does what the node did fall inside the forecast?  ``settle_ms``: how long to watch a kept index.

    A deletion agrees when some moment between the last poll that saw the index and the first
    that did not lies in ``[earliest, latest + latency_ms]``; a kept index agrees once it has
    been watched ``settle_ms`` after its creation and is still there (and managed as forecast).
    """
    managed_seen = life.policy_id is not None
    between = (life.last_seen or life.created, life.gone_seen) if life.gone_seen is not None else None
    observed = (f"managed by {life.policy_id}" if managed_seen else "not managed") + (
        "; deleted" if between else f"; present, {life.where()}")
    predicted, agrees, note = _compare(life, forecast, between, now, latency_ms, settle_ms)
    return Verdict(life.index, life.generation, life.role, life.created, predicted, observed, agrees,
                   forecast.deletion, between, note)


def _compare(life: Life, forecast: IndexForecast, between: tuple[int, int] | None, now: int, latency_ms: int,
             settle_ms: int) -> tuple[str, bool | None, str]:
    """(forecast in words, agreement or None while undecided, why not)."""
    if forecast.deletion is not None:
        earliest, latest = forecast.deletion
        predicted = f"managed by {forecast.policy_id}; deleted in its window"
        if between is not None:
            if between[1] < earliest:
                return predicted, False, "deleted before the window"
            if between[0] >= latest + latency_ms:
                return predicted, False, "deleted after the window (and the latency allowance)"
            return predicted, True, ""
        if now > latest + latency_ms:
            return predicted, False, f"still present after the window; last step {life.where()}"
        return predicted, None, "window still open"
    expected_managed = forecast.outcome != "unmanaged"
    predicted = (f"managed by {forecast.policy_id}; kept ({forecast.outcome})" if expected_managed
                 else f"not managed ({forecast.attachment.how}); kept")
    if between is not None:
        return predicted, False, "deleted, the forecast keeps it"
    settled = now >= life.created + settle_ms
    if (life.policy_id is not None) != expected_managed:
        return (predicted, False, "managed differently than forecast") if settled else (predicted, None, "watching")
    return (predicted, True, "") if settled else (predicted, None, "watching")
