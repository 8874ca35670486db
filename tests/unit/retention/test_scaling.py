"""A time-scaled copy of a policy: ages shrink to whole seconds, the template only reaches the rehearsal."""
from __future__ import annotations

import json

import pytest

from efklab.errors import PolicyError, UsageError
from efklab.retention.policy import parse_policy
from efklab.retention.scaling import DEFAULT_SCALE, Scale, parse_scale, scale_policy, scaled_ages
from efklab.units import DAY_MS
from tests.conftest import ROOT

SEED = json.loads((ROOT / "data" / "samples" / "ism-policy.json").read_text())


def test_the_seeds_thirty_days_become_ninety_seconds_at_the_default_scale() -> None:
    """1d=3s: min_index_age 30d -> 90s; the copy drops read-only fields and matches only the given pattern."""
    body = scale_policy(SEED, DEFAULT_SCALE, index_patterns=["efklab-rehearsal-x-*"])
    policy = body["policy"]
    assert policy["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "90s"}
    assert policy["ism_template"] == [{"index_patterns": ["efklab-rehearsal-x-*"], "priority": 1000}]
    assert not {"policy_id", "last_updated_time", "schema_version"} & set(policy)
    assert parse_policy(body, policy_id="copy").deletes
    assert scaled_ages(SEED, DEFAULT_SCALE) == [("30d", "90s")]
    assert SEED["policy"]["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "30d"}


def test_scale_text_reads_policy_time_equals_node_time() -> None:
    """'1d=3s' is a ratio; a side that is not an age, or a node side not shorter, is refused."""
    assert parse_scale("1d=3s") == Scale(DAY_MS, 3000)
    assert parse_scale("30d=5m").apply(30 * DAY_MS) == 300_000
    for bad in ("3s", "1d=", "x=3s", "1m=1h"):
        with pytest.raises(UsageError, match="POLICY=REHEARSAL"):
            parse_scale(bad)


def test_scaled_durations_are_whole_seconds_never_below_one() -> None:
    """ISM reads TimeValues: a scaled age is rounded up to a second, at least 1 s."""
    scale = parse_scale("1d=3s")
    assert scale.apply(1000) == 1000 and scale.apply(DAY_MS + 1) == 4000 and scale.apply(0) == 0


def test_timeouts_and_retry_delays_scale_too_and_cron_is_refused() -> None:
    """Action timeouts and retry delays shrink; a cron condition cannot be scaled and says where it is."""
    document = {"policy": {"description": "d", "default_state": "hot", "states": [
        {"name": "hot", "actions": [{"timeout": "2d", "retry": {"count": 1, "delay": "1d"}, "read_only": {}}],
         "transitions": [{"state_name": "gone", "conditions": {"cron": {"cron": {"expression": "0 0 * * *",
                                                                                  "timezone": "UTC"}}}}]},
        {"name": "gone", "actions": [{"delete": {}}]}]}}
    with pytest.raises(PolicyError) as caught:
        scale_policy(document, DEFAULT_SCALE, index_patterns=["x-*"])
    assert caught.value.position == "$.policy.states[0].transitions[0].conditions.cron"
    document["policy"]["states"][0]["transitions"] = [{"state_name": "gone", "conditions": {"min_doc_count": 5}}]
    action = scale_policy(document, DEFAULT_SCALE, index_patterns=["x-*"])["policy"]["states"][0]["actions"][0]
    assert action["timeout"] == "6s" and action["retry"]["delay"] == "3s"
