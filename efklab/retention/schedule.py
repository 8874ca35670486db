"""How ISM walks a policy for one index, job run by job run, and when it deletes the index.

The model (index-management 2.19 ``ManagedIndexRunner`` + job-scheduler ``JobScheduler``):

* Attaching creates a job with ``IntervalSchedule(start=attach time, job_interval)``; run *k*
  is due at ``attach + k * interval`` and starts after a random delay in
  ``[0, interval * min(jitter, jitter_limit))``; delays do not accumulate.
* Run 1 only initialises the metadata (state = ``default_state``).  Every later run performs one
  step: an action step, or one attempt of the state's transitions (in order, first true wins).
  So the seed policy (hot -> delete after 30d) needs at least three runs: init, transition, delete.
* ``min_index_age`` is measured from ``index.creation_date`` at the time of the run; a ``cron``
  condition holds once the first fire time after the transition action started has passed;
  ``min_doc_count``/``min_size`` need the index's count/size; ``min_rollover_age`` never holds
  for daily indices (a rollover action fails without ``rollover_alias``).

Time conditions give a window: the earliest run at which the condition can hold (largest
delay) and the run at which it surely holds (no delay).  We report every step as the interval
``[earliest, latest)`` in which it happens.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from efklab.retention.attachment import Attachment, IndexFacts
from efklab.retention.cron import Cron, parse_cron
from efklab.retention.policy import Policy, Transition

MAX_MILESTONES = 200
HORIZON_MS = 10 * 365 * 86_400_000
# What the model leaves out, measured on the real plugin (2.19.4.0, job interval 1 min, jitter 0): the
# coordinator writes the job a fraction of a second after the index is created, a run executes on the
# job-scheduler's thread pool, and the delete call itself takes a moment; deletions were seen 1-6 s after
# the modelled run.  Comparisons with a node allow this much after a window's end (half a 1-minute
# interval: an off-by-one-run error in the model still shows).
EXECUTION_LATENCY_MS = 30_000


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

    run: int  # in the earliest case (a late attachment by the sweep can shift it)
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


def forecast_index(index: IndexFacts, attachment: Attachment, policy: Policy | None,
                   settings: JobSettings) -> IndexForecast:
    """Simulate one index; with no policy the index is kept and the reason says why."""
    if policy is None or attachment.attached_at is None:
        return IndexForecast(index.name, None, index.creation_date, attachment, (), "unmanaged", attachment.reason)
    start, lag = attachment.attached_at, attachment.attach_delay_ms
    interval, delay = settings.interval_ms, settings.max_delay_ms
    steps, outcome, reason = _cached_walk(index, policy, start, lag, interval, delay)
    milestones = tuple(Milestone(early, start + early * interval, start + lag + late * interval + delay, *rest)
                       for early, late, *rest in steps)
    if outcome == "undetermined" and not milestones:
        return IndexForecast(index.name, policy.policy_id, index.creation_date, attachment, (), outcome, reason)
    deletion = (milestones[-1].earliest, milestones[-1].latest) if outcome == "deleted" else None
    return IndexForecast(index.name, policy.policy_id, index.creation_date, attachment, milestones, outcome, reason,
                         deletion)


# A walk: its steps (early run, late run, state, action, step, what), its outcome and why.
_Walk = tuple[Sequence[tuple[int, int, str, str, str, str]], str, str]
_WALKS: dict[tuple[int, int | None, int, int, int, int | None, int | None], tuple[Policy, _Walk]] = {}


def _cached_walk(index: IndexFacts, policy: Policy, start: int, lag: int, interval: int, delay: int) -> _Walk:
    """``_walk``, remembered per policy and index-relative timing when no cron condition makes absolute time matter.

    Daily indices attached at creation all walk the same runs, so a forecast of many is one walk."""
    if any(t.condition and t.condition.kind == "cron" for s in policy.states for t in s.transitions):
        return _walk(index, policy, start, lag, interval, delay)
    key = (id(policy), index.creation_date - start if index.creation_date >= 0 else None, lag, interval, delay,
           index.doc_count, index.size_bytes)
    hit = _WALKS.get(key)
    if hit is not None and hit[0] is policy:
        return hit[1]
    steps, outcome, reason = _walk(index, policy, start, lag, interval, delay)
    result = (tuple(steps), outcome, reason)
    if len(_WALKS) > 4096:
        _WALKS.clear()
    _WALKS[key] = (policy, result)
    return result


def _walk(index: IndexFacts, policy: Policy, start: int, lag: int, interval: int,
          delay: int) -> tuple[list[tuple[int, int, str, str, str, str]], str, str]:
    """Walk the policy twice at once: runs as early as possible (largest delay, attached at ``start``)
    and as late as possible (no delay, attached ``lag`` later); each step is (early run, late run, ...)."""
    steps = [(1, 1, policy.default_state, "initialise", "initialise", "metadata initialised")]
    state_name, early, late = policy.default_state, 2, 2
    states = {s.name: s for s in policy.states}
    while len(steps) < MAX_MILESTONES:
        state = states[state_name]
        for action in state.actions:
            for step in action.steps:
                if action.type == "rollover":
                    steps.append((early, late, state_name, action.type, step,
                                  "fails: the index has no rollover_alias setting"))
                    return steps, "failed", "rollover fails without index.plugins.index_state_management.rollover_alias"
                steps.append((early, late, state_name, action.type, step, ""))
                if action.type == "delete":
                    return steps, "deleted", f"deleted in state {state_name}"
                early, late = early + 1, late + 1
        if not state.transitions:
            steps.append((early, late, state_name, "transition", "attempt_transition",
                          "no transitions: policy completed"))
            return steps, "kept", f"policy completes in state {state_name} without deleting"
        first = _first_transition(state.transitions, early, index, start, interval, delay, 0)
        last = _first_transition(state.transitions, late, index, start + lag, interval, 0, delay)
        if isinstance(first, str) or isinstance(last, str):
            found = first if isinstance(first, str) else str(last)
            steps.append((early, late, state_name, "transition", "attempt_transition", found))
            return steps, "undetermined" if found.startswith("undetermined") else "kept", found
        if first[1] is not last[1]:
            return [], "undetermined", "the path through the policy depends on the job's random delays"
        transition = first[1]
        condition = transition.condition
        label = f"{condition.kind} {condition.text}" if condition else "no condition"
        steps.append((first[0], last[0], state_name, "transition", "attempt_transition",
                      f"-> {transition.state_name} ({label})"))
        state_name, early, late = transition.state_name, first[0] + 1, last[0] + 1
    return steps, "undetermined", "the policy loops; simulation stopped"


def _first_transition(
    transitions: tuple[Transition, ...], run: int, index: IndexFacts, attached: int, interval: int,
    delay: int, start_delay: int,
) -> tuple[int, Transition] | str:
    """The first run >= ``run`` at which a transition holds, and the winning transition (first in order).

    ``delay`` is the random delay assumed for the runs that check, ``start_delay`` the one of run
    ``run`` itself, when the transition action started (cron conditions count from then)."""
    if len(transitions) == 1:  # the common case, without the bookkeeping below
        answer = _first_run_true(transitions[0], run, index, attached, interval, delay, start_delay)
        if isinstance(answer, str):
            return f"undetermined: {answer}"
        if answer is None:
            return "never: no transition condition can become true (waits forever)"
        return answer, transitions[0]
    first: list[int | None] = []
    for transition in transitions:
        answer = _first_run_true(transition, run, index, attached, interval, delay, start_delay)
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
    transition: Transition, run: int, index: IndexFacts, attached: int, interval: int,
    delay: int, start_delay: int,
) -> int | str | None:
    """First run >= ``run`` at which the transition's condition holds; None = never; str = cannot tell."""
    condition = transition.condition
    if condition is None:
        return run
    if condition.kind == "min_index_age":
        if index.creation_date < 0:
            return None  # creation date -1: ISM treats the condition as false
        # run k happens at attached + k*interval + delay; needs that - creation >= age
        needed = index.creation_date + int(condition.value) - attached - delay
        k = max(run, -(-needed // interval))  # ceiling division, exact on integers
        return k if k * interval <= HORIZON_MS else None
    if condition.kind == "min_doc_count":
        if index.doc_count is None:
            return "min_doc_count needs the index's document count"
        return run if index.doc_count >= int(condition.value) else None
    if condition.kind == "min_size":
        if index.size_bytes is None:
            return "min_size needs the index's primary store size (read it from a node)"
        return run if index.size_bytes >= int(condition.value) else None
    if condition.kind == "min_rollover_age":
        return None  # daily indices never roll over (a rollover action fails without an alias), so never true
    # cron: true once the first fire time after the transition action started (at run ``run``) has passed,
    # so never at that run itself
    fire = _cron(str(condition.value), condition.timezone or "UTC").next_fire(attached + run * interval + start_delay)
    if fire is None:
        return None
    k = max(run + 1, -(-(fire - attached - delay) // interval))
    return k if k * interval <= HORIZON_MS else None


@lru_cache(maxsize=64)
def _cron(expression: str, timezone: str) -> Cron:
    return parse_cron(expression, timezone)
