"""efklab doctor --opensearch-url against the real local node: version, shard limit, ISM, existing indices."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from efklab.adapters.ism import ism_installed
from efklab.adapters.opensearch import delete_indices
from efklab.cli import main
from efklab.jobs.doctor import diagnose, read_node_facts
from efklab.testing import make_payload

pytestmark = pytest.mark.integration
PREFIX = f"efklabdoctor{uuid.uuid4().hex[:8]}"  # unique per run: the node is shared with other sessions
OLD_INDEX = f"{PREFIX}-shop-app-2021.01.01"


@pytest.fixture(scope="module")
def existing_index(opensearch_client: Any, opensearch_connection: Any) -> Iterator[str]:
    """An index that exists before any policy is applied (as production indices do)."""
    opensearch_client.indices.create(index=OLD_INDEX,
                                     body={"settings": {"number_of_shards": 1, "number_of_replicas": 0}})
    yield OLD_INDEX
    delete_indices(opensearch_client, opensearch_connection, f"{PREFIX}-*")


@pytest.fixture()
def policy_file(tmp_path: Path) -> str:
    """The seed's policy, its template on this run's prefix."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"policy": {
        "description": "hot then delete", "default_state": "hot",
        "states": [{"name": "hot", "actions": [],
                    "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "30d"}}]},
                   {"name": "delete", "actions": [{"delete": {}}], "transitions": []}],
        "ism_template": [{"index_patterns": [f"{PREFIX}-*"], "priority": 10}]}}))
    return str(path)


@pytest.fixture()
def payload_file(tmp_path: Path) -> str:
    path = tmp_path / "payloads.jsonl"
    path.write_text(json.dumps(make_payload(["a", "b"], log_group="/aws/containerinsights/c/application/shop/app"))
                    + "\n")
    return str(path)


def test_node_facts_are_what_the_node_says(opensearch_client: Any, opensearch_connection: Any,
                                           existing_index: str) -> None:
    """Version and distribution, data nodes, the shard limit, ISM present or not,
    and the existing index with its creation date."""
    facts = read_node_facts(opensearch_client, opensearch_connection, template_patterns=[f"{PREFIX}-*"],
                            strategy_pattern=f"{PREFIX}-*")
    info = opensearch_client.info()
    assert facts.version == info["version"]["number"] and facts.distribution == "opensearch" and facts.major >= 2
    assert facts.data_nodes == opensearch_client.cluster.health()["number_of_data_nodes"]
    assert facts.max_shards_per_node == 1000
    assert facts.ism == ism_installed(opensearch_client, opensearch_connection)
    assert [i.name for i in facts.indices] == [existing_index]
    assert facts.pattern_shards == 1 and facts.open_shards >= facts.pattern_shards
    assert 0 < facts.indices[0].creation_date <= facts.read_at_ms


def test_doctor_with_the_node_reports_what_only_the_node_can_tell(opensearch_url: str, existing_index: str,
                                                                  policy_file: str, payload_file: str) -> None:
    """Seed-mode _type is an error against this 2.x node; the existing index will never get the policy;
    ISM missing is said."""
    report = diagnose(policy=policy_file, payloads=[payload_file], mode="seed",
                      opensearch_url=opensearch_url)
    by_check = {f.check: f for f in report.findings}
    assert by_check["bulk-type-field"].severity == "error" and "runs OpenSearch 2." in by_check["bulk-type-field"].title
    stranded = by_check["ism-existing-indices"]
    assert stranded.severity == "error" and any(line.startswith(f"{existing_index}: created before")
                                                for line in stranded.evidence)
    assert ("ism-plugin-missing" in by_check) == (not report.inputs["node"]["ism"])
    assert all(r.status != "skipped" for r in report.runs if r.id.startswith("ism-"))


def test_cli_prints_the_node_line(opensearch_url: str, existing_index: str, policy_file: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """efklab doctor --opensearch-url: the header names the node and its version; exit 1 for the stranded index."""
    assert main(["doctor", "--policy", policy_file, "--opensearch-url", opensearch_url, "--only", "ism-"]) == 1
    out = capsys.readouterr().out
    assert f"node      {opensearch_url}: opensearch 2." in out and "ism-existing-indices" in out
