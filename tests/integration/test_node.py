"""The real local OpenSearch node: provisioning, lifecycle and the one-line errors around it."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from efklab.adapters.localnode import lifecycle as node
from efklab.adapters.localnode.distribution import MARKER, ensure_distribution, read_distribution
from efklab.adapters.localnode.java import find_java_home
from efklab.opensearch.nodeconfig import INDEX_MANAGEMENT, JOB_SCHEDULER

pytestmark = pytest.mark.integration
EFKLAB = [sys.executable, "-m", "efklab"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EFKLAB, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=600)


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_node_is_healthy_and_lists_job_scheduler(opensearch_url: str) -> None:
    """The session node answers with a yellow/green cluster and runs the job scheduler plugin."""
    health = node.http_json(opensearch_url, "/_cluster/health")
    assert health["status"] in ("yellow", "green")
    assert JOB_SCHEDULER in node.installed_plugins(opensearch_url)


def test_single_node_creates_indices_without_replicas(opensearch_url: str) -> None:
    """A new index on the one-node cluster has 0 replicas and goes green (yellow would mean unplaceable copies)."""
    name = f"efklab-replicas-{os.getpid()}"
    try:
        assert node.http_json(opensearch_url, f"/{name}", method="PUT", timeout=30.0)["acknowledged"]
        settings = node.http_json(opensearch_url, f"/{name}/_settings")[name]["settings"]["index"]
        health = node.http_json(opensearch_url, f"/_cluster/health/{name}?wait_for_status=green&timeout=20s",
                                timeout=30.0)
        assert (settings["number_of_replicas"], health["status"]) == ("0", "green")
    finally:
        node.http_json(opensearch_url, f"/{name}", method="DELETE")


def test_ism_presence_matches_what_provisioning_recorded(opensearch_url: str) -> None:
    """index-management is on the node exactly when it was fetched; otherwise the reason says why."""
    state = node.read_state(node.load_settings())
    assert state is not None and state.url == opensearch_url
    assert node.ism_available(opensearch_url) == (INDEX_MANAGEMENT in state.plugins)
    reason = node.ism_missing_reason(opensearch_url)
    if INDEX_MANAGEMENT in state.plugins:
        assert reason is None
    else:
        assert reason is not None and INDEX_MANAGEMENT in reason and state.missing_plugins[INDEX_MANAGEMENT] in reason


def test_up_when_up_prints_the_same_url(opensearch_url: str) -> None:
    """`efklab opensearch up` on a running node is a no-op that prints its URL."""
    done = run_cli("opensearch", "up")
    assert (done.returncode, done.stdout.strip()) == (0, opensearch_url)


def test_status_json_reports_the_running_node(opensearch_url: str) -> None:
    """`status --json` says running, with URL, version, plugins and health; exit 0."""
    done = run_cli("opensearch", "status", "--json")
    doc = json.loads(done.stdout)
    assert done.returncode == 0
    assert (doc["running"], doc["url"], doc["version"]) == (True, opensearch_url, node.load_settings().version)
    assert JOB_SCHEDULER in doc["plugins"] and doc["health"]["status"] in ("yellow", "green")


def test_status_without_a_node_exits_1(tmp_path: Path) -> None:
    """No node in this state folder: `status` says so and exits 1."""
    done = run_cli("opensearch", "status", env={"EFKLAB_STATE_DIR": str(tmp_path)})
    assert done.returncode == 1 and done.stdout.startswith("not running")


def test_port_taken_is_a_one_line_error(opensearch_url: str, tmp_path: Path, listening_port: int) -> None:
    """An explicit --port that another process holds: exit 2 and one line naming the port."""
    done = run_cli("opensearch", "up", "--port", str(listening_port), env={"EFKLAB_STATE_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"efklab opensearch: port {listening_port} on 127.0.0.1 is taken by another process; choose another --port")


@pytest.mark.parametrize("java_home", ["/nonexistent/jdk", "/usr/lib/jvm/temurin-25-jdk-amd64"])
def test_unfit_java_is_a_one_line_error(opensearch_url: str, tmp_path: Path, java_home: str) -> None:
    """EFKLAB_JAVA_HOME without Java, or with Java 24+, is refused in one line before anything starts."""
    if java_home.startswith("/usr") and not Path(java_home).is_dir():
        pytest.skip(f"{java_home} is not installed here")
    done = run_cli("opensearch", "up", env={"EFKLAB_STATE_DIR": str(tmp_path), "EFKLAB_JAVA_HOME": java_home})
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1
    assert f"EFKLAB_JAVA_HOME={java_home} is" in lines[0] and "needs Java 11-21" in lines[0]


def test_missing_maven_is_a_one_line_error(tmp_path: Path) -> None:
    """An empty cache and no `mvn` on PATH: exit 2, one line saying Maven is needed once."""
    env = {"EFKLAB_STATE_DIR": str(tmp_path / "state"), "EFKLAB_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": "/nonexistent"}
    done = run_cli("opensearch", "up", env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Maven (mvn) is needed once" in lines[-1]


def test_node_that_dies_at_startup_points_to_its_log(opensearch_url: str, tmp_path: Path) -> None:
    """A node that cannot start (a heap too small for the JVM) gives one line with its log and the cause."""
    done = run_cli("opensearch", "up", env={"EFKLAB_STATE_DIR": str(tmp_path), "EFKLAB_OPENSEARCH_HEAP": "2m"})
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2
    assert last.startswith(f"efklab opensearch: {tmp_path}/n1/node-0/console.log: node-0 exited during startup: ")
    assert node.read_state(node.load_settings({**os.environ, "EFKLAB_STATE_DIR": str(tmp_path)})) is None


def _prepare_in(cache: str) -> str:
    # no ISM source build here: this test is about the cache folder, and a build takes minutes
    settings = node.load_settings({**os.environ, "EFKLAB_CACHE_DIR": cache, "EFKLAB_ISM_SOURCE": "none"})
    java_home, _ = find_java_home(os.environ)
    return str(ensure_distribution(settings, java_home, say=lambda _: None).home)


@pytest.mark.slow
def test_cache_preparation_is_atomic_and_concurrency_safe(opensearch_url: str, tmp_path: Path) -> None:
    """An unmarked (half-prepared) folder is never trusted; two concurrent preparations give one good cache."""
    settings = node.load_settings({**os.environ, "EFKLAB_CACHE_DIR": str(tmp_path)})
    half = settings.distribution_dir
    (half / "bin").mkdir(parents=True)
    (half / "bin" / "opensearch").write_text("#!/bin/sh\nexit 1\n")
    assert read_distribution(half) is None
    with ProcessPoolExecutor(2) as pool:
        homes = list(pool.map(_prepare_in, [str(tmp_path)] * 2))
    assert homes == [str(half)] * 2
    prepared = read_distribution(half)
    assert prepared is not None and JOB_SCHEDULER in prepared.plugins and (half / MARKER).is_file()
    assert (half / "plugins" / JOB_SCHEDULER).is_dir()
    names = {p.name for p in tmp_path.iterdir()}  # beside it: the lock, and a plugin built from source, if any
    assert {half.name, f"{half.name}.lock"} <= names and not [n for n in names if n.startswith(".")]


@pytest.mark.slow
def test_two_node_cluster_up_status_down(opensearch_url: str, tmp_path: Path) -> None:
    """`--nodes 2` forms one cluster on distinct loopback ports; `down` stops both processes."""
    env = {"EFKLAB_STATE_DIR": str(tmp_path)}
    done = run_cli("opensearch", "up", "--nodes", "2", env=env)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    settings = node.load_settings({**os.environ, **env})
    state = node.read_state(settings)
    try:
        assert state is not None and url != opensearch_url
        assert len({n.http_port for n in state.nodes}) == 2
        nodes = node.http_json(url, "/_cat/nodes?format=json")
        assert sorted(n["name"] for n in nodes) == ["node-0", "node-1"]
    finally:
        stopped = run_cli("opensearch", "down", env=env)
    assert stopped.returncode == 0
    assert not any(node.process_alive(n) for n in state.nodes)
    assert run_cli("opensearch", "status", env=env).returncode == 1
