"""The transform: the seed Lambda's quirks (cases/seed_quirks.yaml) and the opensearch mode."""
from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.cloudwatch.payloads import decode_payload
from efklab.cloudwatch.schema import LogEvent, _log_event
from efklab.errors import UsageError
from efklab.lambda_.transform import BulkAction, TransformOptions, _bulk_action, render_bulk, transform_payload
from efklab.testing import make_control_payload, make_event, make_payload, parse_bulk

CASES = Path(__file__).parent / "cases" / "seed_quirks.yaml"
SPEC = yaml.safe_load(CASES.read_text(encoding="utf-8"))
CASE_KEYS = {"name", "message", "extractedFields", "timestamp", "source", "source_is_prefix", "reject", "index",
             "at_timestamp"}
SEED = TransformOptions(mode="seed")
OPENSEARCH = TransformOptions()


def _payload(event: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    base = {"messageType": "DATA_MESSAGE", **SPEC["payload"], "subscriptionFilters": ["f"], "logEvents": [event]}
    return {**base, **overrides}


def _case_event(case: dict[str, Any]) -> dict[str, Any]:
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{case['name']}: unknown keys {sorted(unknown)} in {CASES.name}"
    event = {"id": "e1", "timestamp": case.get("timestamp", 1_619_600_944_301), "message": case["message"]}
    if "extractedFields" in case:
        event["extractedFields"] = case["extractedFields"]
    return event


def _at_fields(event: dict[str, Any], iso: str) -> str:
    p = SPEC["payload"]
    return (
        f'"@id":{json.dumps(event["id"])},"@timestamp":"{iso}",'
        f'"@message":{json.dumps(event["message"], ensure_ascii=False)},'
        f'"@owner":{json.dumps(p["owner"])},"@log_group":{json.dumps(p["logGroup"])},"@log_stream":{json.dumps(p["logStream"])}}}'
    )


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["name"] for c in SPEC["cases"]])
def test_seed_quirk(case: dict[str, Any]) -> None:
    """Each quirk of the seed's buildSource/transform, as node 20 runs it."""
    event = _case_event(case)
    actions, rejects = transform_payload(decode_payload(_payload(event)), SEED)
    if "reject" in case:
        assert actions == [] and len(rejects) == 1, (actions, rejects)
        assert case["reject"] in rejects[0].reason and "fail the whole invocation" in rejects[0].reason
        assert rejects[0].stage == "transform" and rejects[0].item == event
        return
    assert rejects == []
    (action,) = actions
    document = json.loads(action.source_line)
    expected = case.get("source", "{}")
    if case.get("source_is_prefix"):
        assert action.source_line.startswith(expected)
    else:
        head = expected[:-1] + ("," if expected != "{}" else "")
        assert action.source_line == head + _at_fields(event, document["@timestamp"]), action.source_line
    if "at_timestamp" in case:
        assert document["@timestamp"] == case["at_timestamp"]
    if "index" in case:
        assert action.index == case["index"]


def test_seed_action_line_has_the_seed_index_type_and_id() -> None:
    """_index mydata-<ns>-<container>-YYYY.MM.DD from the lower-cased group, _type the group as is."""
    actions, _ = transform_payload(decode_payload(_payload({"id": "49", "timestamp": 1_619_600_944_301,
                                                            "message": "x"})), SEED)
    assert actions[0].action_line == (
        '{"index":{"_index":"mydata-shop-api-2021.04.28","_type":"/aws/containerinsights/MyCluster/application/Shop/API","_id":"49"}}'
    )


def test_short_log_groups_name_undefined_indices_in_seed_mode() -> None:
    """split('/')[5] of a short log group is undefined, and the seed writes it into the name."""
    payload = make_payload(["x"], log_group="/aws/lambda/echo")
    actions, rejects = transform_payload(decode_payload(payload), SEED)
    assert rejects == [] and actions[0].index == "mydata-undefined-undefined-2021.04.28"


def test_opensearch_mode_writes_the_same_documents_without_type() -> None:
    """Same source lines as seed mode; the action has no _type (OpenSearch 2.x refuses it)."""
    payload = decode_payload(make_payload([{"log": "a\n", "n": 1.5}, "plain", 'x {"2":1,"a":2}']))
    seed_actions, _ = transform_payload(payload, SEED)
    os_actions, rejects = transform_payload(payload, OPENSEARCH)
    assert rejects == []
    assert [a.source_line for a in os_actions] == [a.source_line for a in seed_actions]
    assert all('"_type"' not in a.action_line for a in os_actions)
    assert json.loads(os_actions[0].action_line) == {"index": {"_index": "mydata-default-app-2021.04.28",
                                                               "_id": os_actions[0].id}}


def test_opensearch_mode_rejects_undefined_segments() -> None:
    """A log group too short for the seed strategy is a reject naming the missing segment."""
    actions, rejects = transform_payload(decode_payload(make_payload(["x"], log_group="/aws/lambda/echo")), OPENSEARCH)
    assert actions == [] and rejects[0].stage == "index-name"
    assert "no segment 5 (namespace)" in rejects[0].reason


def test_opensearch_mode_rejects_names_opensearch_refuses() -> None:
    """cwl-group keeps the log group's case, as the seed's snippet does; OpenSearch wants lower case."""
    options = TransformOptions(index_strategy="cwl-group")
    actions, rejects = transform_payload(decode_payload(make_payload(["x"], log_group="/aws/lambda/Echo")), options)
    assert actions == []
    assert rejects[0].reason == "Invalid index name [cwl-Echo-2021.04.28], must be lowercase"


@pytest.mark.parametrize(
    ("strategy", "tz", "expected"),
    [
        ("seed", "UTC", "mydata-default-app-2021.04.28"),
        ("cwl", "UTC", "cwl-2021.04.28"),
        ("cwl-group", "UTC", "cwl-app-2021.04.28"),
        ("{prefix}-{log_group}-{date:%Y.%m}", "UTC",
         "mydata-aws-containerinsights-efklab-application-default-app-2021.04"),
        ("seed", "Asia/Seoul", "mydata-default-app-2021.04.29"),
        ("logs-{namespace}-{date:%Y.%m.%d.%H}", "Asia/Seoul", "logs-default-2021.04.29.08"),
    ],
)
def test_index_strategies(strategy: str, tz: str, expected: str) -> None:
    """Built-in strategies and templates, dates in --tz (23:30 UTC is the next day in Seoul)."""
    late = 1_619_652_600_000  # 2021-04-28T23:30:00Z
    payload = make_payload([make_event("x", timestamp=late)])
    actions, rejects = transform_payload(decode_payload(payload), TransformOptions(index_strategy=strategy, tz=tz))
    assert rejects == [] and actions[0].index == expected


def test_seed_mode_refuses_opensearch_only_options() -> None:
    """--index-strategy, --prefix and --tz would break byte-identity, so seed mode refuses them."""
    with pytest.raises(UsageError, match="--index-strategy applies to --mode opensearch only"):
        transform_payload(decode_payload(make_payload(["x"])), TransformOptions(mode="seed", index_strategy="cwl"))


def test_unknown_mode_is_a_usage_error() -> None:
    """The mode is validated before any event is looked at."""
    with pytest.raises(UsageError, match="unknown mode 'lambda'"):
        transform_payload(decode_payload(make_payload(["x"])), TransformOptions(mode="lambda"))


def test_control_messages_yield_nothing() -> None:
    """CONTROL_MESSAGE payloads produce no actions and no rejects."""
    assert transform_payload(decode_payload(make_control_payload()), SEED) == ([], [])


def test_positions_name_the_line_and_the_event() -> None:
    """Actions and rejects carry FILE and LINE:logEvents[i] of their event."""
    payload = make_payload(["a", "b"])
    payload["logEvents"].insert(1, {"id": 5, "timestamp": 1, "message": "x"})
    actions, rejects = transform_payload(decode_payload(payload, source="in.jsonl", position=3), SEED)
    assert [(a.source, a.position) for a in actions] == [("in.jsonl", "3:logEvents[0]"), ("in.jsonl", "3:logEvents[2]")]
    assert [(r.location(), r.stage) for r in rejects] == [("in.jsonl:3:logEvents[1]", "schema")]
    assert "logEvents[1].id must be a string" in rejects[0].reason


def test_deep_nesting_is_rejected_not_guessed() -> None:
    """JSON nested past Python's recursion limit is a reject saying efklab cannot reproduce it."""
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    actions, rejects = transform_payload(decode_payload(make_payload([deep])), SEED)
    assert actions == [] and "nests too deeply" in rejects[0].reason


def test_array_extracted_values_are_rejected_not_guessed() -> None:
    """CloudWatch extracts strings; an array value is a reject rather than emulated coercion."""
    payload = make_payload([make_event("x", extracted_fields={"a": [1]})])
    actions, rejects = transform_payload(decode_payload(payload), SEED)
    assert actions == [] and "is an array" in rejects[0].reason


def test_render_bulk_writes_two_lines_per_action() -> None:
    """The _bulk body is action line, source line, each ending in a newline."""
    actions = [BulkAction("i", "1", '{"index":{}}', "{}"), BulkAction("i", "2", '{"index":{"x":1}}', '{"a":1}')]
    assert render_bulk(actions) == '{"index":{}}\n{}\n{"index":{"x":1}}\n{"a":1}\n'
    assert render_bulk([]) == ""


# ------------------------------------------------------------------------------ properties

event_shapes = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(max_size=5), st.integers()),
        "timestamp": st.one_of(st.integers(min_value=-(10**17), max_value=10**17), st.floats(allow_nan=False),
                               st.text(max_size=3)),
        "message": st.one_of(st.text(max_size=30), st.just('{"a":[1.5,{"0":2}]}'), st.none()),
    },
    optional={
        "extractedFields": st.one_of(
            st.none(),
            st.dictionaries(st.sampled_from(["a", "0", "hasOwnProperty", "__proto__"]),
                            st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none(),
                                      st.lists(st.integers(), max_size=2)), max_size=3),
            st.text(max_size=3),
        )
    },
)
payload_shapes = st.builds(
    lambda group, events: make_payload(events, log_group=group),
    st.sampled_from(["/aws/containerinsights/c/application/ns/app", "/aws/lambda/x", "/A/B/C/D/E/F/G", ""]),
    st.lists(event_shapes, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(payload_shapes, st.sampled_from([SEED, OPENSEARCH, TransformOptions(index_strategy="cwl-group")]))
def test_every_event_yields_exactly_one_action_or_reject(payload: dict[str, Any], options: TransformOptions) -> None:
    """Conservation: actions + rejects == events, each event index exactly once, input untouched."""
    before = copy.deepcopy(payload)
    actions, rejects = transform_payload(decode_payload(payload), options)
    assert payload == before
    seen = sorted([a.position for a in actions] + [str(r.position) for r in rejects],
                  key=lambda p: int(p.split("[")[1][:-1]))
    assert seen == [f"logEvents[{i}]" for i in range(len(payload["logEvents"]))]
    assert all(r.reason for r in rejects)
    assert len(parse_bulk(render_bulk(actions))) == len(actions)


def test_fast_constructors_build_the_same_frozen_objects() -> None:
    """The hot loop's constructors give objects equal to the dataclasses' own, still frozen."""
    assert _log_event("1", 2, "m", None, 3) == LogEvent("1", 2, "m", None, 3)
    action = _bulk_action("i", "1", "a", "s", "f", "p")
    assert action == BulkAction("i", "1", "a", "s", "f", "p")
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.index = "other"  # type: ignore[misc]
