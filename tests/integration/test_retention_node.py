"""ISM on the real node, the quick part: dry runs, forecasts read from the node, policies matched as the
cluster matches them, explain as text.  (The minutes-long part, deletions by the plugin judged against the
simulator, is ``test_retention_rehearsal.py``.)

Waiting here is polling the node for a state the plugin produces within seconds (attachment),
with a deadline; assertions are about the node's state, never about elapsed time.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from efklab.adapters.ism import IsmApi, ism_installed, read_index_facts
from efklab.retention.explain import read_explain
from efklab.retention.scaling import DEFAULT_SCALE, scale_policy
from tests.conftest import ROOT
from tests.integration.retention_scenarios import cli

pytestmark = pytest.mark.integration
SEED_POLICY = ROOT / "data" / "samples" / "ism-policy.json"
RUN = uuid.uuid4().hex[:8]  # names unique per run: the node is shared with other sessions
T = TypeVar("T")


def _eventually(probe: Callable[[], T | None], *, deadline_s: float, every_s: float = 1.0) -> T:
    """Poll the node until ``probe`` returns something, or fail at the deadline."""
    give_up = time.monotonic() + deadline_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > give_up:
            raise AssertionError(f"the node did not reach the expected state within {deadline_s:.0f}s")
        time.sleep(every_s)


@pytest.fixture
def ism(opensearch_client: Any, opensearch_connection: Any) -> Iterator[IsmApi]:
    """The ISM API of the session node (the plugin is part of the node: a node without it fails here)."""
    assert ism_installed(opensearch_client, opensearch_connection), "the test node runs without ISM"
    api = IsmApi(opensearch_client, opensearch_connection)
    yield api
    opensearch_client.indices.delete(index=f"efklabmatch{RUN}-*", ignore_unavailable=True, allow_no_indices=True)
    api.delete_policy(f"cluster_named_{RUN}")


def test_simulate_against_the_cluster_matches_a_policy_file_without_policy_id_as_the_cluster_does(
        ism: IsmApi, opensearch_url: str, opensearch_client: Any, tmp_path: Path) -> None:
    """The first look's bug: a policy file without policy_id said 'never (no policy)' for every index the
    cluster manages.  Now the index runs the policy the cluster stores under the id it reports, and the
    output says which; the window is the simulator's, from the job's start (read from the node)."""
    body = scale_policy(json.loads(SEED_POLICY.read_text()), DEFAULT_SCALE, index_patterns=[f"efklabmatch{RUN}-*"])
    ism.put_policy(f"cluster_named_{RUN}", body)
    name = f"efklabmatch{RUN}-shop-api-2021.06.01"
    opensearch_client.index(index=name, body={"log": "x"}, refresh=True)
    _eventually(lambda: True if any(r.managed for r in read_explain(ism.explain(name))) else None, deadline_s=60)
    unnamed = tmp_path / "no-id.json"
    unnamed.write_text(json.dumps(body))  # the scaled copy has no policy_id: the file's id is "policy"
    done = cli("retention", "simulate", "--policy", str(unnamed), "--pattern", f"efklabmatch{RUN}-*",
               "--opensearch-url", opensearch_url, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (row,) = report["indices"]
    assert row["outcome"] == "deleted" and row["deletion"] is not None
    assert row["matched"] == f"the cluster runs cluster_named_{RUN} as stored on the node (not the policy file's id)"
    assert 170_000 <= row["deletion"][0] - row["created"] <= 190_000  # 3 runs of 1 min from the job's start
    assert "observed on the node" in report["source"]
    assert [r["policy_id"] for r in report["observed"]] == [f"cluster_named_{RUN}"]
    text = cli("retention", "simulate", "--policy", str(unnamed), "--pattern", f"efklabmatch{RUN}-*",
               "--opensearch-url", opensearch_url)
    assert "never (no policy)" not in text.stdout and "policy match (1 indices)" in text.stdout
    explained = cli("retention", "explain", name, "--opensearch-url", opensearch_url)
    assert f"cluster_named_{RUN}/" in explained.stdout and "1 of 1 indices managed" in explained.stdout


def test_simulate_from_the_cluster_uses_the_nodes_creation_dates(opensearch_url: str, opensearch_client: Any,
                                                                 opensearch_connection: Any, tmp_path: Path) -> None:
    """Without payloads, simulate reads each index's creation date and count from the node; a policy the node
    does not hold would reach only indices created after its PUT, so this existing index is a trap."""
    name = f"efklabsim{RUN}-shop-api-2021.06.01"
    opensearch_client.index(index=name, body={"log": "x"}, refresh=True)
    try:
        policy = json.loads(SEED_POLICY.read_text())
        policy["policy"]["ism_template"][0]["index_patterns"] = [f"efklabsim{RUN}-*"]
        path = tmp_path / "p.json"
        path.write_text(json.dumps(policy))
        done = cli("retention", "simulate", "--policy", str(path), "--pattern", f"efklabsim{RUN}-*",
                   "--opensearch-url", opensearch_url, "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        (row,) = report["indices"]
        (fact,) = read_index_facts(opensearch_client, opensearch_connection, f"efklabsim{RUN}-*")
        assert (row["index"], row["created"], row["docs"]) == (name, fact.creation_date, 1)
        assert row["outcome"] == "unmanaged" and row["attached"] == "pre-existing"
        assert "pre-existing" in {f["kind"] for f in report["findings"]}
        backfill = cli("retention", "simulate", "--policy", str(path), "--pattern", f"efklabsim{RUN}-*",
                       "--applied-at", "2021-01-01", "--opensearch-url", opensearch_url, "--json")
        (row,) = json.loads(backfill.stdout)["indices"]
        assert row["deletion"][0] > fact.creation_date + 30 * 86_400_000
        assert "creation-date" in {f["kind"] for f in json.loads(backfill.stdout)["findings"]}
    finally:
        opensearch_client.indices.delete(index=f"efklabsim{RUN}-*", ignore_unavailable=True, allow_no_indices=True)


def test_apply_dry_run_lists_existing_indices_the_template_will_not_reach(opensearch_url: str,
                                                                          opensearch_client: Any) -> None:
    """--dry-run changes nothing: it names the pre-existing indices and that ISM is there to take the PUT."""
    name = f"mydata-efklabdry{RUN}-x-2021.06.01"
    opensearch_client.indices.create(index=name)
    try:
        done = cli("retention", "apply", "--policy", str(SEED_POLICY), "--policy-id", f"dry_{RUN}", "--dry-run",
                   "--json", "--add", f"mydata-efklabdry{RUN}-*", "--opensearch-url", opensearch_url)
        report = json.loads(done.stdout)
        assert report["would_add"] == [name] and name not in report["existing_not_attached"]
        assert done.returncode == 0 and report["ism_installed"] is True
        plain = cli("retention", "apply", "--policy", str(SEED_POLICY), "--policy-id", f"dry_{RUN}", "--dry-run",
                    "--opensearch-url", opensearch_url)
        assert "would NOT get the policy" in plain.stdout and "dry run: would PUT" in plain.stdout
        assert opensearch_client.transport.perform_request("GET", f"/_plugins/_ism/policies/dry_{RUN}",
                                                           ignore=(404,)).get("status") == 404
    finally:
        opensearch_client.indices.delete(index=name)
