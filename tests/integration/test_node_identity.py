"""Beside another OpenSearch on the machine, efklab starts, finds and uses only its own node.

A FOREIGN cluster (a plain node from the cached distribution, started directly with its own
config and cluster name "foreign") listens on 9200/9300 when they are free, else on free ports.
efklab must then start its own node on other ports, refuse the foreign cluster wherever a state
file points at it, and report a node that cannot bind as dead, never as up.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from efklab.adapters.localnode import lifecycle as node
from efklab.adapters.localnode.distribution import MARKER, read_distribution
from efklab.adapters.localnode.java import find_java_home
from efklab.adapters.localnode.lockfile import locked
from efklab.adapters.localnode.process import (
    PORTS_LOCK,
    launch,
    port_free,
    stop_processes,
    unprivileged_prefix,
    wait_healthy,
)
from efklab.errors import NodeError
from efklab.opensearch.nodeconfig import INDEX_MANAGEMENT, JOB_SCHEDULER, NodeSettings, cluster_name, plan_nodes

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EFKLAB = [sys.executable, "-m", "efklab"]
ROOT = Path(__file__).resolve().parents[2]
HEAP = "384m"  # small nodes: the machine also runs the session's node


@dataclass(frozen=True)
class Foreign:
    url: str
    http_port: int
    transport_port: int


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EFKLAB, *args], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "EFKLAB_OPENSEARCH_HEAP": HEAP, **env})


def get(url: str, path: str = "/") -> Any:
    return node.http_json(url, path, timeout=10.0)


def any_free_port(avoid: set[int]) -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


@pytest.fixture(scope="module")
def foreign(opensearch_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Foreign]:
    """Another OpenSearch, not started by efklab: cluster "foreign", on 9200/9300 if free, else on free ports."""
    settings = node.load_settings()
    dist = read_distribution(settings.distribution_dir)  # prepared by the session's node
    assert dist is not None
    java_home, _ = find_java_home(os.environ, settings.java_home)
    home = tmp_path_factory.mktemp("foreign")
    (home / "config" / "jvm.options.d").mkdir(parents=True)
    for name in ("jvm.options", "log4j2.properties"):
        shutil.copyfile(dist.home / "config" / name, home / "config" / name)
    (home / "config" / "jvm.options.d" / "heap.options").write_text("-Xms256m\n-Xmx256m\n")
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_TOOL_OPTIONS", "OPENSEARCH_JAVA_OPTS", "JAVA_HOME")}
    env.update(OPENSEARCH_JAVA_HOME=str(java_home), OPENSEARCH_PATH_CONF=str(home / "config"),
               OPENSEARCH_TMPDIR=str(home))
    with locked(PORTS_LOCK):  # no efklab start on this machine races for the same ports meanwhile
        http, transport = (9200, 9300) if port_free(9200) and port_free(9300) else (0, 0)
        http = http or any_free_port(set())
        transport = transport or any_free_port({http})
        (home / "config" / "opensearch.yml").write_text("\n".join([
            "cluster.name: foreign", "node.name: foreign-0", "network.host: 127.0.0.1", f"http.port: {http}",
            f"transport.port: {transport}", f"path.data: {home / 'data'}", f"path.logs: {home / 'logs'}",
            "discovery.type: single-node", "cluster.routing.allocation.disk.threshold_enabled: false", ""]))
        with open(home / "console.log", "ab") as log:
            process = subprocess.Popen([*unprivileged_prefix(), str(dist.home / "bin" / "opensearch")], cwd=home,
                                       env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        url = f"http://127.0.0.1:{http}"
        try:
            deadline = time.monotonic() + 240
            while (get(url) or {}).get("cluster_name") != "foreign":
                assert process.poll() is None, (home / "console.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the foreign node did not answer"
                time.sleep(0.5)
        except BaseException:
            process.kill()
            raise
    try:
        yield Foreign(url, http, transport)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Own:
    env: dict[str, str]  # EFKLAB_STATE_DIR of its own
    first_up: subprocess.CompletedProcess[str]  # `efklab opensearch up` started with the foreign node running


@pytest.fixture(scope="module")
def own(foreign: Foreign, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Own]:
    """An efklab node in a state folder of its own, started while the foreign cluster runs."""
    env = {"EFKLAB_STATE_DIR": str(tmp_path_factory.mktemp("own-node"))}
    try:
        yield Own(env, run_cli("opensearch", "up", env=env))
    finally:
        run_cli("opensearch", "down", "--wipe", "--grace", "20", env=env)


def running(own: Own) -> node.ClusterState:
    """The own node's recorded state, started again when an earlier test stopped it."""
    done = run_cli("opensearch", "up", env=own.env)
    assert done.returncode == 0, done.stderr
    return recorded(own.env)


def settings_of(env: dict[str, str]) -> NodeSettings:
    return node.load_settings({**os.environ, **env})


def recorded(env: dict[str, str]) -> node.ClusterState:
    state = node.read_state(settings_of(env))
    assert state is not None
    return state


def point_state_at(env: dict[str, str], state: node.ClusterState, target: Foreign) -> None:
    """Rewrite the state file as if the foreign cluster held our recorded ports."""
    nodes = tuple(replace(n, http_port=target.http_port, transport_port=target.transport_port) for n in state.nodes)
    moved = replace(state, url=target.url, nodes=nodes)
    (settings_of(env).state_dir / "node.json").write_text(json.dumps(moved.to_json(), indent=2))


def foreign_indices(target: Foreign) -> set[str]:
    return {row["index"] for row in get(target.url, "/_cat/indices?format=json") or []}


def test_up_beside_a_foreign_cluster_starts_its_own_node_on_other_ports(foreign: Foreign, own: Own) -> None:
    """`efklab opensearch up` prints its own node's URL; the ports differ and the cluster is the recorded one."""
    done = own.first_up
    assert done.returncode == 0, done.stderr
    state = running(own)
    assert done.stdout.strip() == state.url != foreign.url
    assert {state.nodes[0].http_port, state.nodes[0].transport_port}.isdisjoint(
        {foreign.http_port, foreign.transport_port})
    answer = get(state.url)
    assert answer["cluster_name"] == state.cluster == cluster_name(settings_of(own.env).state_dir)
    assert answer["cluster_uuid"] == state.cluster_uuid and state.node_ids["node-0"]
    assert get(foreign.url)["cluster_name"] == "foreign"


def test_every_command_refuses_the_foreign_cluster_on_the_recorded_port(foreign: Foreign, own: Own) -> None:
    """Our processes run but the state file's URL answers as another cluster: status, up, replay, doctor
    all stop with the same line naming the URL, exit 2, and nothing is written to the foreign cluster."""
    state = running(own)
    before = foreign_indices(foreign)
    point_state_at(own.env, state, foreign)
    try:
        expected = (f"{foreign.url} answers as cluster 'foreign', not this checkout's node '{state.cluster}'")
        payloads = str(ROOT / "data" / "samples" / "payloads" / "2021-03-22.jsonl.gz")
        for command in (["opensearch", "status"], ["opensearch", "up"], ["replay", payloads],
                        ["doctor", "--local", "--payloads", payloads]):
            done = run_cli(*command, env=own.env)
            assert (done.returncode, done.stderr.strip().splitlines()[-1]) == (
                2, f"efklab {command[0]}: {expected}"), command
        assert foreign_indices(foreign) == before
    finally:
        (settings_of(own.env).state_dir / "node.json").write_text(json.dumps(state.to_json(), indent=2))
    assert run_cli("opensearch", "status", env=own.env).returncode == 0


def test_a_dead_node_whose_port_was_taken_is_started_again_elsewhere(foreign: Foreign, own: Own) -> None:
    """Our node was killed and another cluster now answers on its port: `status` says not running and names
    it; `up` leaves it alone and starts our node again on free ports, with our cluster's data and UUID."""
    state = running(own)
    os.kill(state.nodes[0].pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(state.nodes[0].pid, 0)
    point_state_at(own.env, state, foreign)

    status = run_cli("opensearch", "status", env=own.env)
    assert status.returncode == 1 and status.stdout.startswith("NOT RUNNING")
    assert f"not ours: {foreign.url} answers as cluster 'foreign'" in status.stdout
    doc = json.loads(run_cli("opensearch", "status", "--json", env=own.env).stdout)
    assert doc["running"] is False and doc["foreign"].startswith(f"{foreign.url} answers as cluster 'foreign'")

    up = run_cli("opensearch", "up", env=own.env)
    assert up.returncode == 0, up.stderr
    assert "the recorded node is not running; starting it again" in up.stderr and "(left alone)" in up.stderr
    again = recorded(own.env)
    assert up.stdout.strip() == again.url != foreign.url
    assert again.nodes[0].http_port != foreign.http_port and again.nodes[0].transport_port != foreign.transport_port
    assert (get(again.url)["cluster_name"], again.cluster_uuid) == (state.cluster, state.cluster_uuid)


def test_a_node_that_cannot_bind_is_dead_even_when_another_cluster_answers(foreign: Foreign,
                                                                             tmp_path: Path) -> None:
    """The port was taken between the check and the bind: the start fails with its log's reason and the
    foreign answer is named, instead of the foreign cluster's health passing for ours."""
    settings = node.load_settings({**os.environ, "EFKLAB_STATE_DIR": str(tmp_path)})
    dist = read_distribution(settings.distribution_dir)
    assert dist is not None
    java_home, _ = find_java_home(os.environ, settings.java_home)
    transport = next(p for p in range(9400, 9500) if port_free(p))
    plans = plan_nodes(tmp_path, 1, [foreign.http_port], [transport])
    cluster = cluster_name(tmp_path)
    node.write_node_files(plans[0], plans, dist.home, cluster=cluster, heap=HEAP, ism=False, fast_ism=False,
                          ism_jitter=None)
    started = launch(plans[0], dist.home, java_home)
    try:
        with pytest.raises(NodeError) as caught:
            wait_healthy(foreign.url, [started], 240, cluster=cluster, sleep=time.sleep, monotonic=time.monotonic)
    finally:
        stop_processes([started], grace=10, sleep=time.sleep, monotonic=time.monotonic)
    assert str(caught.value) == (
        f"{plans[0].console_log}: node-0 exited during startup: port {foreign.http_port} is taken by another "
        f"process ({foreign.url} answers as cluster 'foreign')")


def test_archived_plugin_settings_are_migrated_when_the_plugins_are_back(opensearch_url: str,
                                                                        tmp_path: Path) -> None:
    """Set plugin settings, restart the data without the plugins (they become archived.*), restart with them:
    `up` moves the values back in one PUT, says so, and plugin settings can be updated again."""
    shared = node.load_settings()
    dist = read_distribution(shared.distribution_dir)
    assert dist is not None
    if JOB_SCHEDULER not in dist.plugins:
        pytest.skip(f"{JOB_SCHEDULER} is not in the cache: {dist.missing.get(JOB_SCHEDULER)}")
    settings = {"plugins.jobscheduler.jitter_limit": "0.5"}
    if INDEX_MANAGEMENT in dist.plugins:
        settings["plugins.index_state_management.job_interval"] = "2"
    bare = tmp_path / "bare-cache" / dist.home.name  # the same distribution without any plugin
    shutil.copytree(dist.home, bare, symlinks=True, ignore=lambda d, _: ["plugins"] if Path(d) == dist.home else [])
    (bare / "plugins").mkdir()
    (bare / MARKER).write_text(json.dumps({"version": dist.version, "plugins": {},
                                           "missing": {JOB_SCHEDULER: "left out", INDEX_MANAGEMENT: "left out"}}))
    env = {"EFKLAB_STATE_DIR": str(tmp_path / "state")}
    without = {**env, "EFKLAB_CACHE_DIR": str(bare.parent)}
    try:
        url = run_cli("opensearch", "up", env=env).stdout.strip()
        assert get(url, "/_cluster/settings") is not None
        assert node.http_json(url, "/_cluster/settings", method="PUT", body={"persistent": settings})["acknowledged"]
        assert run_cli("opensearch", "down", env=env).returncode == 0

        url = run_cli("opensearch", "up", env=without).stdout.strip()
        archived = get(url, "/_cluster/settings?flat_settings=true")["persistent"]
        assert {k: archived.get(f"archived.{k}") for k in settings} == settings
        assert run_cli("opensearch", "down", env=without).returncode == 0

        done = run_cli("opensearch", "up", env=env)
        assert done.returncode == 0, done.stderr
        persistent = get(done.stdout.strip(), "/_cluster/settings?flat_settings=true")["persistent"]
        assert {k: persistent.get(k) for k in settings} == settings
        assert not [k for k in persistent if k.startswith("archived.")]
        said = [line for line in done.stderr.splitlines() if "archived plugin setting" in line]
        assert len(said) == 1 and all(f"{k}={v}" in said[0] for k, v in settings.items())
        update = node.http_json(done.stdout.strip(), "/_cluster/settings", method="PUT",
                                body={"persistent": {"plugins.jobscheduler.jitter_limit": 0.4}})
        assert update.get("acknowledged") is True, update
    finally:
        run_cli("opensearch", "down", "--wipe", "--grace", "20", env=env)
