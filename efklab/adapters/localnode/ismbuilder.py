"""Build the Index State Management plugin zip from an upstream source tarball with ``mvn``, once.

The zip is cached in the efklab cache beside the distribution, named by plugin version and the
tarball's sha256, so preparing the node again (``up --refresh-cache``) reuses it.  The build
runs in a private work folder; the zip is written under a temporary name and renamed into place
only when complete, so a failed or interrupted build leaves no zip behind.  The pom templates
ship in ``ismpoms/``; every decision (versions, layout, descriptor, reading Maven's output) is
``efklab.opensearch.ismbuild``'s.
"""
from __future__ import annotations

import hashlib
import os
import queue
import shutil
import subprocess
import tarfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from efklab.errors import NodeError
from efklab.opensearch.ismbuild import (
    DESCRIPTOR,
    ISM_NAME,
    BuildProgress,
    IsmRecipe,
    advance,
    built_provenance,
    built_zip_name,
    descriptor_text,
    format_elapsed,
    maven_command,
    plugin_version,
    pom_values,
    recipe_for,
    render_template,
    source_opensearch_version,
    source_root,
    zip_entries,
)
from efklab.opensearch.mavenlog import first_compiler_error, summarize_maven_error

POMS = Path(__file__).with_name("ismpoms")
HEARTBEAT_SECONDS = 15.0
BUILD_TIMEOUT_SECONDS = 3600.0
Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BuiltPlugin:
    """A plugin zip built here, and what the cache marker says about where it came from."""

    zip: Path
    provenance: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_ism_zip(tarball: Path, version: str, cache_dir: Path, work: Path, java_home: Path, *, say: Say,
                   monotonic: Callable[[], float] = time.monotonic) -> BuiltPlugin:
    """The ISM zip for OpenSearch ``version`` built from ``tarball``: cached, or built now.

    Raises NodeError with one line saying why when the tarball or the build is not usable."""
    tarball = tarball.resolve()
    if not tarball.is_file():
        raise NodeError("no such ISM source tarball (from --ism-source or EFKLAB_ISM_SOURCE)", source=str(tarball))
    recipe = recipe_for(version)
    if recipe is None:
        raise NodeError(f"efklab has no proven Maven build of {ISM_NAME} for OpenSearch {version} "
                        "(known: 2.19.x); use a node version whose plugin zip Maven serves")
    sha = sha256_of(tarball)
    cached = cache_dir / built_zip_name(version, sha)
    provenance = built_provenance(tarball, sha)
    if zipfile.is_zipfile(cached):
        say(f"using {cached.name}, built earlier from {tarball.name}")
        return BuiltPlugin(cached, provenance)
    started = monotonic()
    say(f"building {ISM_NAME} {plugin_version(version)} from {tarball} with mvn "
        "(once, then cached; 4-9 minutes on 2 cores, most of it compiling Kotlin)")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = unpack_source(tarball, work / "source", version)
    project = write_project(work / "maven", version, recipe)
    log_path = cache_dir / f"{ISM_NAME}-{plugin_version(version)}-build.log"
    env = {**os.environ, "JAVA_HOME": str(java_home)}
    code, log = run_maven(maven_command(project / "pom.xml", source), project, env, log_path, say=say,
                          monotonic=monotonic)
    if code != 0:
        why = first_compiler_error(log, source) or summarize_maven_error(log)
        raise NodeError(f"building {ISM_NAME} from {tarball.name} failed: {why} (full log: {log_path})")
    assemble_zip(project / "plugin" / "target", source, version, recipe, cached)
    say(f"built {cached.name} in {format_elapsed(monotonic() - started)}")
    return BuiltPlugin(cached, provenance)


def unpack_source(tarball: Path, into: Path, version: str) -> Path:
    """Unpack the source release (refusing links and paths outside ``into``); the source root."""
    try:
        with tarfile.open(tarball, "r:*") as archive:
            root = source_root(archive.getnames())
            archive.extractall(into, filter="data")
    except ValueError as exc:
        raise NodeError(str(exc), source=str(tarball)) from exc
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise NodeError(f"cannot unpack the ISM source: truncated or damaged archive ({exc})",
                        source=str(tarball)) from exc
    source = into / root
    built_for = source_opensearch_version((source / "build.gradle").read_text(errors="replace"))
    if built_for != version:
        raise NodeError(f"this ISM source builds for OpenSearch {built_for or 'an unknown version'}, "
                        f"the node runs {version}", source=str(tarball))
    return source


def write_project(into: Path, version: str, recipe: IsmRecipe) -> Path:
    """The three poms (parent, spi, plugin) filled in for ``version``; the project folder."""
    values = pom_values(version, recipe)
    for template, target in (("pom.xml", "pom.xml"), ("spi.pom.xml", "spi/pom.xml"),
                             ("plugin.pom.xml", "plugin/pom.xml")):
        path = into / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_template((POMS / template).read_text(), values))
    return into


def run_maven(command: list[str], cwd: Path, env: dict[str, str], log_path: Path, *, say: Say,
              monotonic: Callable[[], float] = time.monotonic) -> tuple[int, str]:
    """Run Maven, saying each new step and, while a step runs, a line every ~15 s; exit code and log."""
    started = monotonic()
    last_said = started
    progress = BuildProgress()
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []
    try:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace")
    except OSError as exc:
        raise NodeError(f"mvn failed to run: {exc}") from exc
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log_path, "w") as log_file:
            while True:
                try:
                    line = lines.get(timeout=1.0)
                except queue.Empty:
                    line = ""
                if line is None:
                    break
                moved = False
                if line:
                    log.append(line)
                    log_file.write(line)
                    progress, moved = advance(progress, line)
                now = monotonic()
                if moved or now - last_said >= HEARTBEAT_SECONDS:
                    say(f"  [{format_elapsed(now - started)}] {progress.describe()}")
                    last_said = now
                if now - started > BUILD_TIMEOUT_SECONDS:
                    raise NodeError(f"building {ISM_NAME} took over {format_elapsed(BUILD_TIMEOUT_SECONDS)}; "
                                    f"stopped (log: {log_path})")
        return process.wait(), "".join(log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Move Maven's output into a queue so the caller can speak while Maven is silent."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def assemble_zip(target: Path, source: Path, version: str, recipe: IsmRecipe, into: Path) -> None:
    """Write the plugin zip from Maven's output (atomically: a temporary name, then renamed)."""
    plugin_jar = target / f"{ISM_NAME}-{plugin_version(version)}.jar"
    bundled = sorted((target / "bundle").glob("*.jar"))
    if not plugin_jar.is_file() or not bundled:
        raise NodeError(f"mvn succeeded but left no {plugin_jar.name} or no bundled jars", source=str(target))
    partial = into.with_name(f".{into.name}.partial-{os.getpid()}")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, strict_timestamps=False) as zipped:
            for name, path in zip_entries(plugin_jar, bundled, source):
                zipped.write(path, name)
            zipped.writestr(DESCRIPTOR, descriptor_text(version, recipe))
        os.replace(partial, into)
    finally:
        partial.unlink(missing_ok=True)
