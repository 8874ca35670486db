"""Real nodes of each engine version: they start from a fresh checkout, and the same pipeline meets each differently.

OpenSearch 1.3.20 runs in every session beside the suite's 2.19.4 (a small heap, its own state folder);
Elasticsearch 7.10.2 and OpenSearch 3.1.0 are marked ``versions`` and run when asked (``-m versions``
or ``EFKLAB_TEST_ALL_VERSIONS=1``).  A 3.1.0 node needs Java 21+: without one its tests skip with the
node's one-line refusal as the reason.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from efklab.adapters.localnode import lifecycle as node
from efklab.errors import NodeError
from efklab.opensearch.engines import parse_engine_version

pytestmark = pytest.mark.integration
EFKLAB = [sys.executable, "-m", "efklab"]
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FEW_DAYS = [str(SAMPLES / "payloads" / f"2021-03-{day}.jsonl.gz") for day in (22, 23)]
HEAP = "512m"
TYPED = '{"index":{"_index":"%s","_type":"%s","_id":"%s"}}\n{"@message":"x"}\n'


def settings_for(version: str) -> node.NodeSettings:
    """The checkout's node of ``version`` (its own folder beside the suite's), with a small heap."""
    settings = node.load_settings({**os.environ, "EFKLAB_OPENSEARCH_VERSION": parse_engine_version(version).key})
    return replace(settings, heap=settings.heap or HEAP)


def _all_versions_asked(config: pytest.Config) -> bool:
    expression = str(config.getoption("markexpr") or "")
    asked = "versions" in expression and "not versions" not in expression
    return asked or os.environ.get("EFKLAB_TEST_ALL_VERSIONS") == "1"


@pytest.fixture(scope="session")
def nodes_of_versions(request: pytest.FixtureRequest) -> Iterator[dict[str, str | Exception]]:
    """URL (or why it could not start) of each version's node, started once per session and stopped
    at its end when this session started it."""
    found: dict[str, str | Exception] = {}
    leases = []
    try:
        for version in ("1.3.20", "es-7.10.2", "3.1.0"):
            if version != "1.3.20" and not _all_versions_asked(request.config):
                continue
            lease = node.leased_node(settings_for(version))
            try:
                found[version] = lease.__enter__().url
                leases.append(lease)
            except NodeError as exc:
                found[version] = exc
        yield found
    finally:
        for lease in reversed(leases):
            lease.__exit__(None, None, None)


def url_of(nodes: dict[str, str | Exception], version: str) -> str:
    if version not in nodes:
        pytest.skip(f"{version}: run with -m versions (or EFKLAB_TEST_ALL_VERSIONS=1)")
    answer = nodes[version]
    if isinstance(answer, Exception):
        pytest.skip(f"{version} could not start: {answer}")
    return answer


def bulk(url: str, body: str) -> Any:
    """A raw ``_bulk`` request, as the Lambda sends it; the node's answer whatever its status."""
    request = urllib.request.Request(f"{url}/_bulk", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return json.loads(refused.read())


def compat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EFKLAB, "compat", *args], capture_output=True, text=True, timeout=1800)


@pytest.mark.parametrize(("version", "number", "distribution"), [
    ("1.3.20", "1.3.20", "opensearch"),
    pytest.param("es-7.10.2", "7.10.2", None, marks=pytest.mark.versions),
    pytest.param("3.1.0", "3.1.0", "opensearch", marks=pytest.mark.versions),
])
def test_each_version_runs_as_its_own_cluster_beside_the_suites(nodes_of_versions: dict[str, str | Exception],
                                                                opensearch_url: str, version: str, number: str,
                                                                distribution: str | None) -> None:
    """The node answers with its version, in its own state folder, on its own port, as a cluster of its own."""
    url = url_of(nodes_of_versions, version)
    answer = node.http_json(url, "/")
    assert answer["version"]["number"] == number and answer["version"].get("distribution") == distribution
    assert url != opensearch_url
    assert answer["cluster_name"] != node.http_json(opensearch_url, "/")["cluster_name"]
    state = node.read_state(settings_for(version))
    assert state is not None and state.url == url and state.engine_version == parse_engine_version(version)


def test_opensearch_1_3_keeps_one_mapping_type_per_index(nodes_of_versions: dict[str, str | Exception]) -> None:
    """The seed's _type is the log group: a second log group in the same index is refused on 1.3.20."""
    url = url_of(nodes_of_versions, "1.3.20")
    index = "efklab-versions-types"
    node.http_json(url, f"/{index}", method="DELETE")
    east, west = "/aws/containerinsights/east/application/shop/app", "/aws/containerinsights/west/application/shop/app"
    answer = bulk(url, TYPED % (index, east, "1") + TYPED % (index, west, "2"))
    first, second = (next(iter(item.values())) for item in answer["items"])
    node.http_json(url, f"/{index}", method="DELETE")
    assert first["status"] == 201 and first["result"] == "created"
    assert second["status"] == 400
    assert "would have more than 1 type" in second["error"]["reason"] and west in second["error"]["reason"]


def test_opensearch_2_19_refuses_the_whole_request_with_type(opensearch_url: str) -> None:
    """On the suite's 2.19.4 the same body is refused as a whole, before any document."""
    answer = bulk(opensearch_url, TYPED % ("efklab-versions-types", "/aws/x", "1"))
    assert answer["status"] == 400
    assert "unknown parameter [_type]" in json.dumps(answer["error"])


def test_compat_seed_mode_from_1_3_to_2_19_breaks_and_names_the_nodes_reason(
        nodes_of_versions: dict[str, str | Exception], opensearch_url: str) -> None:
    """Seed bodies: 1.3.20 indexes every document, 2.19.4 refuses all of them; exit 1 names the node's message."""
    url = url_of(nodes_of_versions, "1.3.20")
    done = compat("--from", "1.3.20", "--to", "2.19.4", "--mode", "seed", "--from-url", url, "--to-url",
                  opensearch_url, "--json", *FEW_DAYS)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    old, new = report["versions"]
    assert old["indexed"] == old["actions"] > 0 and old["refused"] == {}
    assert new["indexed"] == 0
    (reason,) = new["refusal_examples"].values()
    assert "Action/metadata line [1] contains an unknown parameter [_type]" in reason
    breaking = [d for d in report["differences"] if d["breaks"]]
    assert breaking[0]["kind"] == "refused" and "remove _type" in breaking[0]["advice"]


def test_compat_opensearch_mode_from_1_3_to_2_19_breaks_nothing(nodes_of_versions: dict[str, str | Exception],
                                                                 opensearch_url: str) -> None:
    """Without _type both versions index, map and sort the same documents alike; only retention differs
    (1.3.20 has no ISM plugin here: Maven serves no job-scheduler zip for it)."""
    url = url_of(nodes_of_versions, "1.3.20")
    done = compat("--from", "1.3.20", "--to", "2.19.4", "--from-url", url, "--to-url", opensearch_url, *FEW_DAYS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BREAKS" not in done.stdout
    table = done.stdout.splitlines()
    accepted = next(line for line in table if line.startswith("accepted"))
    counts = [part for part in accepted.split("  ") if "documents" in part]
    assert len(counts) == 2 and counts[0].strip() == counts[1].strip()


def test_a_version_without_a_fitting_java_is_refused_in_one_line(tmp_path: Path) -> None:
    """3.1.0 with an explicit Java 17: one line naming the JDK and what the version needs, before any download."""
    java17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
    if not (java17 / "bin" / "java").exists():
        pytest.skip("no Java 17 at /usr/lib/jvm/java-17-openjdk-amd64")
    env = {**os.environ, "EFKLAB_JAVA_HOME": str(java17), "EFKLAB_STATE_DIR": str(tmp_path / "node"),
           "EFKLAB_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([*EFKLAB, "opensearch", "up", "--version", "3.1.0"], capture_output=True, text=True,
                          env=env, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert "is Java 17; OpenSearch 3.1.0 needs Java 21+" in lines[0]
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_doctor_reads_the_version_from_the_node_and_flags_two_log_groups_in_one_index(
        nodes_of_versions: dict[str, str | Exception], tmp_path: Path) -> None:
    """Two clusters' log groups name one seed index: the doctor asks 1.3.20 and says it refuses the second type."""
    url = url_of(nodes_of_versions, "1.3.20")
    payloads = tmp_path / "two-clusters.jsonl"
    payloads.write_text("".join(json.dumps({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logStream": "s", "subscriptionFilters": ["f"],
        "logGroup": f"/aws/containerinsights/{cluster}/application/shop/app",
        "logEvents": [{"id": str(36046516739383028409891038287500922477058246351703991873 + n),
                       "timestamp": 1616414108636 + n, "message": '{"log":"hello"}'}]}) + "\n"
        for n, cluster in enumerate(("east", "west"))))
    done = subprocess.run([*EFKLAB, "doctor", "--payloads", str(payloads), "--mode", "seed", "--opensearch-url", url,
                           "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    findings = [f for f in json.loads(done.stdout)["findings"] if f["check"] == "engine-version"]
    assert [f["severity"] for f in findings] == ["error", "warning"]
    assert "OpenSearch 1.3.20" in findings[0]["title"] and "west/application/shop/app" in findings[0]["evidence"][0]
