"""How ISM walks a policy for one index, job run by job run, and when it deletes the index.

The model (index-management 2.19 ``ManagedIndexRunner`` + job-scheduler ``JobScheduler``):

* Attaching creates a job with ``IntervalSchedule(start=attach time, job_interval)``; run *k*
  is due at ``attach + k * interval`` and starts after a random delay in
  ``[0, interval * min(jitter, jitter_limit))``; delays do not accumulate.
* Run 1 only initialises the metadata (state = ``default_state``).  Every later run performs one
  step: an action step, or one attempt of the state's transitions (in order, first true wins).
  So the seed policy (hot -> delete after 30d) needs at least three runs: init, transition, delete.
* ``min_index_age`` is measured from ``index.creation_date`` at the time of the run.

Time conditions give a window: the earliest run at which the condition can hold (largest
delay) and the run at which it surely holds (no delay).  We report every step as the interval
``[earliest, latest)`` in which it happens.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from efklab.ismtemplates import Attachment, IndexFacts
from efklab.retention import Policy, Transition

MAX_MILESTONES = 200
HORIZON_MS = 10 * 365 * 86_400_000


@dataclass(frozen=True, slots=True)
class JobSettings:
    """ISM job settings: ``plugins.index_state_management.job_interval`` (minutes) and ``jitter``."""

    interval_minutes: int = 5
    jitter: float = 0.6
    jitter_limit: float = 0.6  # plugins.jobscheduler.jitter_limit

    @property
    def interval_ms(self) -> int:
        return self.interval_minutes * 60_000

    @property
    def max_delay_ms(self) -> int:
        """Largest random delay of a run (the job-scheduler caps jitter at jitter_limit)."""
        return int(self.interval_ms * min(max(self.jitter, 0.0), self.jitter_limit))


@dataclass(frozen=True, slots=True)
class Milestone:
    """One step ISM performs: run number, the window it happens in, and what it does."""

    run: int
    earliest: int
    latest: int
    state: str
    action: str  # "initialise", "transition" or the action type
    step: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IndexForecast:
    """The simulated life of one index under its policy."""

    index: str
    policy_id: str | None
    created: int
    attachment: Attachment
    milestones: tuple[Milestone, ...]
    outcome: str  # "deleted", "kept" (policy ends without delete), "unmanaged", "undetermined", "failed"
    reason: str
    deletion: tuple[int, int] | None = None  # [earliest, latest) of the delete step


@dataclass(frozen=True, slots=True)
class _Walk:
    """One scenario's path: (run, state, action, step, detail) and how it ends."""

    steps: tuple[tuple[int, str, str, str, str], ...]
    outcome: str
    reason: str


def forecast_index(index: IndexFacts, attachment: Attachment, policy: Policy | None, settings: JobSettings) -> IndexForecast:
    """Simulate one index; with no policy the index is kept and the reason says why."""
    if policy is None or attachment.attached_at is None:
        return IndexForecast(index.name, None, index.creation_date, attachment, (), "unmanaged", attachment.reason)
    start = attachment.attached_at
    early = _walk(index, policy, start, settings, delay=settings.max_delay_ms)
    late = _walk(index, policy, start + attachment.attach_delay_ms, settings, delay=0)
    if [s[1:4] for s in early.steps] != [s[1:4] for s in late.steps]:
        return IndexForecast(index.name, policy.policy_id, index.creation_date, attachment, (), "undetermined",
                             "the path through the policy depends on the job's random delays")
    interval, delay = settings.interval_ms, settings.max_delay_ms
    milestones = tuple(
        Milestone(e[0], start + e[0] * interval, start + attachment.attach_delay_ms + l[0] * interval + delay, *e[1:])
        for e, l in zip(early.steps, late.steps, strict=True)
    )
    deletion = (milestones[-1].earliest, milestones[-1].latest) if late.outcome == "deleted" else None
    return IndexForecast(index.name, policy.policy_id, index.creation_date, attachment, milestones, late.outcome,
                         late.reason, deletion)


def _walk(index: IndexFacts, policy: Policy, attached: int, settings: JobSettings, *, delay: int) -> _Walk:
    """Walk the policy with every run delayed by ``delay`` ms (conditions are checked at that time)."""
    steps: list[tuple[int, str, str, str, str]] = [(1, policy.default_state, "initialise", "initialise", "metadata initialised")]
    state_name, run = policy.default_state, 2
    rolled_over_run: int | None = None
    while len(steps) < MAX_MILESTONES:
        state = policy.state(state_name)
        for action in state.actions:
            for step in action.steps:
                if action.type == "rollover":
                    steps.append((run, state_name, action.type, step, "fails: the index has no rollover_alias setting"))
                    return _Walk(tuple(steps), "failed", "rollover fails without index.plugins.index_state_management.rollover_alias")
                steps.append((run, state_name, action.type, step, ""))
                if action.type == "delete":
                    return _Walk(tuple(steps), "deleted", f"deleted in state {state_name}")
                run += 1
        if not state.transitions:
            steps.append((run, state_name, "transition", "attempt_transition", "no transitions: policy completed"))
            return _Walk(tuple(steps), "kept", f"policy completes in state {state_name} without deleting")
        found = _first_transition(state.transitions, run, index, attached, settings, delay, rolled_over_run)
        if isinstance(found, str):
            steps.append((run, state_name, "transition", "attempt_transition", found))
            outcome = "undetermined" if found.startswith("undetermined") else "kept"
            return _Walk(tuple(steps), outcome, found)
        when, transition = found
        condition = transition.condition
        label = f"{condition.kind} {condition.text}" if condition else "no condition"
        steps.append((when, state_name, "transition", "attempt_transition", f"-> {transition.state_name} ({label})"))
        state_name, run = transition.state_name, when + 1
    return _Walk(tuple(steps), "undetermined", "the policy loops; simulation stopped")


def _first_transition(
    transitions: tuple[Transition, ...], run: int, index: IndexFacts, attached: int, settings: JobSettings,
    delay: int, rolled_over_run: int | None,
) -> tuple[int, Transition] | str:
    """The first run >= ``run`` at which a transition holds, and the winning transition (first in order)."""
    first: list[int | None] = []
    for transition in transitions:
        answer = _first_run_true(transition, run, index, attached, settings, delay, rolled_over_run)
        if isinstance(answer, str):
            return f"undetermined: {answer}"
        first.append(answer)
    candidates = [k for k in first if k is not None]
    if not candidates:
        return "never: no transition condition can become true (waits forever)"
    when = min(candidates)
    winner = next(t for t, k in zip(transitions, first, strict=True) if k is not None and k <= when)
    return when, winner


def _first_run_true(
    transition: Transition, run: int, index: IndexFacts, attached: int, settings: JobSettings,
    delay: int, rolled_over_run: int | None,
) -> int | None | str:
    """First run >= ``run`` at which the transition's condition holds; None = never; str = cannot tell."""
    condition = transition.condition
    if condition is None:
        return run
    if condition.kind == "min_index_age":
        if index.creation_date < 0:
            return None  # creation date -1: ISM treats the condition as false
        # run k happens at attached + k*interval + delay; needs that - creation >= age
        needed = index.creation_date + int(condition.value) - attached - delay
        k = max(run, math.ceil(needed / settings.interval_ms))
        return k if k * settings.interval_ms <= HORIZON_MS else None
    if condition.kind == "min_doc_count":
        if index.doc_count is None:
            return "min_doc_count needs the index's document count"
        return run if index.doc_count >= int(condition.value) else None
    if condition.kind == "min_size":
        if index.size_bytes is None:
            return "min_size needs the index's primary store size (read it from a node)"
        return run if index.size_bytes >= int(condition.value) else None
    if condition.kind == "min_rollover_age":
        return None if rolled_over_run is None else max(run, rolled_over_run + 1)
    return f"cron conditions ({condition.value} {condition.timezone}) are not simulated"
