"""Lifecycle of the local OpenSearch node (or small loopback cluster): up, down, status.

One cluster per state folder (``<checkout>/.efklab/node`` by default).  ``up`` prepares the
cached distribution, writes each node's config, starts the processes in the background, waits
until the cluster is healthy and records pids, ports and plugins in ``node.json``.  Everything
that is decided rather than done (settings, ports, file contents) lives in ``efklab.nodeconfig``.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import efklab
from efklab.adapters.distribution import ensure_distribution
from efklab.adapters.java import find_java_home
from efklab.adapters.lockfile import locked
from efklab.errors import NodeError, UsageError
from efklab.nodeconfig import (
    HTTP_BASE_PORT,
    INDEX_MANAGEMENT,
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
    summarize_startup_log,
    validate_jitter,
)

STATE_FILE = "node.json"
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    """The default ``say``: library callers get no chatter."""


@dataclass(frozen=True, slots=True)
class NodeProcess:
    """One running node: its pid, ports and folder."""

    name: str
    pid: int
    http_port: int
    transport_port: int
    home: str

    @property
    def console_log(self) -> Path:
        return Path(self.home) / "console.log"


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
    running: bool
    health: dict[str, Any] | None


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


def process_alive(node: NodeProcess) -> bool:
    """True when the pid is alive and really is this node (guards against reused pids)."""
    try:
        os.waitpid(node.pid, os.WNOHANG)  # reap it if it is our own exited child
    except ChildProcessError:
        pass
    try:
        os.kill(node.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    environ = Path(f"/proc/{node.pid}/environ")  # the launcher and the JVM it execs share it
    if environ.exists():
        try:
            return f"OPENSEARCH_PATH_CONF={Path(node.home) / 'config'}\0".encode() in environ.read_bytes() + b"\0"
        except OSError:
            return False
    return True


def http_json(url: str, path: str, *, method: str = "GET", body: Any = None, timeout: float = 5.0) -> Any:
    """A small JSON request to the local node (plain HTTP, loopback); None when unreachable."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return {"error": {"status": exc.code, "reason": exc.reason}}
    except (urllib.error.URLError, OSError, ValueError):
        return None


def status(settings: NodeSettings | None = None) -> NodeStatus:
    """The recorded cluster and whether it is up (every process alive and answering)."""
    settings = settings or load_settings()
    state = read_state(settings)
    if state is None:
        return NodeStatus(None, False, None)
    alive = all(process_alive(n) for n in state.nodes)
    health = http_json(state.url, "/_cluster/health", timeout=3.0) if alive else None
    running = alive and isinstance(health, dict) and "status" in health
    return NodeStatus(state, running, health if running else None)


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
        current = status(settings)
        if current.running and current.state is not None:
            if refresh:
                raise UsageError("--refresh-cache needs the node down first: run `efklab opensearch down`")
            return _reuse(settings, current.state, nodes=nodes, port=port, fast_ism=fast_ism, ism_jitter=ism_jitter, say=say), False
        if current.state is not None:  # recorded but dead or not answering: clean up what is left
            say("the recorded node is not answering; restarting it")
            _stop(current.state, grace=10.0, sleep=sleep, monotonic=monotonic)
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
        raise NodeError(f"the node is already up at {state.url}, not on port {port}; run `efklab opensearch down` first")
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


def port_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound (SO_REUSEADDR, as the JVM's server sockets do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(avoid: set[int]) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            candidate = int(sock.getsockname()[1])
        if candidate not in avoid:
            return candidate


def choose_ports(count: int, base: int, previous: list[int], explicit: int | None = None) -> list[int]:
    """``count`` free ports: the explicit one, else last time's, else ``base+i``, else any free port."""
    chosen: list[int] = []
    for i in range(count):
        if i == 0 and explicit is not None:
            if not port_free(explicit):
                raise NodeError(f"port {explicit} on 127.0.0.1 is taken by another process; choose another --port")
            chosen.append(explicit)
            continue
        for wanted in ([previous[i]] if i < len(previous) else []) + [base + i]:
            if wanted not in chosen and port_free(wanted):
                chosen.append(wanted)
                break
        else:
            chosen.append(_free_port(set(chosen)))
    return chosen


def _start(settings: NodeSettings, *, nodes: int, port: int | None, fast_ism: bool, ism_jitter: float | None,
           refresh: bool, say: Say, sleep: Callable[[float], None], monotonic: Callable[[], float]) -> ClusterState:
    java_home, java_version = find_java_home(os.environ, settings.java_home)
    dist = ensure_distribution(settings, java_home, say=say, refresh=refresh)
    ism = INDEX_MANAGEMENT in dist.plugins
    for name, reason in dist.missing.items():
        say(f"warning: {name} is not installed ({reason}); the node runs without it")
    if fast_ism and not ism:
        say("warning: --fast-ism has no effect without opensearch-index-management")
    ports_file = settings.state_dir / f"n{nodes}" / "ports.json"
    previous = json.loads(ports_file.read_text()) if ports_file.is_file() else {"http": [], "transport": []}
    http_ports = choose_ports(nodes, HTTP_BASE_PORT, previous["http"], port)
    transport_ports = choose_ports(nodes, TRANSPORT_BASE_PORT, previous["transport"])
    plans = plan_nodes(settings.state_dir, nodes, http_ports, transport_ports)
    ports_file.parent.mkdir(parents=True, exist_ok=True)
    ports_file.write_text(json.dumps({"http": http_ports, "transport": transport_ports}))
    cluster = cluster_name(settings.state_dir)
    heap = settings.heap or default_heap(nodes)
    for plan in plans:
        _write_node_files(plan, plans, dist.home, cluster=cluster, heap=heap, ism=ism, fast_ism=fast_ism, ism_jitter=ism_jitter)
    say(f"starting OpenSearch {settings.version} ({nodes} node{'s' * (nodes > 1)}, Java {java_version}) in {settings.state_dir}")
    processes = tuple(_launch(plan, dist.home, java_home) for plan in plans)
    state = ClusterState(
        url=node_url(plans[0]), version=settings.version, cluster=cluster, nodes=processes,
        plugins=dict(dist.plugins), missing_plugins=dict(dist.missing), fast_ism=fast_ism and ism,
        ism_jitter=(0.0 if ism_jitter is None else ism_jitter) if fast_ism and ism else None,
        java_home=str(java_home), java_version=java_version,
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    _write_state(settings, state)  # before waiting, so `down` can stop a node that is still starting
    try:
        _wait_healthy(state, settings.start_timeout, sleep=sleep, monotonic=monotonic)
    except BaseException:
        _stop(state, grace=10.0, sleep=sleep, monotonic=monotonic)
        (settings.state_dir / STATE_FILE).unlink(missing_ok=True)
        raise
    return state


def _write_node_files(plan: NodePlan, plans: tuple[NodePlan, ...], dist_home: Path, *, cluster: str, heap: str,
                      ism: bool, fast_ism: bool, ism_jitter: float | None) -> None:
    """Fresh config from the distribution each start (the keystore is kept), plus our settings."""
    config = plan.config_dir
    for sub in ("data", "logs", "tmp", "config/jvm.options.d"):
        (plan.home / sub).mkdir(parents=True, exist_ok=True)
    for name in ("jvm.options", "log4j2.properties"):
        shutil.copyfile(dist_home / "config" / name, config / name)
    (config / "opensearch.yml").write_text(render_node_yml(
        plan, plans, cluster=cluster, ism_installed=ism, fast_ism=fast_ism, ism_jitter=ism_jitter))
    (config / "jvm.options.d" / "efklab-heap.options").write_text(render_heap_options(heap))


def unprivileged_prefix() -> list[str]:
    """How to start the node when we are root, since OpenSearch refuses to run as root.

    ``unshare --user`` gives the node an unprivileged identity in a new user namespace while
    its files stay ours: nothing to chown, no system user to create.
    """
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is not None:
        probe = subprocess.run([unshare, "--user", "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [unshare, "--user", "--"]
    raise NodeError("OpenSearch refuses to run as root and user namespaces (unshare --user) are not available "
                    "here; run efklab as a normal user")


def _launch(plan: NodePlan, dist_home: Path, java_home: Path) -> NodeProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_TOOL_OPTIONS", "OPENSEARCH_JAVA_OPTS", "JAVA_HOME")}
    env.update(OPENSEARCH_JAVA_HOME=str(java_home), OPENSEARCH_PATH_CONF=str(plan.config_dir),
               OPENSEARCH_TMPDIR=str(plan.home / "tmp"))
    with open(plan.console_log, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own distribution's launcher
            [*unprivileged_prefix(), str(dist_home / "bin" / "opensearch")], cwd=plan.home, env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return NodeProcess(plan.name, process.pid, plan.http_port, plan.transport_port, str(plan.home))


def _wait_healthy(state: ClusterState, timeout: float, *, sleep: Callable[[float], None],
                  monotonic: Callable[[], float]) -> None:
    deadline = monotonic() + timeout
    wanted = f"/_cluster/health?wait_for_status=yellow&wait_for_nodes={len(state.nodes)}&timeout=2s"
    while True:
        for node in state.nodes:
            if not process_alive(node):
                raise NodeError(f"{node.name} exited during startup: {describe_startup_failure(node.console_log)}",
                                source=str(node.console_log))
        health = http_json(state.url, wanted, timeout=5.0)
        if isinstance(health, dict) and health.get("status") in ("yellow", "green") and not health.get("timed_out"):
            return
        if monotonic() > deadline:
            raise NodeError(f"the node did not become healthy within {timeout:.0f}s (last answer: {health}); see its log",
                            source=str(state.nodes[0].console_log))
        sleep(0.5)


def _stop(state: ClusterState, *, grace: float, sleep: Callable[[float], None], monotonic: Callable[[], float]) -> None:
    """SIGTERM every node, wait up to ``grace`` seconds, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        living = [n for n in state.nodes if process_alive(n)]
        if not living:
            return
        for node in living:
            try:
                os.kill(node.pid, sig)
            except ProcessLookupError:
                pass
        deadline = monotonic() + wait
        while any(process_alive(n) for n in living) and monotonic() < deadline:
            sleep(0.2)
    if any(process_alive(n) for n in state.nodes):
        raise NodeError(f"could not stop the node (pids {[n.pid for n in state.nodes]})")


def down(settings: NodeSettings | None = None, *, wipe: bool = False, grace: float = 60.0,
         sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic) -> ClusterState | None:
    """Stop the recorded cluster cleanly; ``wipe`` also deletes its data.  Returns what was stopped."""
    settings = settings or load_settings()
    with _state_lock(settings):
        state = read_state(settings)
        if state is not None:
            _stop(state, grace=grace, sleep=sleep, monotonic=monotonic)
            (settings.state_dir / STATE_FILE).unlink(missing_ok=True)
        if wipe:
            for topology in settings.state_dir.glob("n[0-9]*"):
                shutil.rmtree(topology, ignore_errors=True)
        return state


@contextmanager
def leased_node(settings: NodeSettings | None = None, *, fast_ism: bool = False, say: Say = _quiet) -> Iterator[ClusterState]:
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
            holders = [p for p in leases.iterdir() if p.name.isdigit() and _pid_exists(int(p.name))]
            if not holders and marker.exists():
                down(settings)
                marker.unlink(missing_ok=True)


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def describe_startup_failure(console_log: Path) -> str:
    """Why a node died while starting, from the tail of its console log."""
    try:
        with open(console_log, "rb") as handle:
            handle.seek(max(0, console_log.stat().st_size - 200_000))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return "no console log"
    return summarize_startup_log(tail)
