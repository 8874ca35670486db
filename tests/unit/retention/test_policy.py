"""ISM policy parsing and validation: what the index-management plugin accepts, and where it refuses."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from efklab.errors import PolicyError
from efklab.opensearch.patterns import globs_intersect, patterns_overlap, simple_match
from efklab.retention.policy import (
    Policy,
    check_policy_set,
    load_policy,
    parse_policy,
    retention_days,
    templates_clash,
)
from efklab.units import parse_byte_size, parse_time_value
from tests.conftest import ROOT

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "retention_invalid_policies.yaml").read_text())
SEED_POLICY = ROOT / "data" / "samples" / "ism-policy.json"


def test_seed_policy_is_accepted_as_written() -> None:
    """The seed's delete_policy, read-only fields included, parses into hot -> delete after 30d."""
    policy = load_policy(SEED_POLICY.read_bytes(), source=str(SEED_POLICY))
    assert policy.policy_id == "delete_policy"
    assert [s.name for s in policy.states] == ["hot", "delete"]
    condition = policy.states[0].transitions[0].condition
    assert condition is not None and (condition.kind, condition.value) == ("min_index_age", 30 * 86_400_000)
    assert policy.states[1].deletes and policy.deletes
    assert policy.ism_templates[0].index_patterns == ("mydata-*",)
    assert policy.ism_templates[0].priority == 10 and policy.ism_templates[0].last_updated_time is None
    assert set(policy.read_only_fields) == {"policy_id", "last_updated_time", "schema_version"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_invalid_policy_names_the_json_path(case: dict) -> None:
    """Each invalid policy fails with a one-line error at the exact JSON path."""
    with pytest.raises(PolicyError) as info:
        parse_policy({"policy": case["policy"]}, source="p.json")
    error = info.value
    assert error.position == case["path"], str(error)
    assert case["reason"] in error.reason
    assert str(error).startswith(f"p.json:{case['path']}: ") and "\n" not in str(error)


def test_json_syntax_error_names_line_and_column() -> None:
    """Broken JSON points at line:column."""
    with pytest.raises(PolicyError) as info:
        load_policy('{"policy": {\n  "description": }', source="p.json")
    assert info.value.position == "2:18"


def test_bare_policy_body_is_refused() -> None:
    """A body without the "policy" wrapper is not what the API takes."""
    with pytest.raises(PolicyError, match='"policy" field'):
        parse_policy({"description": "d", "states": []}, source="p.json")


def test_get_response_shape_is_accepted_with_its_id() -> None:
    """A policy saved from GET _plugins/_ism/policies/<id> takes its id from _id."""
    body = json.loads(SEED_POLICY.read_text())["policy"]
    policy = parse_policy({"_id": "mine", "_version": 3, "_seq_no": 7, "_primary_term": 1, "policy": body})
    assert policy.policy_id == "mine"


def test_transition_without_conditions_is_unconditional() -> None:
    """Leaving out "conditions" is valid and means: transition at once."""
    policy = parse_policy({"policy": {"description": "d", "default_state": "a",
                                      "states": [{"name": "a", "transitions": [{"state_name": "b"}]}, {"name": "b"}]}})
    assert policy.states[0].transitions[0].condition is None


def test_single_template_object_is_accepted() -> None:
    """ism_template may be one object instead of a list; priority defaults to 0."""
    policy = parse_policy({"policy": {"description": "d", "default_state": "a", "states": [{"name": "a"}],
                                      "ism_template": {"index_patterns": ["x-*"]}}})
    assert policy.ism_templates[0].priority == 0


@pytest.mark.parametrize(
    ("text", "ms"),
    [("30d", 2_592_000_000), ("1h", 3_600_000), ("5m", 300_000), ("10s", 10_000), ("250ms", 250),
     ("1D", 86_400_000), ("2H", 7_200_000), (" 3d ", 259_200_000), ("0", 0), ("-1", -1), ("1000000micros", 1000)],
)
def test_time_values_parse_like_opensearch(text: str, ms: int) -> None:
    """TimeValue strings become milliseconds, upper-case units too (except M)."""
    assert parse_time_value(text, "x") == ms


@pytest.mark.parametrize("text", ["30M", "30", "1.5d", "d", "-2d", "30 days"])
def test_time_values_opensearch_refuses(text: str) -> None:
    """Strings OpenSearch refuses raise ValueError with its reason."""
    with pytest.raises(ValueError):
        parse_time_value(text, "x")


@pytest.mark.parametrize(("text", "size"),
                         [("50gb", 50 << 30), ("1.5kb", 1536), ("10B", 10), ("2T", 2 << 40), ("0", 0)])
def test_byte_sizes_parse_like_opensearch(text: str, size: int) -> None:
    """ByteSizeValue strings become bytes; fractions are allowed for sizes."""
    assert parse_byte_size(text, "x") == size


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [("mydata-*", "mydata-app-api-2021.06.30", True), ("mydata-*", "cwl-2021.06.30", False), ("*", "anything", True),
     ("*-api-*", "mydata-app-api-2021.06.30", True), ("mydata", "mydata", True), ("my.data-*", "myXdata-1", False)],
)
def test_simple_match(pattern: str, name: str, matches: bool) -> None:
    """Only * is a wildcard; dots and everything else are literal."""
    assert simple_match(pattern, name) is matches


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [("mydata-*", "*-api-*", True), ("mydata-*", "cwl-*", False), ("a*b", "*c", False), ("a*", "*a", True),
     ("abc", "a*c", True), ("abc", "abd", False), ("*", "x", True), ("a*b*c", "*bbb*", True)],
)
def test_pattern_overlap(a: str, b: str, overlap: bool) -> None:
    """Two templates overlap when some index name matches both."""
    assert patterns_overlap([a], [b]) is overlap
    assert globs_intersect(b, a) is overlap


_GLOB = st.text(alphabet="ab*", max_size=4)


@given(_GLOB, _GLOB)
def test_overlap_agrees_with_brute_force(a: str, b: str) -> None:
    """Overlap is true exactly when some short name over the alphabet matches both globs."""
    names = ["".join(p) for n in range(0, 9) for p in itertools.product("ab", repeat=n)]
    witness = any(simple_match(a, n) and simple_match(b, n) for n in names)
    assert globs_intersect(a, b) is witness


def test_retention_days_is_the_age_of_the_transition_into_delete() -> None:
    """30 for the seed; None for a policy that never deletes on age."""
    assert retention_days(load_policy(SEED_POLICY.read_bytes())) == 30
    never = parse_policy({"policy": {"description": "d", "default_state": "a", "states": [{"name": "a"}]}})
    assert retention_days(never) is None


def _with_template(policy_id: str, patterns: list[str], priority: int, source: str) -> Policy:
    document = json.loads(SEED_POLICY.read_text())
    document["policy"]["policy_id"] = policy_id
    document["policy"]["ism_template"] = [{"index_patterns": patterns, "priority": priority}]
    return load_policy(json.dumps(document), source=source)


def test_templates_clash_at_one_priority_when_some_name_matches_both() -> None:
    """Same priority and overlapping patterns clash; another priority or disjoint patterns do not."""
    seed = load_policy(SEED_POLICY.read_bytes()).ism_templates[0]
    assert templates_clash(seed, _with_template("b", ["*-shop-*"], 10, "b.json").ism_templates[0])
    assert not templates_clash(seed, _with_template("b", ["*-shop-*"], 11, "b.json").ism_templates[0])
    assert not templates_clash(seed, _with_template("b", ["cwl-*"], 10, "b.json").ism_templates[0])


def test_a_policy_set_refuses_one_id_twice_and_clashing_templates() -> None:
    """The later policy's file and JSON path are named: the plugin would refuse its PUT."""
    seed = load_policy(SEED_POLICY.read_bytes(), source="seed.json")
    check_policy_set([seed, _with_template("other", ["cwl-*"], 10, "ok.json")])
    with pytest.raises(PolicyError) as twice:
        check_policy_set([seed, _with_template("delete_policy", ["cwl-*"], 10, "again.json")])
    assert (twice.value.source, twice.value.position) == ("again.json", "$.policy.policy_id")
    with pytest.raises(PolicyError) as clash:
        check_policy_set([seed, _with_template("other", ["*-shop-*"], 10, "other.json")])
    assert (clash.value.source, clash.value.position) == ("other.json", "$.policy.ism_template[0]")
    assert "overlaps delete_policy's ['mydata-*'] at priority 10" in str(clash.value)
