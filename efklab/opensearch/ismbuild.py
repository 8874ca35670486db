"""Building the Index State Management plugin from its upstream source, as plain decisions.

The published ``opensearch-index-management`` zip is not served by every Maven repository; the
plugin then builds from an upstream source release with Maven (no Gradle: the Kotlin sources
compile with ``kotlin-maven-plugin``).  This module decides everything that is not I/O: which
tarball to use, the dependency versions of a proven recipe, the pom values, the zip layout and
descriptor (as upstream's ``bundlePlugin`` lays them out), what Maven's output means for
progress, and which of its lines says why a build failed.  The adapter
(``efklab.adapters.localnode.ismbuilder``) unpacks, runs ``mvn`` and writes the zip.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

ISM_NAME = "opensearch-index-management"
ISM_CLASSNAME = "org.opensearch.indexmanagement.IndexManagementPlugin"
ISM_DESCRIPTION = "OpenSearch Index Management Plugin"  # build.gradle: opensearchplugin.description
ISM_EXTENDS = "opensearch-job-scheduler"
ISM_SOURCE_ENV = "EFKLAB_ISM_SOURCE"
NO_SOURCE = "none"  # --ism-source none / EFKLAB_ISM_SOURCE=none: never build
MAVEN = "maven"
UNRECORDED = "source not recorded"
SECURITY_POLICY = "plugin-security.policy"
DESCRIPTOR = "plugin-descriptor.properties"


@dataclass(frozen=True, slots=True)
class IsmRecipe:
    """Versions a Maven build of one ISM release line needs (proven: they resolve and run)."""

    kotlin: str
    coroutines: str
    annotations: str
    ipaddress: str
    commons_codec: str  # OpenSearch's buildSrc version.properties, not in the ISM source
    httpclient: str
    httpcore: str
    java_release: str  # upstream: sourceCompatibility / jvmTarget


RECIPES: Mapping[str, IsmRecipe] = {
    "2.19": IsmRecipe(kotlin="1.8.21", coroutines="1.3.9", annotations="13.0", ipaddress="5.4.1",
                      commons_codec="1.17.2", httpclient="4.5.14", httpcore="4.4.16", java_release="11"),
}


def plugin_version(opensearch_version: str) -> str:
    """The plugin release that belongs to an OpenSearch release (``2.19.4`` -> ``2.19.4.0``)."""
    return f"{opensearch_version}.0"


def recipe_for(opensearch_version: str) -> IsmRecipe | None:
    """The proven recipe for the release line of ``opensearch_version`` (``2.19.x``), or None."""
    return RECIPES.get(".".join(opensearch_version.split(".")[:2]))


def default_source(shared_dir: Path, opensearch_version: str) -> Path:
    """Where the vendored upstream source release sits in the shared folder."""
    return shared_dir / "vendor" / f"{ISM_NAME}-{plugin_version(opensearch_version)}-src.tar.gz"


def shared_dir_for(env: Mapping[str, str], checkout: Path | None) -> Path | None:
    """The shared folder: ``EFKLAB_SHARED_DIR``, else ``<checkout>/../shared`` for a source checkout."""
    if env.get("EFKLAB_SHARED_DIR"):
        return Path(env["EFKLAB_SHARED_DIR"]).expanduser()
    return checkout.parent / "shared" if checkout is not None else None


def choose_source(explicit: str | None, default: Path | None, default_exists: bool) -> Path | None:
    """The tarball to build from: an explicit choice (``--ism-source`` or the environment) wins,
    ``none`` disables building, else the vendored default when it exists."""
    if explicit:
        return None if explicit.strip().lower() == NO_SOURCE else Path(explicit).expanduser()
    return default if default is not None and default_exists else None


def built_zip_name(opensearch_version: str, sha256: str) -> str:
    """The cached zip's name: one per plugin version and source tarball content."""
    return f"{ISM_NAME}-{plugin_version(opensearch_version)}-built-{sha256[:16]}.zip"


def describe_plugins(plugins: Mapping[str, str], sources: Mapping[str, str]) -> str:
    """``name version (where from)`` for each installed plugin; a marker from before sources were
    recorded says so rather than guess."""
    return ", ".join(f"{name} {version} ({sources.get(name, UNRECORDED)})" for name, version in plugins.items()) \
        or "none"


def built_provenance(tarball: Path, sha256: str) -> str:
    """What the cache marker and ``status`` say about a plugin built here."""
    return f"built from source {tarball} (sha256 {sha256[:12]})"


# --- the source tarball -----------------------------------------------------------------------

REQUIRED_IN_SOURCE = ("build.gradle", "LICENSE", "NOTICE", "src/main/kotlin", "spi/src/main/kotlin",
                      f"src/main/plugin-metadata/{SECURITY_POLICY}")


def source_root(member_names: Iterable[str]) -> str:
    """The one top folder of an ISM source tarball; ValueError naming what is missing otherwise."""
    paths = [PurePosixPath(n) for n in member_names if n.strip("/")]
    tops = {p.parts[0] for p in paths}
    if len(tops) != 1:
        raise ValueError(f"expected one top folder, found {len(tops)}")
    top = tops.pop()
    present = {str(PurePosixPath(*p.parts[1:i])) for p in paths for i in range(2, len(p.parts) + 1)}
    missing = [r for r in REQUIRED_IN_SOURCE if r not in present]
    if missing:
        raise ValueError(f"not an {ISM_NAME} source release: no {', '.join(missing)} under {top}/")
    return top


def source_opensearch_version(build_gradle: str) -> str | None:
    """The OpenSearch release a source tree builds for (``opensearch.version`` default in build.gradle)."""
    match = re.search(r'"opensearch\.version"\s*,\s*"(\d+\.\d+\.\d+)', build_gradle)
    return match.group(1) if match else None


# --- the Maven build --------------------------------------------------------------------------

def pom_values(opensearch_version: str, recipe: IsmRecipe) -> dict[str, str]:
    """The ``@name@`` placeholders of the pom templates."""
    build = plugin_version(opensearch_version)
    return {
        "opensearch.version": opensearch_version, "plugin.version": build, "job-scheduler.version": build,
        "common-utils.version": build, "kotlin.version": recipe.kotlin, "coroutines.version": recipe.coroutines,
        "annotations.version": recipe.annotations, "ipaddress.version": recipe.ipaddress,
        "commons-codec.version": recipe.commons_codec, "httpclient.version": recipe.httpclient,
        "httpcore.version": recipe.httpcore, "java.release": recipe.java_release,
    }


def render_template(text: str, values: Mapping[str, str]) -> str:
    """Fill ``@name@`` placeholders (Maven keeps its own ``${...}``); an unknown one is a ValueError."""
    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ValueError(f"no value for @{match.group(1)}@")
        return values[match.group(1)]

    return re.sub(r"@([a-z][a-z.-]*)@", fill, text)


def maven_command(pom: Path, source: Path) -> list[str]:
    """Compile spi and plugin and collect the runtime jars (batch mode: plain lines, no prompts)."""
    return ["mvn", "-B", "-f", str(pom), f"-Dism.src={source}", "-DskipTests", "package"]


# --- the plugin zip ---------------------------------------------------------------------------

def descriptor_text(opensearch_version: str, recipe: IsmRecipe) -> str:
    """``plugin-descriptor.properties`` with the fields upstream's build writes."""
    fields = {
        "description": ISM_DESCRIPTION,
        "version": plugin_version(opensearch_version),
        "name": ISM_NAME,
        "classname": ISM_CLASSNAME,
        "java.version": recipe.java_release,
        "opensearch.version": opensearch_version,
        "extended.plugins": ISM_EXTENDS,
        "has.native.controller": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in fields.items())


def zip_entries(plugin_jar: Path, bundled: Sequence[Path], source: Path) -> list[tuple[str, Path]]:
    """Files of the plugin zip (name in the zip, file on disk), all at its top level as
    ``bundlePlugin`` lays them out; the descriptor is written from text beside them."""
    entries = [(plugin_jar.name, plugin_jar)]
    entries += sorted(((jar.name, jar) for jar in bundled if jar.name != plugin_jar.name), key=lambda e: e[0])
    entries += [(SECURITY_POLICY, source / "src" / "main" / "plugin-metadata" / SECURITY_POLICY),
                ("LICENSE.txt", source / "LICENSE"), ("NOTICE.txt", source / "NOTICE")]
    names = [name for name, _ in entries]
    if len(set(names)) != len(names) or DESCRIPTOR in names:
        raise ValueError(f"duplicate entries in the plugin zip: {names}")
    return entries


# --- reading Maven's output -------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ACTIVITIES = {
    "kotlin-maven-plugin:compile": "compiling Kotlin",
    "maven-compiler-plugin:compile": "compiling Java",
    "maven-resources-plugin:resources": "copying resources",
    "maven-jar-plugin:jar": "packaging the jar",
    "maven-dependency-plugin:copy-dependencies": "collecting the jars to bundle",
    "maven-resources-plugin:testResources": "skipping tests",  # the source release has no tests
    "maven-compiler-plugin:testCompile": "skipping tests",
    "maven-surefire-plugin:test": "skipping tests",
}


@dataclass(frozen=True, slots=True)
class BuildProgress:
    """Where a running Maven build is: module, step, and how many files it downloaded so far."""

    module: str = ""
    position: str = ""  # "2/3" from Maven's reactor
    activity: str = "resolving the build plugins"
    downloads: int = 0

    def describe(self) -> str:
        where = f"{self.module} [{self.position}]: " if self.module else ""
        fetched = f" ({self.downloads} files downloaded so far)" if self.downloads else ""
        return f"{where}{self.activity}{fetched}"


def advance(progress: BuildProgress, line: str) -> tuple[BuildProgress, bool]:
    """Progress after one Maven output line, and whether the build moved to a new step."""
    text = _ANSI.sub("", line).strip()
    if re.match(r"(?:\[INFO\] )?Downloaded from ", text):
        return replace(progress, downloads=progress.downloads + 1), False
    building = re.match(r"\[INFO\] Building (\S+) \S+\s+\[(\d+/\d+)\]", text)
    if building:
        return replace(progress, module=building.group(1), position=building.group(2), activity="starting"), True
    goal = re.match(r"\[INFO\] --- ([\w.-]+?)(?::[\w.-]+)?:([\w-]+) \([^)]*\) @ ", text)
    if goal:
        key = f"{goal.group(1)}:{goal.group(2)}"
        activity = _ACTIVITIES.get(key, f"{goal.group(1)} {goal.group(2)}")
        return replace(progress, activity=activity), activity != progress.activity
    return progress, False


def format_elapsed(seconds: float) -> str:
    """``75.4`` -> ``1m15s``: how long a build has run, for progress lines."""
    whole = int(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"
