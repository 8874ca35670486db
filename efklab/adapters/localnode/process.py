"""The processes of a local OpenSearch node: start, watch, stop, and the ports they listen on.

OpenSearch refuses to run as root; when we are root the node runs in a user namespace
(``unshare --user``), unprivileged, with its files still ours.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from efklab.errors import NodeError
from efklab.opensearch.nodeconfig import NodePlan, summarize_startup_log

# Ports are a machine-wide resource: every efklab on the machine (other checkouts, other state
# folders, pytest-xdist workers) chooses and binds them under this one lock.
PORTS_LOCK = Path(tempfile.gettempdir()) / "efklab-ports.lock"


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


def process_alive(node: NodeProcess) -> bool:
    """True when the pid is alive and really is this node (guards against reused pids)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(node.pid, os.WNOHANG)  # reap it if it is our own exited child
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


def startup_exited(node: NodeProcess) -> bool:
    """Whether a node we just launched has exited.

    While it starts, the node is our own child, so ``waitpid`` answers exactly; reading
    ``/proc/<pid>/environ`` (as ``process_alive`` does for nodes of earlier runs) can fail
    for a moment while the launcher enters its user namespace and execs the JVM.
    """
    try:
        pid, _status = os.waitpid(node.pid, os.WNOHANG)
    except ChildProcessError:  # not our child (another process launched it)
        return not process_alive(node)
    return pid != 0


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


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    """A port the kernel hands out as free, not among ``avoid``."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            candidate = int(sock.getsockname()[1])
        if candidate not in avoid:
            return candidate


def choose_ports(count: int, base: int, previous: list[int], explicit: int | None = None,
                 avoid: frozenset[int] = frozenset()) -> list[int]:
    """``count`` free ports: the explicit one, else last time's, else the first free from ``base+i`` on, else any.

    ``avoid``: ports already chosen for something else (the HTTP ports, when choosing transport
    ports).  Call it under :data:`PORTS_LOCK` and keep holding it until the nodes have bound them.
    """
    chosen: list[int] = []
    for i in range(count):
        if i == 0 and explicit is not None:
            if explicit in avoid or not port_free(explicit):
                raise NodeError(f"port {explicit} on 127.0.0.1 is taken by another process; choose another --port")
            chosen.append(explicit)
            continue
        for wanted in ([previous[i]] if i < len(previous) else []) + list(range(base + i, base + 20)):
            if wanted not in chosen and wanted not in avoid and port_free(wanted):
                chosen.append(wanted)
                break
        else:
            chosen.append(_free_port({*chosen, *avoid}))
    return chosen


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


def launch(plan: NodePlan, dist_home: Path, java_home: Path, program: str = "opensearch") -> NodeProcess:
    """Start one node in the background (its own session), console output to its console.log.

    ``program``: ``elasticsearch`` for Elasticsearch 7.10, which reads ``JAVA_HOME`` and ``ES_*``
    (``OPENSEARCH_PATH_CONF`` is set too: ``process_alive`` recognises a node by it)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("JAVA_TOOL_OPTIONS", "OPENSEARCH_JAVA_OPTS", "ES_JAVA_OPTS", "JAVA_HOME")}
    env.update(OPENSEARCH_JAVA_HOME=str(java_home), OPENSEARCH_PATH_CONF=str(plan.config_dir),
               OPENSEARCH_TMPDIR=str(plan.home / "tmp"))
    if program == "elasticsearch":
        env.update(JAVA_HOME=str(java_home), ES_PATH_CONF=str(plan.config_dir), ES_TMPDIR=str(plan.home / "tmp"))
    with open(plan.console_log, "ab") as log:
        process = subprocess.Popen(
            [*unprivileged_prefix(), str(dist_home / "bin" / program)], cwd=plan.home, env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return NodeProcess(plan.name, process.pid, plan.http_port, plan.transport_port, str(plan.home))


def wait_healthy(url: str, nodes: Sequence[NodeProcess], timeout: float, *, cluster: str,
                 sleep: Callable[[float], None], monotonic: Callable[[], float]) -> None:
    """Until ``cluster`` answers at ``url`` yellow or green with every node joined; a node that dies is an error.

    A healthy answer from another cluster on the port is not success: our node cannot bind a
    port someone else holds, so it is waited for until it exits and its log says why.
    """
    deadline = monotonic() + timeout
    wanted = f"/_cluster/health?wait_for_status=yellow&wait_for_nodes={len(nodes)}&timeout=2s"
    foreign = ""
    while True:
        for node in nodes:
            if startup_exited(node):
                also = f" ({url} answers as cluster '{foreign}')" if foreign else ""
                raise NodeError(f"{node.name} exited during startup: {describe_startup_failure(node.console_log)}"
                                + also, source=str(node.console_log))
        health = http_json(url, wanted, timeout=5.0)
        answered = health.get("cluster_name") if isinstance(health, dict) else None
        if isinstance(answered, str) and answered != cluster:
            foreign = answered
        elif (isinstance(health, dict) and health.get("status") in ("yellow", "green")
              and not health.get("timed_out")):
            return
        if monotonic() > deadline:
            last = f"{url} answers as cluster '{foreign}', not '{cluster}'" if foreign else f"last answer: {health}"
            raise NodeError(f"the node did not become healthy within {timeout:.0f}s ({last}); see its log",
                            source=str(nodes[0].console_log))
        sleep(0.5)


def stop_processes(nodes: Sequence[NodeProcess], *, grace: float, sleep: Callable[[float], None],
                   monotonic: Callable[[], float]) -> None:
    """SIGTERM every node, wait up to ``grace`` seconds, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        living = [n for n in nodes if process_alive(n)]
        if not living:
            return
        for node in living:
            with contextlib.suppress(ProcessLookupError):
                os.kill(node.pid, sig)
        deadline = monotonic() + wait
        while any(process_alive(n) for n in living) and monotonic() < deadline:
            sleep(0.2)
    if any(process_alive(n) for n in nodes):
        raise NodeError(f"could not stop the node (pids {[n.pid for n in nodes]})")


def describe_startup_failure(console_log: Path) -> str:
    """Why a node died while starting, from the tail of its console log."""
    try:
        with open(console_log, "rb") as handle:
            handle.seek(max(0, console_log.stat().st_size - 200_000))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return "no console log"
    return summarize_startup_log(tail)
