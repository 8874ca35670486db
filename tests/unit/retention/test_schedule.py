"""ISM attachment and job-run simulation: who gets the policy, and when the index is deleted."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.retention.attachment import IndexFacts, attach_policy
from efklab.retention.cron import parse_cron
from efklab.retention.policy import Policy, load_policy, parse_policy
from efklab.retention.schedule import JobSettings, forecast_index
from efklab.units import DAY_MS
from tests.conftest import ROOT

MIN = 60_000
T0 = 1_622_505_600_000  # 2021-06-01T00:00:00Z
SEED = load_policy((ROOT / "data" / "samples" / "ism-policy.json").read_bytes())


def _policy(states: list, templates: list | None = None, pid: str = "p") -> Policy:
    body = {"description": "d", "default_state": states[0]["name"], "states": states}
    if templates is not None:
        body["ism_template"] = templates
    return parse_policy({"policy": body}, policy_id=pid)


def _age_policy(age: str, pid: str = "p", patterns: tuple[str, ...] = ("mydata-*",), priority: int = 0) -> Policy:
    return _policy(
        [{"name": "hot", "transitions": [{"state_name": "delete", "conditions": {"min_index_age": age}}]},
         {"name": "delete", "actions": [{"delete": {}}]}],
        [{"index_patterns": list(patterns), "priority": priority}], pid)


def test_seed_policy_deletes_between_5_and_8_minutes_after_30_days() -> None:
    """Default job settings (5 min, jitter 0.6): deletion 30d+5m .. 30d+8m after creation, at run 8641."""
    index = IndexFacts("mydata-app-api-2021.06.01", T0)
    attachment = attach_policy(index, [SEED])
    forecast = forecast_index(index, attachment, SEED, JobSettings())
    assert forecast.outcome == "deleted"
    assert forecast.deletion == (T0 + 30 * DAY_MS + 5 * MIN, T0 + 30 * DAY_MS + 8 * MIN)
    assert [(m.run, m.action) for m in forecast.milestones] == [(1, "initialise"), (8640, "transition"),
                                                                (8641, "delete")]


def test_first_run_only_initialises_so_three_runs_are_needed() -> None:
    """Even with a 0-minute age, the delete happens at run 3 (init, transition, delete)."""
    policy = _age_policy("0m")
    index = IndexFacts("mydata-x", T0)
    forecast = forecast_index(index, attach_policy(index, [policy]), policy, JobSettings(interval_minutes=1, jitter=0))
    assert [m.run for m in forecast.milestones] == [1, 2, 3]
    assert forecast.deletion == (T0 + 3 * MIN, T0 + 3 * MIN)


def test_jitter_is_capped_by_the_job_scheduler_limit() -> None:
    """jitter 1.0 is cut to plugins.jobscheduler.jitter_limit (0.6)."""
    assert JobSettings(interval_minutes=10, jitter=1.0).max_delay_ms == 6 * MIN
    assert JobSettings(interval_minutes=10, jitter=1.0, jitter_limit=0.95).max_delay_ms == int(9.5 * MIN)


def test_added_index_counts_age_from_creation_not_from_the_add() -> None:
    """An index added 40 days after creation is deleted about three runs after the add."""
    index = IndexFacts("mydata-old", T0)
    added_at = T0 + 40 * DAY_MS
    attachment = attach_policy(index, [SEED], added={"mydata-old": ("delete_policy", added_at)})
    forecast = forecast_index(index, attachment, SEED, JobSettings(interval_minutes=1, jitter=0))
    assert attachment.how == "added"
    assert forecast.deletion == (added_at + 3 * MIN, added_at + 3 * MIN)


@pytest.mark.parametrize(
    ("facts", "applied_at", "how"),
    [
        (IndexFacts("mydata-a", T0), None, "template"),
        (IndexFacts("mydata-a", T0), {"delete_policy": T0 + 1}, "pre-existing"),
        (IndexFacts("mydata-a", T0), {"delete_policy": T0}, "pre-existing"),  # strictly after the template
        (IndexFacts("mydata-a", T0 + 1), {"delete_policy": T0}, "template"),
        (IndexFacts(".mydata-a", T0), None, "none"),
        (IndexFacts("mydata-a", T0, hidden=True), None, "none"),
        (IndexFacts("mydata-a", T0, auto_manage=False), None, "none"),
        (IndexFacts("cwl-2021.06.01", T0), None, "none"),
        (IndexFacts("mydata-a", T0, managed_by="other"), None, "managed"),
    ],
)
def test_attachment_rules(facts: IndexFacts, applied_at: dict | None, how: str) -> None:
    """Templates attach only to new, visible, auto-managed indices matching a pattern."""
    assert attach_policy(facts, [SEED], applied_at=applied_at).how == how


def test_template_last_updated_time_in_the_past_lets_the_sweep_attach_existing_indices() -> None:
    """An explicit old last_updated_time makes the background sweep attach indices created after it."""
    policy = _policy([{"name": "hot"}], [{"index_patterns": ["mydata-*"], "last_updated_time": T0 - 1}], pid="old")
    attachment = attach_policy(IndexFacts("mydata-a", T0), [policy], applied_at={"old": T0 + DAY_MS})
    assert (attachment.how, attachment.attached_at, attachment.attach_delay_ms) == ("sweep", T0 + DAY_MS, 10 * MIN)


def test_highest_priority_template_wins() -> None:
    """Between policies whose templates match, the higher priority is attached."""
    low, high = _age_policy("30d", "low", ("mydata-*",), 1), _age_policy("7d", "high", ("*-api-*",), 5)
    assert attach_policy(IndexFacts("mydata-app-api-2021.06.01", T0), [low, high]).policy_id == "high"
    assert attach_policy(IndexFacts("mydata-app-web-2021.06.01", T0), [low, high]).policy_id == "low"


def test_policy_without_delete_keeps_the_index() -> None:
    """A policy that ends without deleting completes, and the index is kept."""
    policy = _policy([{"name": "hot", "transitions": [{"state_name": "ro", "conditions": {"min_index_age": "1d"}}]},
                      {"name": "ro", "actions": [{"read_only": {}}]}], [{"index_patterns": ["*"]}])
    index = IndexFacts("x", T0)
    forecast = forecast_index(index, attach_policy(index, [policy]), policy, JobSettings())
    assert forecast.outcome == "kept" and forecast.deletion is None
    assert [m.step for m in forecast.milestones][-2:] == ["set_read_only", "attempt_transition"]


def test_rollover_without_alias_fails_and_the_index_is_never_deleted() -> None:
    """A rollover action on a daily index (no rollover_alias) fails; the delete state is never reached."""
    policy = _policy([{"name": "hot", "actions": [{"rollover": {"min_doc_count": 10}}],
                       "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "1d"}}]},
                      {"name": "delete", "actions": [{"delete": {}}]}], [{"index_patterns": ["*"]}])
    index = IndexFacts("x", T0)
    assert forecast_index(index, attach_policy(index, [policy]), policy, JobSettings()).outcome == "failed"


@pytest.mark.parametrize(
    ("condition", "facts", "outcome"),
    [({"min_doc_count": 5}, IndexFacts("x", T0, doc_count=5), "deleted"),
     ({"min_doc_count": 5}, IndexFacts("x", T0, doc_count=4), "kept"),
     ({"min_doc_count": 5}, IndexFacts("x", T0), "undetermined"),
     ({"min_size": "1mb"}, IndexFacts("x", T0), "undetermined"),
     ({"min_size": "1mb"}, IndexFacts("x", T0, size_bytes=2 << 20), "deleted"),
     ({"cron": {"cron": {"expression": "0 0 * * *", "timezone": "UTC"}}}, IndexFacts("x", T0), "deleted"),
     ({"min_rollover_age": "1d"}, IndexFacts("x", T0), "kept"),
     ({"min_index_age": "1d"}, IndexFacts("x", -1), "kept")],
)
def test_conditions_other_than_age(condition: dict, facts: IndexFacts, outcome: str) -> None:
    """Doc count and size need facts; cron fires; rollover age never holds; creation date -1 never ages."""
    policy = _policy([{"name": "hot", "transitions": [{"state_name": "delete", "conditions": condition}]},
                      {"name": "delete", "actions": [{"delete": {}}]}], [{"index_patterns": ["*"]}])
    assert forecast_index(facts, attach_policy(facts, [policy]), policy, JobSettings()).outcome == outcome


def _run_for_real(created: int, attached: int, age_ms: int, settings: JobSettings, rng: random.Random) -> int:
    """An independent run-by-run walk with random delays, as the job scheduler does it: the delete time."""
    interval, jitter = settings.interval_ms, min(settings.jitter, settings.jitter_limit)
    runs = (attached + k * interval + round(rng.randrange(interval) * jitter) for k in range(1, 10**7))
    next(runs)  # run 1 initialises
    for moment in runs:
        if moment - created >= age_ms:
            return next(runs)
    raise AssertionError("never")


@settings(max_examples=60, deadline=None)
@given(
    age_min=st.integers(0, 180), interval=st.integers(1, 10), jitter=st.sampled_from([0.0, 0.3, 0.6, 1.0]),
    attach_lag=st.integers(0, 300_000), seed=st.integers(0, 2**32),
)
def test_real_runs_always_fall_inside_the_predicted_window(age_min: int, interval: int, jitter: float, attach_lag: int,
                                                           seed: int) -> None:
    """Whatever the random delays, the delete happens inside [earliest, latest) and after the age is reached."""
    policy = _age_policy(f"{age_min}m")
    job = JobSettings(interval_minutes=interval, jitter=jitter)
    index = IndexFacts("mydata-x", T0)
    attached = T0 + attach_lag
    forecast = forecast_index(index, attach_policy(index, [policy], added={"mydata-x": ("p", attached)}), policy, job)
    assert forecast.deletion is not None
    earliest, latest = forecast.deletion
    assert earliest > T0 + age_min * MIN or age_min == 0
    rng = random.Random(seed)
    for _ in range(5):
        deleted = _run_for_real(T0, attached, age_min * MIN, job, rng)
        assert earliest <= deleted <= latest


def test_cron_transition_waits_for_the_first_fire_after_the_transition_starts() -> None:
    """Created 10:00, a midnight cron: the transition holds at the run at 00:00, the delete runs at 00:01."""
    policy = _policy([{"name": "hot", "transitions": [{"state_name": "delete",
                                                       "conditions": {"cron": {"cron": {"expression": "0 0 * * *",
                                                                                        "timezone": "UTC"}}}}]},
                      {"name": "delete", "actions": [{"delete": {}}]}], [{"index_patterns": ["*"]}])
    created = T0 + 10 * 3_600_000
    index = IndexFacts("x", created)
    forecast = forecast_index(index, attach_policy(index, [policy]), policy, JobSettings(interval_minutes=1, jitter=0))
    assert forecast.deletion == (T0 + DAY_MS + MIN, T0 + DAY_MS + MIN)
    assert forecast.milestones[1].run == 14 * 60


@settings(max_examples=40, deadline=None)
@given(every=st.integers(1, 59), interval=st.integers(1, 10), jitter=st.sampled_from([0.0, 0.3, 0.6]),
       seed=st.integers(0, 2**32))
def test_real_runs_fall_inside_the_window_for_cron_transitions(every: int, interval: int, jitter: float,
                                                               seed: int) -> None:
    """A '*/N' cron transition: whatever the delays, the delete lands inside the predicted window."""
    expression = f"*/{every} * * * *"
    policy = _policy([{"name": "hot", "transitions": [{"state_name": "delete",
                                                       "conditions": {"cron": {"cron": {"expression": expression,
                                                                                        "timezone": "UTC"}}}}]},
                      {"name": "delete", "actions": [{"delete": {}}]}], [{"index_patterns": ["*"]}])
    job = JobSettings(interval_minutes=interval, jitter=jitter)
    index = IndexFacts("x", T0 + 7_777)
    forecast = forecast_index(index, attach_policy(index, [policy]), policy, job)
    earliest, latest = forecast.deletion
    cron, rng = parse_cron(expression, "UTC"), random.Random(seed)
    step, spread = job.interval_ms, min(jitter, 0.6)
    for _ in range(5):
        runs = (index.creation_date + k * step + round(rng.randrange(step) * spread) for k in range(1, 10**6))
        next(runs)  # run 1 initialises
        fire = cron.next_fire(next(runs))  # run 2 starts the transition action; its fire is strictly later
        moment = next(runs)
        while moment < fire:
            moment = next(runs)
        deleted = next(runs)
        assert earliest <= deleted <= latest


def test_forecasts_of_indices_with_equal_timing_agree_and_differ_when_counts_differ() -> None:
    """Remembered walks are keyed on everything that matters: same relative timing agrees, doc counts do not leak."""
    policy = _policy([{"name": "hot", "transitions": [{"state_name": "delete", "conditions": {"min_doc_count": 5}}]},
                      {"name": "delete", "actions": [{"delete": {}}]}], [{"index_patterns": ["*"]}])
    job = JobSettings()
    few, many = IndexFacts("a", T0, doc_count=1), IndexFacts("b", T0 + DAY_MS, doc_count=9)
    assert forecast_index(few, attach_policy(few, [policy]), policy, job).outcome == "kept"
    assert forecast_index(many, attach_policy(many, [policy]), policy, job).outcome == "deleted"
    again = IndexFacts("c", T0 + 2 * DAY_MS, doc_count=1)
    assert forecast_index(again, attach_policy(again, [policy]), policy, job).outcome == "kept"
    first = forecast_index(IndexFacts("mydata-d", T0), attach_policy(IndexFacts("mydata-d", T0), [SEED]), SEED, job)
    later = forecast_index(IndexFacts("mydata-e", T0 + 7), attach_policy(IndexFacts("mydata-e", T0 + 7), [SEED]),
                           SEED, job)
    assert later.deletion == (first.deletion[0] + 7, first.deletion[1] + 7)
