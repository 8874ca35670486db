"""Lifecycle of the local OpenSearch node (or small loopback cluster): up, down, status.

One cluster per state folder (``<checkout>/.efklab/node`` by default).  ``up`` prepares the
cached distribution, writes each node's config, starts the processes in the background, waits
until the cluster is healthy and records pids, ports, plugins and the cluster's identity (name,
UUID, node ids) in ``node.json``.  Every later use checks that what answers on the recorded port
is that cluster, never just a healthy status: another OpenSearch may hold the port.  Ports are
chosen and bound under a machine-wide lock.  Everything that is decided rather than done
(settings, ports, file contents, identity, archived settings) lives in ``efklab.opensearch``.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import efklab
from efklab.adapters.localnode.distribution import ensure_distribution
from efklab.adapters.localnode.java import find_java_home
from efklab.adapters.localnode.lockfile import locked
from efklab.adapters.localnode.process import (
    PORTS_LOCK,
    NodeProcess,
    choose_ports,
    http_json,
    launch,
    pid_exists,
    process_alive,
    stop_processes,
    wait_healthy,
)
from efklab.errors import NodeError, UsageError
from efklab.opensearch.archivedsettings import known_settings, plan_archived_settings
from efklab.opensearch.engines import DEFAULT, EngineVersion
from efklab.opensearch.nodeconfig import (
    HTTP_BASE_PORT,
    INDEX_MANAGEMENT,
    SINGLE_NODE_CLUSTER_SETTINGS,
    SINGLE_NODE_TEMPLATE,
    TRANSPORT_BASE_PORT,
    NodePlan,
    NodeSettings,
    cluster_name,
    default_heap,
    node_url,
    plan_nodes,
    render_heap_options,
    render_node_yml,
    settings_from_env,
    single_node_template,
    validate_jitter,
)
from efklab.opensearch.nodeidentity import conclusive, identity_problem, node_ids

__all__ = ["ClusterState", "NodeProcess", "NodeStatus", "down", "ensure_local_node", "http_json", "installed_plugins",
           "ism_available", "ism_missing_reason", "leased_node", "load_settings", "process_alive", "read_state",
           "status", "up", "verify_identity", "write_node_files"]
STATE_FILE = "node.json"
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    """The default ``say``: library callers get no chatter."""


@dataclass(frozen=True, slots=True)
class ClusterState:
    """What ``up`` recorded in ``node.json``; ``status`` and ``down`` read it back."""

    url: str
    version: str
    cluster: str
    nodes: tuple[NodeProcess, ...]
    plugins: dict[str, str] = field(default_factory=dict)
    missing_plugins: dict[str, str] = field(default_factory=dict)
    fast_ism: bool = False
    ism_jitter: float | None = None
    java_home: str = ""
    java_version: int = 0
    started_at: str = ""
    cluster_uuid: str = ""  # recorded once the cluster answers; "" in a state file of an older efklab
    node_ids: dict[str, str] = field(default_factory=dict)  # node name -> node id
    engine: str = "opensearch"  # opensearch | elasticsearch ("opensearch" in a state file of an older efklab)

    @property
    def engine_version(self) -> EngineVersion:
        return EngineVersion(self.engine, self.version)

    @property
    def ism_installed(self) -> bool:
        return INDEX_MANAGEMENT in self.plugins

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClusterState:
        nodes = tuple(NodeProcess(**n) for n in data["nodes"])
        return cls(**{**data, "nodes": nodes})


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """``status``: the recorded state (if any), whether every process is alive, and health."""

    state: ClusterState | None
    running: bool  # every process alive and the cluster answering
    health: dict[str, Any] | None
    alive: bool = False  # every process alive (it may be busy or still starting)
    foreign: str | None = None  # what answers on the recorded URL when it is not this cluster


def load_settings(env: Mapping[str, str] | None = None) -> NodeSettings:
    """Node settings from the environment (EFKLAB_OPENSEARCH_VERSION, EFKLAB_STATE_DIR, ...)."""
    return settings_from_env(os.environ if env is None else env, package_dir=Path(efklab.__file__).resolve().parent)


def read_state(settings: NodeSettings) -> ClusterState | None:
    """The recorded cluster of this state folder, or None."""
    try:
        return ClusterState.from_json(json.loads((settings.state_dir / STATE_FILE).read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NodeError(f"unreadable node state ({exc}); remove it or run `efklab opensearch down`",
                        source=str(settings.state_dir / STATE_FILE)) from exc


def _write_state(settings: NodeSettings, state: ClusterState) -> None:
    path = settings.state_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=2) + "\n")
    os.replace(tmp, path)


def _state_lock(settings: NodeSettings) -> AbstractContextManager[None]:
    """Serialises up/down of one state folder (concurrent `up`s, xdist workers)."""
    return locked(settings.state_dir / "lock")


def status(settings: NodeSettings | None = None) -> NodeStatus:
    """The recorded cluster and whether it is up (every process alive and answering)."""
    settings = settings or load_settings()
    state = read_state(settings)
    if state is None:
        return NodeStatus(None, False, None)
    alive = all(process_alive(n) for n in state.nodes)
    answer = http_json(state.url, "/", timeout=5.0)
    foreign = _problem(state, answer) if conclusive(answer) else None
    health = http_json(state.url, "/_cluster/health", timeout=10.0) if alive and foreign is None else None
    running = alive and foreign is None and isinstance(health, dict) and "status" in health
    return NodeStatus(state, running, health if running else None, alive, foreign)


def _problem(state: ClusterState, answer: Any) -> str | None:
    return identity_problem(state.url, answer, cluster=state.cluster, cluster_uuid=state.cluster_uuid,
                            node_names=tuple(n.name for n in state.nodes))


def verify_identity(state: ClusterState) -> None:
    """Raise unless what answers at ``state.url`` is the recorded cluster (name, UUID, node)."""
    problem = _problem(state, http_json(state.url, "/", timeout=10.0))
    if problem is not None:
        raise NodeError(problem)


def _record_identity(settings: NodeSettings, state: ClusterState) -> ClusterState:
    """Check who answers and record its UUID and node ids (a state file of an older efklab has none)."""
    answer = http_json(state.url, "/", timeout=10.0)
    problem = _problem(state, answer)
    if problem is not None:
        raise NodeError(problem)
    uuid = str(answer.get("cluster_uuid") or "")
    if state.cluster_uuid == uuid and len(state.node_ids) == len(state.nodes):
        return state
    ids = node_ids(http_json(state.url, "/_nodes?filter_path=nodes.*.name", timeout=10.0))
    state = replace(state, cluster_uuid=uuid, node_ids=ids)
    _write_state(settings, state)
    return state


def up(
    settings: NodeSettings | None = None,
    *,
    nodes: int = 1,
    port: int | None = None,
    fast_ism: bool = False,
    ism_jitter: float | None = None,
    refresh: bool = False,
    say: Say = _quiet,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[ClusterState, bool]:
    """Make sure the cluster is up; returns its state and whether this call started it."""
    settings = settings or load_settings()
    validate_jitter(ism_jitter)
    with _state_lock(settings):
        recorded = read_state(settings)
        if recorded is not None and all(process_alive(n) for n in recorded.nodes):
            if refresh:
                raise UsageError("--refresh-cache needs the node down first: run `efklab opensearch down`")
            # alive but perhaps busy (or still starting): wait for it, never restart a node that runs;
            # but another cluster answering on its port is refused at once
            answer = http_json(recorded.url, "/", timeout=10.0)
            if conclusive(answer) and (problem := _problem(recorded, answer)) is not None:
                raise NodeError(problem)
            wait_healthy(recorded.url, recorded.nodes, settings.start_timeout, cluster=recorded.cluster,
                         sleep=sleep, monotonic=monotonic)
            recorded = _record_identity(settings, recorded)
            _settle_archived_settings(recorded, say)
            _apply_cluster_defaults(recorded)
            return _reuse(settings, recorded, nodes=nodes, port=port, fast_ism=fast_ism, ism_jitter=ism_jitter,
                          say=say), False
        if recorded is not None:  # a node died (killed, machine restarted): stop what is left, start again
            answer = http_json(recorded.url, "/", timeout=5.0)
            taken = f"; {problem} (left alone)" if conclusive(answer) and (
                problem := _problem(recorded, answer)) is not None else ""
            say(f"the recorded node is not running; starting it again{taken}")
            stop_processes(recorded.nodes, grace=10.0, sleep=sleep, monotonic=monotonic)
            (settings.state_dir / STATE_FILE).unlink(missing_ok=True)
        state = _start(settings, nodes=nodes, port=port, fast_ism=fast_ism, ism_jitter=ism_jitter,
                       refresh=refresh, say=say, sleep=sleep, monotonic=monotonic)
        return state, True


def _reuse(settings: NodeSettings, state: ClusterState, *, nodes: int, port: int | None, fast_ism: bool,
           ism_jitter: float | None, say: Say) -> ClusterState:
    if len(state.nodes) != nodes:
        raise NodeError(f"a {len(state.nodes)}-node cluster is already up at {state.url}; "
                        "run `efklab opensearch down` before starting another shape")
    if port is not None and state.nodes[0].http_port != port:
        raise NodeError(f"the node is already up at {state.url}, not on port {port}; "
                        "run `efklab opensearch down` first")
    if fast_ism and not state.ism_installed:
        say("warning: --fast-ism has no effect without opensearch-index-management")
    if fast_ism and state.ism_installed and not state.fast_ism:
        jitter = 0.0 if ism_jitter is None else ism_jitter
        answer = http_json(state.url, "/_cluster/settings", method="PUT", body={"transient": {
            "plugins.index_state_management.job_interval": 1, "plugins.index_state_management.jitter": jitter}})
        if not (isinstance(answer, dict) and answer.get("acknowledged")):
            raise NodeError(f"could not set the ISM job interval on {state.url}: {answer}")
        state = replace(state, fast_ism=True, ism_jitter=jitter)
        _write_state(settings, state)
        say("ISM job interval set to 1 minute on the running node")
    return state


def _start(settings: NodeSettings, *, nodes: int, port: int | None, fast_ism: bool, ism_jitter: float | None,
           refresh: bool, say: Say, sleep: Callable[[float], None], monotonic: Callable[[], float]) -> ClusterState:
    engine = settings.engine_version
    java_home, java_version = find_java_home(os.environ, settings.java_home, engine)
    dist = ensure_distribution(settings, java_home, say=say, refresh=refresh)
    ism = INDEX_MANAGEMENT in dist.plugins
    for name, reason in dist.missing.items():
        say(f"warning: {name} is not installed ({reason}); the node runs without it")
    if fast_ism and not ism:
        say("warning: --fast-ism has no effect without opensearch-index-management")
    cluster = cluster_name(settings.state_dir)
    heap = settings.heap or default_heap(nodes)
    ports_file = settings.state_dir / f"n{nodes}" / "ports.json"
    previous = json.loads(ports_file.read_text()) if ports_file.is_file() else {"http": [], "transport": []}
    # Machine-wide: no other efklab chooses ports until ours are bound (the cluster answers) or the start failed.
    with locked(PORTS_LOCK):
        http_ports = choose_ports(nodes, HTTP_BASE_PORT, previous["http"], port)
        transport_ports = choose_ports(nodes, TRANSPORT_BASE_PORT, previous["transport"], avoid=frozenset(http_ports))
        plans = plan_nodes(settings.state_dir, nodes, http_ports, transport_ports)
        ports_file.parent.mkdir(parents=True, exist_ok=True)
        ports_file.write_text(json.dumps({"http": http_ports, "transport": transport_ports}))
        for plan in plans:
            write_node_files(plan, plans, dist.home, cluster=cluster, heap=heap, ism=ism, fast_ism=fast_ism,
                              ism_jitter=ism_jitter, engine_version=engine)
        ports = ", ".join(f"{p.http_port}/{p.transport_port}" for p in plans)
        say(f"starting {engine.label} ({nodes} node{'s' * (nodes > 1)}, Java {java_version}) "
            f"in {settings.state_dir} on ports {ports} (HTTP/transport)")
        processes = tuple(launch(plan, dist.home, java_home, engine.program) for plan in plans)
        state = ClusterState(
            url=node_url(plans[0]), version=settings.version, cluster=cluster, nodes=processes,
            plugins=dict(dist.plugins), missing_plugins=dict(dist.missing), fast_ism=fast_ism and ism,
            ism_jitter=(0.0 if ism_jitter is None else ism_jitter) if fast_ism and ism else None,
            java_home=str(java_home), java_version=java_version,
            started_at=datetime.now(UTC).isoformat(timespec="seconds"), engine=engine.engine,
        )
        _write_state(settings, state)  # before waiting, so `down` can stop a node that is still starting
        try:
            wait_healthy(state.url, state.nodes, settings.start_timeout, cluster=cluster, sleep=sleep,
                         monotonic=monotonic)
            state = _record_identity(settings, state)
        except BaseException:
            stop_processes(state.nodes, grace=10.0, sleep=sleep, monotonic=monotonic)
            (settings.state_dir / STATE_FILE).unlink(missing_ok=True)
            raise
    _settle_archived_settings(state, say)
    _apply_cluster_defaults(state)
    return state


def _settle_archived_settings(state: ClusterState, say: Say) -> None:
    """Migrate or clear ``archived.*`` settings of our plugins (left by a start without them), and say so."""
    if not state.plugins:
        return
    current = _cluster_settings(state.url)
    if not any(k.startswith("archived.") for scope in current.values() if isinstance(scope, dict) for k in scope):
        return  # the usual case: one small request
    current = _cluster_settings(state.url, "&include_defaults=true")  # the defaults say which keys are known
    efklab_sets = {"plugins.index_state_management.job_interval", "plugins.index_state_management.jitter",
                   "opendistro.index_state_management.job_interval"} if state.fast_ism else set()
    plan = plan_archived_settings(current, known=known_settings(current), set_by_efklab=efklab_sets)
    if not plan.decisions:
        return
    answer = http_json(state.url, "/_cluster/settings", method="PUT", body=plan.body, timeout=30.0)
    if not (isinstance(answer, dict) and answer.get("acknowledged")):
        raise NodeError(f"could not clear the archived settings on {state.url} ({plan.summary()}): {answer}")
    say(plan.summary())


def _cluster_settings(url: str, extra: str = "") -> dict[str, Any]:
    current = http_json(url, "/_cluster/settings?flat_settings=true" + extra, timeout=30.0)
    if not isinstance(current, dict) or "persistent" not in current:
        raise NodeError(f"cannot read the cluster settings of {url}: {current}")
    return current


def _apply_cluster_defaults(state: ClusterState) -> None:
    """A single node gets new indices without replicas (idempotent; a node started by an older efklab too)."""
    if len(state.nodes) != 1:
        return
    if not state.engine_version.has_replica_default:  # 7.x/1.x: a legacy template of the lowest order instead
        answer = http_json(state.url, f"/_template/{SINGLE_NODE_TEMPLATE}", method="PUT",
                           body=single_node_template(), timeout=30.0)
    else:
        answer = http_json(state.url, "/_cluster/settings", method="PUT", body=SINGLE_NODE_CLUSTER_SETTINGS,
                           timeout=30.0)
    if not (isinstance(answer, dict) and answer.get("acknowledged")):
        raise NodeError(f"could not set the single-node replica default on {state.url}: {answer}")


def write_node_files(plan: NodePlan, plans: tuple[NodePlan, ...], dist_home: Path, *, cluster: str, heap: str,
                      ism: bool, fast_ism: bool, ism_jitter: float | None,
                      engine_version: EngineVersion = DEFAULT) -> None:
    """Fresh config from the distribution each start (the keystore is kept), plus our settings."""
    config = plan.config_dir
    for sub in ("data", "logs", "tmp", "config/jvm.options.d"):
        (plan.home / sub).mkdir(parents=True, exist_ok=True)
    for name in ("jvm.options", "log4j2.properties"):
        shutil.copyfile(dist_home / "config" / name, config / name)
    (config / engine_version.config_file).write_text(render_node_yml(
        plan, plans, cluster=cluster, ism_installed=ism, fast_ism=fast_ism, ism_jitter=ism_jitter,
        manager_nodes_setting=engine_version.manager_nodes_setting))
    (config / "jvm.options.d" / "efklab-heap.options").write_text(render_heap_options(heap))


def down(settings: NodeSettings | None = None, *, wipe: bool = False, grace: float = 60.0,
         sleep: Callable[[float], None] = time.sleep,
         monotonic: Callable[[], float] = time.monotonic) -> ClusterState | None:
    """Stop the recorded cluster cleanly; ``wipe`` also deletes its data.  Returns what was stopped."""
    settings = settings or load_settings()
    with _state_lock(settings):
        state = read_state(settings)
        if state is not None:
            stop_processes(state.nodes, grace=grace, sleep=sleep, monotonic=monotonic)
            (settings.state_dir / STATE_FILE).unlink(missing_ok=True)
        if wipe:
            for topology in settings.state_dir.glob("n[0-9]*"):
                shutil.rmtree(topology, ignore_errors=True)
        return state


@contextmanager
def leased_node(settings: NodeSettings | None = None, *, fast_ism: bool = False,
                say: Say = _quiet) -> Iterator[ClusterState]:
    """Use the node for a while (a test session, a demo): start it if needed, and at the end stop it
    only if a lease started it and no other live process still holds one (pytest-xdist workers)."""
    settings = settings or load_settings()
    leases = settings.state_dir / "leases"
    marker = leases / "started-by-lease"
    mine = leases / str(os.getpid())
    with locked(settings.state_dir / "lease.lock"):
        leases.mkdir(parents=True, exist_ok=True)
        mine.touch()
        try:
            state, started = up(settings, fast_ism=fast_ism, say=say)
        except BaseException:
            mine.unlink(missing_ok=True)
            raise
        if started:
            marker.write_text(str(os.getpid()))
    try:
        yield state
    finally:
        with locked(settings.state_dir / "lease.lock"):
            mine.unlink(missing_ok=True)
            holders = [p for p in leases.iterdir() if p.name.isdigit() and pid_exists(int(p.name))]
            if not holders and marker.exists():
                down(settings)
                marker.unlink(missing_ok=True)


def ensure_local_node(say: Say = _quiet) -> str:
    """The URL of this checkout's node, starting it when needed (the default for every command)."""
    state, started = up(say=say)
    if started:
        say(f"started the local node at {state.url}")
    return state.url


def installed_plugins(url: str) -> set[str]:
    """Plugin components every node of ``url`` reports in ``_cat/plugins``."""
    rows = http_json(url, "/_cat/plugins?format=json")
    if not isinstance(rows, list):
        raise NodeError(f"cannot list plugins at {url}: {rows}")
    return {str(row.get("component")) for row in rows}


def ism_available(url: str) -> bool:
    """Whether Index State Management is installed on the node at ``url``."""
    return INDEX_MANAGEMENT in installed_plugins(url)


def ism_missing_reason(url: str, settings: NodeSettings | None = None) -> str | None:
    """None when ISM is there; else a precise reason (for skipped tests and warnings)."""
    if ism_available(url):
        return None
    state = read_state(settings or load_settings())
    why = state.missing_plugins.get(INDEX_MANAGEMENT) if state is not None and state.url == url else None
    return f"{INDEX_MANAGEMENT} is not installed on {url}" + (f": {why}" if why else "")
