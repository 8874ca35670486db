"""The real ISM plugin against the simulator, judged at the end of the session (the scenarios started first).

See ``retention_scenarios.py``: the plugin ran a time-scaled copy of the seed's policy while
the rest of the suite ran.  The forecast is the simulator's, from the node's creation dates and
the policy's PUT; the observation is the node's (polls of explain and of the indices, and the
plugin's history).  A deletion agrees when it lies in the forecast window plus the plugin's
execution latency (``schedule.EXECUTION_LATENCY_MS``, half a job interval: a forecast one job
run off fails).
"""
from __future__ import annotations

import pytest

from efklab.adapters.ism import read_history_documents
from efklab.retention.history import deletions, read_history
from efklab.retention.rehearsal import ARRIVAL, BEFORE_PUT, LATE_EVENT
from tests.integration.retention_scenarios import RetentionScenarios

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_every_deletion_the_plugin_made_lies_in_the_simulators_window(
        retention_scenarios: RetentionScenarios) -> None:
    """Rehearsal of the seed's policy at 1d=3s: every index generation's verdict is in and agrees."""
    assert retention_scenarios.error is None, retention_scenarios.error
    report = retention_scenarios.report
    assert report is not None and report.complete, report
    assert sorted(v.role for v in report.verdicts) == sorted([ARRIVAL] * 3 + [BEFORE_PUT, LATE_EVENT])
    disagreements = [v for v in report.verdicts if not v.agrees]
    assert disagreements == [], disagreements
    arrivals = [v for v in report.verdicts if v.role == ARRIVAL]
    assert len(arrivals) == 3 and all(v.deleted_between is not None for v in arrivals)
    (before,) = [v for v in report.verdicts if v.role == BEFORE_PUT]
    assert before.deleted_between is None and before.observed.startswith("not managed")


def test_a_late_event_recreates_the_deleted_daily_index_which_starts_a_new_lifetime(
        retention_scenarios: RetentionScenarios) -> None:
    """After ISM deleted it, one document for that day brings the index back; the template attaches
    (created after the PUT), and ISM deletes it again one full (scaled) period after its new creation."""
    report = retention_scenarios.report
    assert report is not None
    (late,) = [v for v in report.verdicts if v.role == LATE_EVENT]
    (first,) = [v for v in report.verdicts if v.index == late.index and v.generation == 1]
    assert first.deleted_between is not None and late.created >= first.deleted_between[0]
    assert late.observed.startswith("managed by") and late.agrees
    assert late.deletion is not None and first.deletion is not None
    assert late.deletion[0] - late.created == first.deletion[0] - first.created


def test_apply_attaches_the_template_to_new_indices_only_add_fixes_older_ones_and_ism_deletes_both(
        retention_scenarios: RetentionScenarios) -> None:
    """efklab retention apply (scaled seed policy, --job-interval 1 --jitter 0): NEW managed, OLD not until
    --add; explain showed the steps; the plugin deleted both, and its history says so."""
    scenario = retention_scenarios.apply
    applied, explained, added = (scenario.outputs[k] for k in ("apply", "explain_before_add", "add"))
    assert applied.returncode == 0, applied.stderr
    assert "1 existing indices match" in applied.stdout and "will NOT get the policy" in applied.stdout
    assert scenario.managed_before_add == {scenario.old: False, scenario.new: True}
    assert f"{scenario.policy_id}/" in explained.stdout and "1 of 2 indices managed" in explained.stdout
    assert added.returncode == 0 and "1 indices attached" in added.stdout, added.stdout + added.stderr
    initialised = scenario.outputs["explain_initialised"].stdout
    assert f"{scenario.policy_id}/hot/" in initialised and "since 20" in initialised
    assert f"info: Successfully initialized policy: {scenario.policy_id}" in initialised
    lives = {life.index: life for life in scenario.watch.all_lives()}
    assert set(lives) == {scenario.old, scenario.new} and all(life.deleted for life in lives.values())
    for life in lives.values():
        assert life.policy_id == scenario.policy_id
        assert any(step.startswith("hot/") for _, step in life.steps), life.steps  # initialised, then transition
    recorded = deletions(read_history(read_history_documents(retention_scenarios.client, retention_scenarios.conn,
                                                             f"{scenario.prefix}*")))
    assert {d.index for d in recorded} == {scenario.old, scenario.new}
