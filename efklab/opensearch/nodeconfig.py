"""The shape of a local OpenSearch cluster, as plain data: settings, ports, node files, Java.

Everything here is pure so the lifecycle adapter (``efklab.adapters.localnode.lifecycle``) only reads,
writes and starts what this module decides.  Environment variables come in as a mapping.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from efklab.errors import UsageError
from efklab.opensearch.engines import OPENSEARCH, EngineVersion, choose_java_for, parse_engine_version, state_dir_for
from efklab.opensearch.ismbuild import ISM_SOURCE_ENV, choose_source, default_source, shared_dir_for

DEFAULT_VERSION = "2.19.4"
JAVA_MIN, JAVA_MAX = 11, 21  # OpenSearch 2.x needs the security manager, removed in Java 24
HTTP_BASE_PORT, TRANSPORT_BASE_PORT = 9200, 9300
JOB_SCHEDULER = "opensearch-job-scheduler"
INDEX_MANAGEMENT = "opensearch-index-management"
PLUGINS = (JOB_SCHEDULER, INDEX_MANAGEMENT)  # install order: ISM extends the job scheduler
# One node cannot place replicas; unassigned ones keep the cluster yellow and still count
# against cluster.max_shards_per_node, so a few replays would fill it.  Set once the node
# answers (persistent, so it survives restarts of the same data directory).
SINGLE_NODE_CLUSTER_SETTINGS = {"persistent": {"cluster.default_number_of_replicas": 0}}
# Elasticsearch 7.10 and OpenSearch 1.x have no such cluster setting (1.3.20 answers 400): a legacy
# template of the lowest order gives every new index 0 replicas (a composable template that matches
# an index replaces legacy ones there, so its own settings then decide).
SINGLE_NODE_TEMPLATE = "efklab-single-node-replicas"


def single_node_template() -> dict[str, object]:
    return {"index_patterns": ["*"], "order": -1000, "settings": {"index.number_of_replicas": 0}}


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """Where the node comes from and where it lives; every field has an environment override."""

    version: str
    cache_dir: Path  # the prepared distribution is <cache_dir>/opensearch-<version>
    state_dir: Path  # config, data, logs and the state file of the running cluster
    heap: str | None  # -Xms/-Xmx; None: sized by the number of nodes
    java_home: Path | None  # an explicit JDK; None: pick one
    start_timeout: float  # seconds to wait for a healthy cluster
    ism_source: Path | None = None  # ISM source tarball to build from when Maven lacks the zip; None: none
    engine: str = OPENSEARCH  # opensearch | elasticsearch (efklab.opensearch.engines)

    @property
    def engine_version(self) -> EngineVersion:
        return EngineVersion(self.engine, self.version)

    @property
    def distribution_dir(self) -> Path:
        return self.cache_dir / self.engine_version.key


@dataclass(frozen=True, slots=True)
class NodePlan:
    """One node of the cluster to start: its name, ports and files."""

    name: str
    http_port: int
    transport_port: int
    home: Path  # <state>/n<N>/node-<i>: config/, data/, logs/, console.log

    @property
    def config_dir(self) -> Path:
        return self.home / "config"

    @property
    def console_log(self) -> Path:
        return self.home / "console.log"


def default_state_dir(package_dir: Path, env: Mapping[str, str]) -> Path:
    """``<checkout>/.efklab/node`` in a source checkout, else the user's XDG state folder."""
    checkout = package_dir.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / ".git").exists():
        return checkout / ".efklab" / "node"
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "state")
    return Path(base) / "efklab" / "node"


def settings_from_env(env: Mapping[str, str], *, package_dir: Path) -> NodeSettings:
    """Read the EFKLAB_* overrides; a malformed value is a UsageError naming the variable."""
    chosen = parse_engine_version(env.get("EFKLAB_OPENSEARCH_VERSION") or DEFAULT_VERSION,
                                  source="EFKLAB_OPENSEARCH_VERSION")
    version = chosen.version
    home = Path(env.get("HOME", "~")).expanduser()
    cache = env.get("EFKLAB_CACHE_DIR") or str(Path(env.get("XDG_CACHE_HOME") or home / ".cache") / "efklab")
    state = env.get("EFKLAB_STATE_DIR")
    heap = env.get("EFKLAB_OPENSEARCH_HEAP") or None
    if heap is not None and not re.fullmatch(r"\d+[mMgG]", heap):
        raise UsageError(f"expected a heap size such as 512m or 1g, got {heap!r}", source="EFKLAB_OPENSEARCH_HEAP")
    timeout_text = env.get("EFKLAB_NODE_START_TIMEOUT") or "240"
    try:
        timeout = float(timeout_text)
    except ValueError:
        raise UsageError(f"expected seconds, got {timeout_text!r}", source="EFKLAB_NODE_START_TIMEOUT") from None
    java = env.get("EFKLAB_JAVA_HOME")
    return NodeSettings(
        version=version,
        cache_dir=Path(cache).expanduser().resolve(),
        state_dir=state_dir_for((Path(state).expanduser() if state else default_state_dir(package_dir, env)).resolve(),
                                chosen),
        heap=heap,
        java_home=Path(java).expanduser() if java else None,
        start_timeout=timeout,
        ism_source=ism_source_from_env(env, package_dir, version),
        engine=chosen.engine,
    )


def ism_source_from_env(env: Mapping[str, str], package_dir: Path, version: str) -> Path | None:
    """EFKLAB_ISM_SOURCE (``none``: never build), else the vendored tarball in the shared folder if it is there."""
    checkout = package_dir.parent
    is_checkout = (checkout / "pyproject.toml").is_file() and (checkout / ".git").exists()
    shared = shared_dir_for(env, checkout if is_checkout else None)
    default = default_source(shared, version) if shared is not None else None
    return choose_source(env.get(ISM_SOURCE_ENV), default, default is not None and default.is_file())


def parse_java_version(text: str) -> int | None:
    """The feature version from a ``release`` file or ``java -version`` output (``1.8.0_x`` -> 8)."""
    match = re.search(r'(?:JAVA_VERSION|version)\s*=?\s*"(\d+)(?:\.(\d+))?', text)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def choose_java(candidates: Sequence[tuple[Path, int | None]], preferred: Path | None = None) -> Path | None:
    """The JDK to run the default version's node: ``preferred`` if its version fits, else the newest fitting one."""
    return choose_java_for(EngineVersion(OPENSEARCH, DEFAULT_VERSION), candidates, preferred)


def cluster_name(state_dir: Path) -> str:
    """A cluster name unique to the state folder, so two checkouts never join each other."""
    return "efklab-" + hashlib.sha256(str(state_dir).encode()).hexdigest()[:8]


def plan_nodes(state_dir: Path, count: int, http_ports: Sequence[int],
               transport_ports: Sequence[int]) -> tuple[NodePlan, ...]:
    """The nodes of an N-node cluster; a topology keeps its own data folder (``n1``, ``n3``...)."""
    if count < 1:
        raise UsageError(f"--nodes must be at least 1, got {count}")
    if len(http_ports) != count or len(transport_ports) != count:
        raise ValueError("one HTTP and one transport port per node")
    base = state_dir / f"n{count}"
    return tuple(
        NodePlan(name=f"node-{i}", http_port=http_ports[i], transport_port=transport_ports[i], home=base / f"node-{i}")
        for i in range(count)
    )


def default_heap(count: int) -> str:
    """1 GiB for one node, 512 MiB each for a small cluster: a 2-core, few-GB machine."""
    return "1g" if count == 1 else "512m"


def render_node_yml(
    plan: NodePlan,
    peers: Sequence[NodePlan],
    *,
    cluster: str,
    ism_installed: bool,
    fast_ism: bool,
    ism_jitter: float | None,
    manager_nodes_setting: str = "cluster.initial_cluster_manager_nodes",
) -> str:
    """``opensearch.yml`` for one node: loopback only, its own data/logs, laptop-friendly disk rules."""
    lines = [
        f"cluster.name: {cluster}",
        f"node.name: {plan.name}",
        "network.host: 127.0.0.1",
        f"http.port: {plan.http_port}",
        f"transport.port: {plan.transport_port}",
        f"path.data: {plan.home / 'data'}",
        f"path.logs: {plan.home / 'logs'}",
        # Laptops and CI runners often have fuller disks than a server; never go read-only on that.
        "cluster.routing.allocation.disk.threshold_enabled: false",
        "action.auto_create_index: true",
    ]
    if len(peers) == 1:
        lines.append("discovery.type: single-node")
        # No replica default here: OpenSearch 2.19 reads cluster.default_number_of_replicas from
        # opensearch.yml but creates indices with 1 replica anyway; the adapter sets it through
        # the cluster settings API instead (SINGLE_NODE_CLUSTER_SETTINGS).
    else:
        seeds = ", ".join(f'"127.0.0.1:{p.transport_port}"' for p in peers)
        names = ", ".join(f'"{p.name}"' for p in peers)
        lines += [f"discovery.seed_hosts: [{seeds}]", f"{manager_nodes_setting}: [{names}]"]
    if ism_installed and fast_ism:
        lines.append("plugins.index_state_management.job_interval: 1")
        lines.append(f"plugins.index_state_management.jitter: {0.0 if ism_jitter is None else ism_jitter}")
    return "\n".join(lines) + "\n"


def render_heap_options(heap: str) -> str:
    """A ``jvm.options.d`` file; it is read after ``jvm.options`` so its heap wins."""
    return f"-Xms{heap}\n-Xmx{heap}\n"


def validate_jitter(value: float | None) -> float | None:
    """ISM's jitter is a fraction in [0, 1] (ManagedIndexSettings)."""
    if value is not None and not 0.0 <= value <= 1.0:
        raise UsageError(f"--ism-jitter must be between 0 and 1, got {value}")
    return value


def node_url(plan: NodePlan) -> str:
    """The HTTP URL of a node (plain HTTP: the integ-test distribution has no security plugin)."""
    return f"http://127.0.0.1:{plan.http_port}"


def summarize_startup_log(text: str) -> str:
    """One line out of a node's console output: a taken port, the fatal exception, or the last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if "BindException" in text or "Address already in use" in text:
        port = re.search(r"Failed to bind to [^\s\]]*?:(\d+)", text)
        return f"port {port.group(1)} is taken by another process" if port else "a port is taken by another process"
    for line in reversed(lines):
        match = re.search(r"\b((?:[\w$]+\.)+[\w$]*(?:Exception|Error)): (.+)", line)
        if match and "at " not in line[:4]:
            return f"{match.group(1).rsplit('.', 1)[-1]}: {match.group(2)}"[:400]
    for line in reversed(lines):
        if "ERROR" in line or "could not" in line.lower():
            return line[:400]
    return lines[-1][:400] if lines else "no output"
