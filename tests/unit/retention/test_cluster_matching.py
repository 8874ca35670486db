"""Indices a node manages are forecast under the policy the node runs, matched as the cluster matches it."""
from __future__ import annotations

import json

from efklab.retention.attachment import IndexFacts, match_managed_policy
from efklab.retention.forecast import Finding, forecast_existing, group_findings, status_at
from efklab.retention.policy import parse_policy
from efklab.retention.schedule import EXECUTION_LATENCY_MS, JobSettings
from efklab.units import parse_time
from tests.conftest import ROOT

SEED_DOC = json.loads((ROOT / "data" / "samples" / "ism-policy.json").read_text())
JUNE1 = parse_time("2021-06-01")
FAST = JobSettings(interval_minutes=1, jitter=0.0)


def _without_id() -> dict:  # type: ignore[type-arg]
    document = json.loads(json.dumps(SEED_DOC))
    del document["policy"]["policy_id"]
    return document


def test_a_policy_file_without_policy_id_is_assumed_to_be_the_clusters_policy_when_its_template_matches() -> None:
    """The first look's bug: the file's policy (id 'policy') against a node running 'delete_policy' said
    'never (no policy)'; now the template match is assumed, and said."""
    policy = parse_policy(_without_id(), source="p.json")
    fact = IndexFacts("mydata-shop-api-2021.06.01", JUNE1, managed_by="delete_policy")
    (generation,) = forecast_existing([fact], [policy], FAST)
    assert generation.forecast.outcome == "deleted"
    assert "assumed to be the file's policy (p.json)" in generation.forecast.attachment.matched


def test_the_policy_the_cluster_stores_under_its_id_wins_then_the_file_with_that_id_then_nothing() -> None:
    """The node runs what it stores, even when a file has that id; unreadable: the file with the id; neither
    (and no template match): no policy, and why."""
    seed = parse_policy(SEED_DOC)
    other = parse_policy({"policy": {**SEED_DOC["policy"], "policy_id": "other",
                                     "ism_template": [{"index_patterns": ["logs-*"], "priority": 5}]}})
    fact = IndexFacts("mydata-shop-api-2021.06.01", JUNE1)
    policy, how = match_managed_policy(fact, "delete_policy", [seed], {"delete_policy": other})
    assert policy is other and how == "the cluster runs delete_policy as stored on the node (the policy file's id)"
    assert match_managed_policy(fact, "delete_policy", [other, seed], {})[0] is seed
    policy, how = match_managed_policy(fact, "gone", [other], {})
    assert policy is None and "no policy file defines" in how


def test_a_managed_index_is_forecast_from_when_its_job_started() -> None:
    """The job's start time (attach) shifts every run: deletion at start + 3 runs for a 90 s policy."""
    fast = parse_policy({"policy": {**SEED_DOC["policy"], "states": [
        {"name": "hot", "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "90s"}}]},
        {"name": "delete", "actions": [{"delete": {}}]}]}})
    fact = IndexFacts("mydata-a-2021.06.01", JUNE1, managed_by="delete_policy", attached_at=JUNE1 + 400)
    (generation,) = forecast_existing([fact], [fast], FAST)
    assert generation.forecast.deletion == (JUNE1 + 400 + 180_000, JUNE1 + 400 + 180_000)
    assert status_at(generation.forecast, JUNE1 + 400 + 190_000) == "gone"
    assert status_at(generation.forecast, JUNE1 + 400 + 190_000, EXECUTION_LATENCY_MS) == "due"


def test_traps_are_grouped_one_line_per_kind_with_count_and_examples() -> None:
    """181 creation-date findings are one group of 181 with three examples."""
    findings = [Finding("creation-date", f"i{n}", "late") for n in range(181)] + [Finding("recreated", "j", "again")]
    late, again = group_findings(findings)
    assert (late.kind, late.count, late.examples) == ("creation-date", 181, ("i0", "i1", "i2"))
    assert "index.creation_date" in late.meaning and (again.count, again.first) == (1, "again")
