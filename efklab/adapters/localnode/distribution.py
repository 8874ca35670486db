"""Prepare (once) and cache a runnable OpenSearch: the integ-test distribution plus plugins.

The distribution and plugin zips are fetched with ``mvn`` from their coordinates and the plugins
are installed with the distribution's own ``opensearch-plugin``.  Preparation happens in a
private folder that is renamed into place only when complete, under a lock file, so a crash or
two concurrent ``up``\\s never leave something that looks like a good cache.  When Maven does not
serve the index-management zip, it is built from an upstream source tarball (``ismbuilder``);
the marker records where each plugin came from.  A plugin that is neither fetched nor built is
recorded with the reason; the node then runs without it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from efklab.adapters.localnode.ismbuilder import ensure_ism_zip
from efklab.adapters.localnode.lockfile import locked
from efklab.errors import NodeError
from efklab.opensearch.ismbuild import MAVEN, describe_plugins
from efklab.opensearch.mavenlog import summarize_maven_error
from efklab.opensearch.nodeconfig import INDEX_MANAGEMENT, NodeSettings

MARKER = "efklab-cache.json"
PLUGIN_ARTIFACT = "org.opensearch.plugin:{name}:{version}.0:zip"


@dataclass(frozen=True, slots=True)
class Distribution:
    """A prepared OpenSearch home: which plugins it has, and why any are missing."""

    home: Path
    version: str
    plugins: dict[str, str] = field(default_factory=dict)  # name -> version
    missing: dict[str, str] = field(default_factory=dict)  # name -> reason
    sources: dict[str, str] = field(default_factory=dict)  # name -> "maven" or "built from source ..."


def read_distribution(home: Path) -> Distribution | None:
    """The cached distribution at ``home``, or None when absent or not completely prepared.

    A marker written before sources were recorded has no ``sources``: those plugins show as unrecorded."""
    try:
        meta = json.loads((home / MARKER).read_text())
        return Distribution(home=home, version=meta["version"], plugins=dict(meta["plugins"]),
                            missing=dict(meta["missing"]), sources=dict(meta.get("sources") or {}))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_distribution(
    settings: NodeSettings, java_home: Path, *, say: Callable[[str], None], refresh: bool = False
) -> Distribution:
    """The prepared distribution for ``settings.version``: from the cache, or fetched and installed now."""
    final = settings.distribution_dir
    if not refresh and (ready := read_distribution(final)) is not None:
        return _summarized(ready, settings, say)
    key = settings.engine_version.key  # opensearch-<version> for OpenSearch, as before
    with locked(settings.cache_dir / f"{key}.lock"):
        if refresh and final.exists():
            _discard(final)
        elif (ready := read_distribution(final)) is not None:  # prepared by a concurrent `up`
            return _summarized(ready, settings, say)
        elif final.exists():  # an older, unmarked folder: never trust it
            _discard(final)
        work = settings.cache_dir / f".{key}.partial-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            prepared, plugins, missing, sources = _prepare(settings, work, java_home, say)
            marker = {"version": settings.version, "plugins": plugins, "missing": missing, "sources": sources}
            (prepared / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            os.rename(prepared, final)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    ready = read_distribution(final)
    if ready is None:  # pragma: no cover - the marker was written just above
        raise NodeError(f"the prepared node at {final} has no readable {MARKER}")
    return _summarized(ready, settings, say)


def _summarized(dist: Distribution, settings: NodeSettings, say: Callable[[str], None]) -> Distribution:
    """Say which plugins the node gets and from where; hint at a build a cached node has missed."""
    say("plugins: " + describe_plugins(dist.plugins, dist.sources))
    if INDEX_MANAGEMENT in dist.missing and settings.ism_source is not None:
        say(f"the cached node in {dist.home} has no {INDEX_MANAGEMENT}; to build it from {settings.ism_source}: "
            "`efklab opensearch down`, then `efklab opensearch up --refresh-cache`")
    return dist


def _discard(path: Path) -> None:
    trash = path.with_name(f".{path.name}.trash-{os.getpid()}")
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def _prepare(
    settings: NodeSettings, work: Path, java_home: Path, say: Callable[[str], None]
) -> tuple[Path, dict[str, str], dict[str, str], dict[str, str]]:
    """Fetch, unpack and install plugins in ``work``: the OpenSearch home, installed and missing
    plugins, and where each installed one came from (Maven, or built from a source tarball)."""
    version, engine = settings.version, settings.engine_version
    if shutil.which("mvn") is None:
        raise NodeError(
            f"Maven (mvn) is needed once to fetch {engine.label} into the cache; install it "
            "(e.g. apt-get install maven) and run `efklab opensearch up` again"
        )
    downloads = work / "download"
    downloads.mkdir(parents=True)
    say(f"fetching {engine.label} with mvn (once; cached afterwards)")
    archive = fetch_artifact(engine.artifact, downloads)
    if isinstance(archive, str):
        raise NodeError(f"cannot fetch {engine.label}: {archive}")
    home = unpack_zip(archive, work / "unpacked") / f"{engine.program}-{version}"
    if not (home / "bin" / engine.program).is_file():
        raise NodeError(f"{archive.name} does not contain {engine.program}-{version}/bin/{engine.program}")
    plugins: dict[str, str] = {}
    missing: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in engine.plugins:
        if missing:  # index-management extends job-scheduler: without it there is no point
            missing[name] = f"needs {next(iter(missing))}, which is missing"
            continue
        obtained = _obtain_plugin(name, settings, downloads, work, java_home, say)
        if isinstance(obtained, str):
            missing[name] = obtained
            continue
        zipped, source = obtained
        problem = install_plugin(home, zipped, java_home)
        if problem and source != MAVEN:  # a built zip that does not install is no cache: the next `up` rebuilds
            zipped.unlink(missing_ok=True)
            raise NodeError(f"the {name} zip built from {settings.ism_source} does not install: {problem}")
        if problem:
            missing[name] = problem
            continue
        plugins[name] = f"{version}.0"
        sources[name] = source
    return home, plugins, missing, sources


def _obtain_plugin(name: str, settings: NodeSettings, downloads: Path, work: Path, java_home: Path,
                   say: Callable[[str], None]) -> tuple[Path, str] | str:
    """A plugin's zip and where it came from: Maven, else (index-management) built from its source
    tarball; or why there is none.  A build that fails raises: it says why and caches nothing."""
    version = settings.version
    say(f"fetching plugin {name} {version}.0 with mvn")
    zipped = fetch_artifact(PLUGIN_ARTIFACT.format(name=name, version=version), downloads)
    if not isinstance(zipped, str):
        return zipped, MAVEN
    if name != INDEX_MANAGEMENT:
        return zipped
    if settings.ism_source is None:
        return f"{zipped}; no source tarball to build it from (--ism-source or EFKLAB_ISM_SOURCE)"
    say(f"Maven does not serve {name} {version}.0 ({zipped})")
    built = ensure_ism_zip(settings.ism_source, version, settings.cache_dir, work / "ism-build", java_home, say=say)
    return built.zip, built.provenance


def fetch_artifact(coordinates: str, out_dir: Path) -> Path | str:
    """Copy one artifact with ``mvn dependency:copy``; returns its path, or why it could not be fetched."""
    _group, artifact, version, packaging = coordinates.split(":")
    target = out_dir / f"{artifact}-{version}.{packaging}"
    base = ["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={coordinates}", f"-DoutputDirectory={out_dir}"]
    detail = ""
    for extra in ([], ["-U"]):  # -U: do not trust a failure Maven cached on an earlier attempt
        try:
            done = subprocess.run(base + extra, cwd=out_dir, capture_output=True, text=True, timeout=1800, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"mvn failed to run: {exc}"
        if done.returncode == 0 and target.is_file():
            return target
        detail = summarize_maven_error(done.stdout + done.stderr)
    return detail


def unpack_zip(archive: Path, into: Path) -> Path:
    """Unpack keeping the Unix file modes (``zipfile`` alone drops the executable bits)."""
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, into))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)
    return into


def install_plugin(home: Path, zipped: Path, java_home: Path) -> str | None:
    """Install a plugin zip with ``bin/opensearch-plugin install --batch``; None, or why it failed."""
    env = {**os.environ, "OPENSEARCH_JAVA_HOME": str(java_home), "OPENSEARCH_PATH_CONF": str(home / "config")}
    env.pop("JAVA_TOOL_OPTIONS", None)
    command = [str(home / "bin" / "opensearch-plugin"), "install", "--batch", zipped.resolve().as_uri()]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"opensearch-plugin failed to run: {exc}"
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        return "opensearch-plugin install failed: " + (lines[-1] if lines else f"exit {done.returncode}")
    return None
