"""Layout, mappings and shards against the real node: what we predict from payloads is what it does."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from efklab.adapters.ism import read_index_facts
from efklab.adapters.opensearch import BulkSettings, cat_indices, install_index_template, refresh, stream_bulk
from efklab.cloudwatch.payloads import decode_payload
from efklab.lambda_.indextemplate import MAPPED_FIELDS, index_pattern, replay_template
from efklab.lambda_.layout import diff_layout, expect_layout, parse_cat_indices
from efklab.lambda_.transform import TransformOptions, transform_payload
from efklab.opensearch.indexnames import compile_index_strategy
from efklab.retention.attachment import attach_policy
from efklab.retention.policy import load_policy
from efklab.retention.schedule import JobSettings, forecast_index
from efklab.units import DAY_MS, parse_time
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
PREFIX = f"efklablayout{uuid.uuid4().hex[:8]}"  # unique per run: the node is shared with other sessions
PATTERN = f"{PREFIX}-*"
OPTIONS = TransformOptions(prefix=PREFIX)
EXPLICIT = {k: v["type"] for k, v in MAPPED_FIELDS.items()}
START = parse_time("2021-06-01T08:00:00Z")
_ids = iter(range(10**55, 10**56))


def _payload(namespace: str, container: str, events: list[tuple[int, dict[str, Any] | str]], *,
             ids: list[str] | None = None) -> dict:
    return {
        "messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": f"/aws/containerinsights/lab/application/{namespace}/{container}",
        "logStream": f"{container}-pod", "subscriptionFilters": ["lab"],
        "logEvents": [{"id": ids[k] if ids else str(next(_ids)), "timestamp": ts,
                       "message": m if isinstance(m, str) else json.dumps(m)} for k, (ts, m) in enumerate(events)],
    }


def clean_payloads() -> list[dict]:
    """Three streams over four days, consistent fields, one redelivered payload."""
    payloads = []
    for day in range(4):
        for namespace, container in (("shop", "api"), ("shop", "web"), ("pay", "worker")):
            at = START + day * DAY_MS
            payloads.append(_payload(namespace, container, [
                (at + k, {"log": f"request {k}\n", "stream": "stdout", "status": 200, "latency_ms": 1.5 + k,
                          "kubernetes": {"pod_name": f"{container}-1", "host": "ip-10-0-0-1"}, "ok": True,
                          "when": "2021-06-01T08:00:00Z"}) for k in range(5)]))
    payloads.append(payloads[0])  # the Lambda retried: same ids, overwritten
    return payloads


def conflicting_payloads() -> list[dict]:
    """Mapping conflicts inside one index, across indices, an out-of-range number and a label conflict."""
    at = START
    return [
        _payload("shop", "api", [(at, {"status": 200, "labels": {"app": "api"}}), (at + 1, {"status": "OK"}),
                                 (at + 2, {"status": 201, "user": {"id": 7}}), (at + 3, {"user": "alice"}),
                                 (at + 4, {"labels": {"app.kubernetes.io/name": "api"}}),
                                 (at + 5, {"size": 12345678901234567890}), (at + 6, {"when": "2021-06-01"}),
                                 (at + 7, {"when": "yesterday"}), (at + 8, {"flag": True}), (at + 9, {"flag": "yes"})]),
        _payload("shop", "web", [(at, {"status": "OK"}), (at + 1, "plain text line"), (at + 2, {"ratio": 1}),
                                 (at + 3, {"ratio": 0.5}), (at + 4, {"codes": [1, "x"]})]),
    ]


def _index(client: Any, conn: Any, payloads: list[dict]) -> tuple[Any, dict[str, dict]]:
    """Transform, install the replay template, bulk-index; the layout we predicted and the node's answer per _id."""
    records = [decode_payload(p, source="test", position=n + 1) for n, p in enumerate(payloads)]
    layout = expect_layout(records, OPTIONS, explicit_mappings=EXPLICIT)
    name, body = replay_template(PATTERN)
    install_index_template(client, conn, name, body)
    actions = [a for r in records for a in transform_payload(r, OPTIONS)[0]]
    results = {action.id: result for action, result in stream_bulk(client, conn, actions, settings=BulkSettings(),
                                                                     sleep=lambda _: None)}
    refresh(client, conn, PATTERN)
    return layout, results


@pytest.fixture
def lab(opensearch_client: Any, opensearch_connection: Any) -> Iterator[tuple[Any, Any]]:
    """A clean slate of efklablayout-* indices (and template) before and after each test."""
    def wipe() -> None:
        opensearch_client.indices.delete(index=PATTERN, ignore_unavailable=True, allow_no_indices=True)
        name, _ = replay_template(PATTERN)
        opensearch_client.indices.delete_index_template(name=name, ignore=[404])

    wipe()
    yield opensearch_client, opensearch_connection
    wipe()


def test_layout_after_replay_has_no_differences(lab: tuple[Any, Any]) -> None:
    """Every expected index exists on the node with exactly the expected count; nothing else matches."""
    client, conn = lab
    layout, _ = _index(client, conn, clean_payloads())
    actual = parse_cat_indices(cat_indices(client, conn, PATTERN))
    diff = diff_layout(layout, actual, PATTERN)
    assert diff.clean, diff
    assert len(diff.matching) == 12 and sum(i.doc_count for i in layout.indices) == 60


def test_predicted_refusals_are_exactly_the_nodes(lab: tuple[Any, Any]) -> None:
    """The documents we predict the node refuses are the ones it refuses, for mapping reasons."""
    client, conn = lab
    layout, results = _index(client, conn, conflicting_payloads())
    predicted = {r.doc_id for m in layout.mappings.indices.values() for r in m.rejected}
    refused = {doc_id for doc_id, result in results.items() if not result["ok"]}
    assert predicted == refused and len(refused) == 7
    for doc_id in refused:
        assert results[doc_id]["error"]["type"] in ("mapper_parsing_exception",
                                                    "illegal_argument_exception"), results[doc_id]
    actual = parse_cat_indices(cat_indices(client, conn, PATTERN))
    assert diff_layout(layout, actual, PATTERN).clean


def test_predicted_mapping_types_match_the_nodes_mapping(lab: tuple[Any, Any]) -> None:
    """Field by field, the dynamic types we predict are the types the node mapped."""
    client, conn = lab
    layout, _ = _index(client, conn, clean_payloads() + conflicting_payloads())
    answer = client.indices.get_mapping(index=PATTERN)
    for index, predicted in layout.mappings.indices.items():
        node_fields = dict(_flatten_mapping(answer[index]["mappings"].get("properties", {})))
        assert predicted.fields == node_fields, index


def _flatten_mapping(properties: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            yield path, "object"
            yield from _flatten_mapping(spec["properties"], f"{path}.")
        elif spec.get("type") == "date" and "yyyy/MM/dd" in spec.get("format", ""):
            yield path, "date:slash"
        else:
            yield path, spec["type"]


def test_node_refuses_to_back_date_creation_date_and_simulation_uses_the_real_one(lab: tuple[Any, Any]) -> None:
    """OpenSearch 2.19 refuses index.creation_date at creation; ISM ages the index from the date it set."""
    client, conn = lab
    answer = client.indices.create(index=f"{PREFIX}-backdated-2021.06.01",
                                   body={"settings": {"index.creation_date": START}}, ignore=400)
    assert answer["error"]["type"] == "illegal_argument_exception"
    assert "unknown setting [index.creation_date]" in answer["error"]["reason"]
    client.indices.create(index=f"{PREFIX}-fresh-2021.06.01")
    (fact,) = read_index_facts(client, conn, f"{PREFIX}-fresh-*")
    assert fact.creation_date > parse_time("2024-01-01")  # the node's clock, not the day in the name
    policy = load_policy((ROOT / "data" / "samples" / "ism-policy.json").read_bytes())
    policy = replace(policy, ism_templates=tuple(replace(t, index_patterns=(PATTERN,)) for t in policy.ism_templates))
    forecast = forecast_index(fact, attach_policy(fact, [policy]), policy, JobSettings())
    assert forecast.deletion is not None and forecast.deletion[0] >= fact.creation_date + 30 * DAY_MS


def test_open_shards_match_the_projection_formula(lab: tuple[Any, Any]) -> None:
    """Each daily index holds primaries x (1 + replicas) shards, unassigned replicas included."""
    client, conn = lab
    _index(client, conn, clean_payloads())
    # the local node creates indices without replicas; give them one, which one node cannot place
    client.indices.put_settings(index=PATTERN, body={"index": {"number_of_replicas": 1}})
    shards = client.cat.shards(index=PATTERN, format="json")
    indices = {row["index"] for row in shards}
    assert sum(row["state"] == "UNASSIGNED" for row in shards) == len(indices)
    assert len(shards) == len(indices) * 1 * (1 + 1)


def test_layout_cli_reports_no_differences_after_replay(lab: tuple[Any, Any], tmp_path: Path,
                                                        opensearch_url: str) -> None:
    """`efklab layout --opensearch-url` on replayed payloads: exit 0 and no problems."""
    client, conn = lab
    _index(client, conn, clean_payloads())
    payloads = tmp_path / "payloads.jsonl"
    payloads.write_text("".join(json.dumps(p) + "\n" for p in clean_payloads()[:-1]))
    done = subprocess.run([sys.executable, "-m", "efklab", "layout", "--opensearch-url", opensearch_url,
                           "--prefix", PREFIX, str(payloads)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "node: 12 indices as expected" in done.stdout and "no problems found" in done.stdout, done.stdout


def test_sample_set_replayed_with_efklab_replay_matches_the_layout(opensearch_client: Any, opensearch_url: str,
                                                                    tmp_path: Path) -> None:
    """The committed samples through `efklab replay`, then `efklab layout`: every index and count as expected."""
    payloads = sorted(str(p) for p in (ROOT / "data" / "samples" / "payloads").glob("*.jsonl.gz"))
    if not payloads:
        pytest.skip("data/samples/payloads is not generated in this checkout")
    prefix = f"efklabsamples{uuid.uuid4().hex[:8]}"
    try:
        replay = subprocess.run([sys.executable, "-m", "efklab", "replay", "--opensearch-url", opensearch_url,
                                 "--prefix", prefix, "--dead-letters", str(tmp_path / "dead.jsonl"), *payloads],
                                capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert replay.returncode == 0, replay.stderr
        done = subprocess.run([sys.executable, "-m", "efklab", "layout", "--opensearch-url", opensearch_url,
                               "--prefix", prefix, "--json", *payloads], capture_output=True, text=True, timeout=600)
        report = json.loads(done.stdout)
        assert done.returncode == 0, report["problems"]
        assert report["diff"]["missing"] == report["diff"]["unexpected"] == report["diff"]["count_mismatches"] == []
        assert report["diff"]["matching"] == len(report["indices"]) > 100
    finally:
        opensearch_client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
        template, _ = replay_template(index_pattern(compile_index_strategy("seed", prefix=prefix)))
        opensearch_client.indices.delete_index_template(name=template, ignore=[404])
