"""ISM on the real node: the seed policy as written, template attachment, --add, and real deletions.

These need the index-management plugin; where the node runs without it (the plugin could not
be fetched) they skip with the provisioning's reason.  Waiting here is polling the node for a
state the job scheduler produces, with a deadline; assertions are about the node's state and
the simulated windows, never about elapsed time.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from efklab.adapters.ism import IsmApi, read_index_facts
from efklab.adapters.localnode import lifecycle as node
from efklab.retention.attachment import attach_policy
from efklab.retention.explain import read_explain
from efklab.retention.policy import parse_policy
from efklab.retention.schedule import JobSettings, forecast_index
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
SEED_POLICY = ROOT / "data" / "samples" / "ism-policy.json"
RUN = uuid.uuid4().hex[:8]  # names unique per run: the node is shared with other sessions
OLD, NEW = f"mydata-efklabism{RUN}-old-2021.06.01", f"mydata-efklabism{RUN}-new-2021.06.02"
SEED_ID, FAST_ID = f"delete_policy_{RUN}", f"efklab_fast_delete_{RUN}"
T = TypeVar("T")


@pytest.fixture
def ism(opensearch_url: str, opensearch_client: Any, opensearch_connection: Any) -> Iterator[IsmApi]:
    """The ISM API of the session node; skips with the provisioning's reason when the plugin is absent."""
    reason = node.ism_missing_reason(opensearch_url)
    if reason is not None:
        pytest.skip(f"needs Index State Management: {reason}")
    api = IsmApi(opensearch_client, opensearch_connection)
    yield api
    opensearch_client.indices.delete(index=f"mydata-efklabism{RUN}-*,efklabism{RUN}-*", ignore_unavailable=True,
                                     allow_no_indices=True)
    for policy_id in (SEED_ID, FAST_ID):
        opensearch_client.transport.perform_request("DELETE", f"/_plugins/_ism/policies/{policy_id}", ignore=(404,))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "efklab", *args], capture_output=True, text=True, timeout=600)


def _eventually(probe: Callable[[], T | None], *, deadline_s: float, every_s: float = 2.0) -> T:
    """Poll the node until ``probe`` returns something, or fail at the deadline."""
    give_up = time.monotonic() + deadline_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > give_up:
            raise AssertionError(f"the node did not reach the expected state within {deadline_s:.0f}s")
        time.sleep(every_s)


def _managed(api: IsmApi, index: str) -> bool:
    return any(r.managed for r in read_explain(api.explain(index)) if r.index == index)


def test_seed_policy_attaches_to_new_indices_only_until_added(ism: IsmApi, opensearch_url: str,
                                                              opensearch_client: Any) -> None:
    """Accepted as written; a new mydata-* index is managed, an older one is not until --add."""
    opensearch_client.indices.create(index=OLD)
    done = _cli("retention", "apply", "--policy", str(SEED_POLICY), "--policy-id", SEED_ID,
                "--opensearch-url", opensearch_url)
    assert done.returncode == 0, done.stderr
    assert "will NOT get the policy" in done.stdout and "mydata-*" in done.stdout
    opensearch_client.indices.create(index=NEW)
    _eventually(lambda: True if _managed(ism, NEW) else None, deadline_s=120)
    assert not _managed(ism, OLD)
    explained = _cli("retention", "explain", f"mydata-efklabism{RUN}-*", "--opensearch-url", opensearch_url, "--json")
    rows = {r["index"]: r for r in json.loads(explained.stdout)}
    assert rows[NEW]["policy_id"] == SEED_ID
    assert rows[OLD]["managed"] is False
    added = _cli("retention", "apply", "--policy", str(SEED_POLICY), "--policy-id", SEED_ID, "--add", OLD,
                 "--opensearch-url", opensearch_url)
    assert added.returncode == 0 and "1 indices attached" in added.stdout, added.stdout + added.stderr
    _eventually(lambda: True if _managed(ism, OLD) else None, deadline_s=60)


def test_node_deletes_exactly_the_predicted_indices_inside_the_predicted_window(ism: IsmApi, opensearch_client: Any,
                                                                                opensearch_connection: Any,
                                                                                tmp_path: Path,
                                                                                opensearch_url: str) -> None:
    """A 2-minute policy at the fastest job interval: the node deletes what the simulation says, when it says."""
    body = {"policy": {"description": "fast delete for the test", "default_state": "hot", "states": [
        {"name": "hot", "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "2m"}}]},
        {"name": "delete", "actions": [{"delete": {}}]}],
        "ism_template": [{"index_patterns": [f"efklabism{RUN}-*"], "priority": 90}]}}
    policy_file = tmp_path / "fast.json"
    policy_file.write_text(json.dumps(body))
    done = _cli("retention", "apply", "--policy", str(policy_file), "--policy-id", FAST_ID, "--job-interval", "1",
                "--jitter", "0", "--opensearch-url", opensearch_url)
    assert done.returncode == 0, done.stderr
    for name in (f"efklabism{RUN}-a-2021.06.01", f"efklabism{RUN}-b-2021.06.02"):
        opensearch_client.index(index=name, body={"@timestamp": "2021-06-01T00:00:00Z", "log": "x"}, refresh=True)
    outside = f"efklabkeep{RUN}-2021.06.01"
    opensearch_client.index(index=outside, body={"log": "kept"}, refresh=True)
    before = opensearch_client.count(index=f"efklabism{RUN}-*")["count"]
    policy = parse_policy(body, policy_id=FAST_ID)
    facts = read_index_facts(opensearch_client, opensearch_connection, f"efklabism{RUN}-*")
    windows = {}
    for fact in facts:
        forecast = forecast_index(fact, attach_policy(fact, [policy]), policy,
                                  JobSettings(interval_minutes=1, jitter=0.0))
        assert forecast.outcome == "deleted"
        windows[fact.name] = forecast.deletion
    deleted_at: dict[str, int] = {}

    def all_gone() -> bool | None:
        present = {r["index"] for r in opensearch_client.cat.indices(index=f"efklabism{RUN}-*", format="json")}
        for name in windows:
            if name not in present and name not in deleted_at:
                deleted_at[name] = int(time.time() * 1000)
        return True if len(deleted_at) == len(windows) else None

    _eventually(all_gone, deadline_s=8 * 60)
    # we see a deletion up to one poll (2 s) late; the job starts when the coordinator attaches it and
    # runs on a thread pool, a few seconds after the schedule at most
    poll_slack = 15_000
    for name, (earliest, latest) in windows.items():
        assert earliest <= deleted_at[name] <= latest + poll_slack, (name, earliest, deleted_at[name], latest)
    assert before == 2
    assert opensearch_client.count(index=f"efklabism{RUN}-*", allow_no_indices=True)["count"] == 0
    assert opensearch_client.indices.exists(index=outside)
    opensearch_client.indices.delete(index=outside)


def test_simulate_from_the_cluster_uses_the_nodes_creation_dates(opensearch_url: str, opensearch_client: Any,
                                                                 opensearch_connection: Any, tmp_path: Path) -> None:
    """Without payloads, simulate reads each index's creation date and count from the node (no ISM needed)."""
    name = f"efklabsim{RUN}-shop-api-2021.06.01"
    opensearch_client.index(index=name, body={"log": "x"}, refresh=True)
    try:
        policy = json.loads(SEED_POLICY.read_text())
        policy["policy"]["ism_template"][0]["index_patterns"] = [f"efklabsim{RUN}-*"]
        path = tmp_path / "p.json"
        path.write_text(json.dumps(policy))
        done = _cli("retention", "simulate", "--policy", str(path), "--pattern", f"efklabsim{RUN}-*",
                    "--opensearch-url", opensearch_url, "--json")
        assert done.returncode == 0, done.stderr
        (row,) = json.loads(done.stdout)["indices"]
        (fact,) = read_index_facts(opensearch_client, opensearch_connection, f"efklabsim{RUN}-*")
        assert (row["index"], row["created"], row["docs"]) == (name, fact.creation_date, 1)
        assert row["deletion"][0] > fact.creation_date + 30 * 86_400_000
        assert "creation-date" in {f["kind"] for f in json.loads(done.stdout)["findings"]}
    finally:
        opensearch_client.indices.delete(index=f"efklabsim{RUN}-*", ignore_unavailable=True, allow_no_indices=True)


def test_apply_dry_run_lists_existing_indices_the_template_will_not_reach(opensearch_url: str,
                                                                          opensearch_client: Any) -> None:
    """--dry-run changes nothing: it names the pre-existing indices and whether ISM is there to take the PUT."""
    name = f"mydata-efklabdry{RUN}-x-2021.06.01"
    opensearch_client.indices.create(index=name)
    try:
        done = _cli("retention", "apply", "--policy", str(SEED_POLICY), "--policy-id", SEED_ID, "--dry-run", "--json",
                    "--add", f"mydata-efklabdry{RUN}-*", "--opensearch-url", opensearch_url)
        report = json.loads(done.stdout)
        assert report["would_add"] == [name] and name not in report["existing_not_attached"]
        assert done.returncode == (0 if report["ism_installed"] else 1)
        assert report["ism_installed"] is node.ism_available(opensearch_url)
        plain = _cli("retention", "apply", "--policy", str(SEED_POLICY), "--policy-id", SEED_ID, "--dry-run",
                     "--opensearch-url", opensearch_url)
        assert "would NOT get the policy" in plain.stdout and "dry run: would PUT" in plain.stdout
    finally:
        opensearch_client.indices.delete(index=name)
