"""The engine versions a local node can run, and what differs between them, as plain facts.

Amazon's managed domains ran Elasticsearch 7.10 (the OSS build, Amazon ES) and now run
OpenSearch 1.3, 2.x and 3.x.  The local node runs the integ-test distribution of each (fetched
with ``mvn``); this module says which artifact, which Java, which config names and which
plugins each one needs, and what a pipeline meets on each (``_type`` in bulk actions, the ISM
API path).  Facts were checked on real nodes of the versions in :data:`KNOWN_VERSIONS`, except where
a property says it was not.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from efklab.errors import UsageError

OPENSEARCH, ELASTICSEARCH = "opensearch", "elasticsearch"
DEFAULT_VERSION = "2.19.4"
JOB_SCHEDULER = "opensearch-job-scheduler"
INDEX_MANAGEMENT = "opensearch-index-management"
ISM_PLUGINS = (JOB_SCHEDULER, INDEX_MANAGEMENT)  # install order: ISM extends the job scheduler
PLUGINS_API, LEGACY_API = "_plugins/_ism", "_opendistro/_ism"
_SPELLING = re.compile(r"(?:(?P<engine>opensearch|os|elasticsearch|es)[-_ ]?)?(?P<version>\d+\.\d+\.\d+)")
_ENGINE_WORDS = {"opensearch": OPENSEARCH, "os": OPENSEARCH, "elasticsearch": ELASTICSEARCH, "es": ELASTICSEARCH}


@dataclass(frozen=True, slots=True, order=True)
class EngineVersion:
    """One engine release (``opensearch 2.19.4``, ``elasticsearch 7.10.2``) and what follows from it."""

    engine: str
    version: str

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.version.split("."))

    @property
    def major(self) -> int:
        return self.numbers[0]

    @property
    def key(self) -> str:
        """Names its state and cache folders: ``opensearch-1.3.20``, ``elasticsearch-7.10.2``."""
        return f"{self.engine}-{self.version}"

    @property
    def label(self) -> str:
        return f"{'OpenSearch' if self.engine == OPENSEARCH else 'Elasticsearch'} {self.version}"

    @property
    def is_default(self) -> bool:
        return self == DEFAULT

    @property
    def artifact(self) -> str:
        """The integ-test distribution's Maven coordinates."""
        group = "org.opensearch" if self.engine == OPENSEARCH else "org.elasticsearch"
        return f"{group}.distribution.integ-test-zip:{self.engine}:{self.version}:zip"

    @property
    def program(self) -> str:
        """The start script in ``bin/``, the home folder's prefix and the config file's stem."""
        return self.engine

    @property
    def config_file(self) -> str:
        return f"{self.engine}.yml"

    @property
    def plugin_tool(self) -> str:
        return f"{self.engine}-plugin"

    @property
    def java_range(self) -> tuple[int, int | None]:
        """Java feature versions the node runs on (None: no upper bound known).

        Elasticsearch 7.10 and OpenSearch 1.x/2.x need the security manager (gone in Java 24) and
        were built for 11-15 / 11-17 / 11-21; OpenSearch 3.x is built for Java 21 and needs no
        security manager."""
        if self.engine == ELASTICSEARCH or self.major == 1:
            return 11, 17
        if self.major == 2:
            return 11, 21
        return 21, None

    @property
    def java_text(self) -> str:
        low, high = self.java_range
        return f"Java {low}-{high}" if high is not None else f"Java {low}+"

    def java_fits(self, feature: int) -> bool:
        low, high = self.java_range
        return feature >= low and (high is None or feature <= high)

    @property
    def plugins(self) -> tuple[str, ...]:
        """The plugins ``up`` tries to install (Elasticsearch OSS has no ISM plugin at all)."""
        return ISM_PLUGINS if self.engine == OPENSEARCH else ()

    @property
    def accepts_type(self) -> bool:
        """Whether a bulk action may carry ``_type`` (deprecated on 7.x/1.x, refused from OpenSearch 2.0 on)."""
        return self.engine == ELASTICSEARCH or self.major < 2

    @property
    def one_type_per_index(self) -> bool:
        """7.x/1.x keep custom mapping types, one per index: a second ``_type`` in an index is refused."""
        return self.accepts_type

    @property
    def manager_nodes_setting(self) -> str:
        """The bootstrap setting of a multi-node cluster (renamed with the 'cluster manager' wording in 2.0)."""
        return "cluster.initial_master_nodes" if self.accepts_type else "cluster.initial_cluster_manager_nodes"

    @property
    def has_replica_default(self) -> bool:
        """``cluster.default_number_of_replicas`` as a cluster setting (1.3.20 answers 400 to it)."""
        return self.engine == OPENSEARCH and self.major >= 2

    @property
    def point_in_time(self) -> bool:
        """``POST <index>/_search/point_in_time`` (OpenSearch 2.4+), which the ordering check reads with."""
        return self.engine == OPENSEARCH and self.numbers[:2] >= (2, 4)

    @property
    def ism_apis(self) -> tuple[str, ...]:
        """The ISM REST paths the plugin answers on, when it is installed (newest first).

        Both answer on 2.19.4 (checked); on 3.x only the current one is claimed: Maven serves no ISM zip
        for 3.1.0, so the legacy path was not checked there."""
        if self.engine == ELASTICSEARCH:
            return ()
        return (PLUGINS_API, LEGACY_API) if self.major < 3 else (PLUGINS_API,)

    @property
    def ism_note(self) -> str:
        """What this version offers for retention, in one line."""
        if self.engine == ELASTICSEARCH:
            return ("Elasticsearch OSS has no ISM (Amazon ES domains had Open Distro ISM under _opendistro/_ism; "
                    "elsewhere ILM, an X-Pack feature, or a cron job deletes old indices)")
        paths = " and ".join(self.ism_apis)
        return f"ISM under {paths} when {INDEX_MANAGEMENT} is installed"


DEFAULT = EngineVersion(OPENSEARCH, DEFAULT_VERSION)
KNOWN_VERSIONS: tuple[EngineVersion, ...] = (
    EngineVersion(ELASTICSEARCH, "7.10.2"),
    EngineVersion(OPENSEARCH, "1.3.20"),
    DEFAULT,
    EngineVersion(OPENSEARCH, "3.1.0"),
)
SPELLINGS_HELP = "2.19.4, 1.3.20, 3.1.0, es-7.10.2 (or opensearch-V / elasticsearch-V)"


def parse_engine_version(text: str, *, engine: str | None = None, source: str = "--version") -> EngineVersion:
    """``2.19.4``, ``os-1.3.20``, ``opensearch-3.1.0``, ``es-7.10.2``, ``elasticsearch-7.10.2``; ``engine``
    (``--engine``) names the engine of a bare version.  A bare 7.x is Elasticsearch: OpenSearch has no 7.x."""
    match = _SPELLING.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(f"expected a version such as {SPELLINGS_HELP}, got {text!r}", source=source)
    named = _ENGINE_WORDS[match["engine"]] if match["engine"] else None
    if named and engine and named != engine:
        raise UsageError(f"{text!r} names {named}, but --engine says {engine}", source=source)
    version = match["version"]
    chosen = named or engine or (ELASTICSEARCH if version.startswith(("6.", "7.")) else OPENSEARCH)
    if chosen not in (OPENSEARCH, ELASTICSEARCH):
        raise UsageError(f"unknown engine {chosen!r}: opensearch or elasticsearch", source="--engine")
    found = EngineVersion(chosen, version)
    if found.engine == ELASTICSEARCH and found.major != 7:
        raise UsageError(f"only Elasticsearch 7.x (the Amazon ES era) is supported, got {version}", source=source)
    if found.engine == OPENSEARCH and not 1 <= found.major <= 3:
        raise UsageError(f"OpenSearch {version} is not a release efklab knows (1.x, 2.x, 3.x)", source=source)
    return found


def state_dir_for(base: Path, engine_version: EngineVersion) -> Path:
    """Each version its own state folder: the default version keeps ``base``, others ``<base>-<key>``
    (data written by one version must never be opened by another, older or newer)."""
    return base if engine_version.is_default else base.with_name(f"{base.name}-{engine_version.key}")


def choose_java_for(engine_version: EngineVersion, candidates: Sequence[tuple[Path, int | None]],
                    preferred: Path | None = None) -> Path | None:
    """The JDK to run ``engine_version``: ``preferred`` if it fits, else the newest fitting one."""
    fitting = [(home, v) for home, v in candidates if v is not None and engine_version.java_fits(v)]
    for home, _ in fitting:
        if preferred is not None and home == preferred:
            return home
    return max(fitting, key=lambda hv: hv[1])[0] if fitting else None
