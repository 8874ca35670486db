"""The real index-management plugin on the test node, and where it came from.

On a machine whose Maven does not serve the plugin zip, the session's `up` builds it once from
the upstream source tarball; these tests fail (never skip) when the node runs without it.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from efklab.adapters.localnode import lifecycle as node
from efklab.adapters.localnode.distribution import read_distribution
from efklab.opensearch.ismbuild import MAVEN, plugin_version
from efklab.opensearch.nodeconfig import INDEX_MANAGEMENT, JOB_SCHEDULER

pytestmark = pytest.mark.integration
EFKLAB = [sys.executable, "-m", "efklab"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EFKLAB, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=1200)


def is_a_known_source(text: str) -> bool:
    return text == MAVEN or (text.startswith("built from source ") and "(sha256 " in text)


def test_the_node_runs_the_index_management_plugin(opensearch_url: str) -> None:
    """`_cat/plugins` lists opensearch-index-management (fetched from Maven or built from source)."""
    plugins = node.installed_plugins(opensearch_url)
    assert INDEX_MANAGEMENT in plugins, node.ism_missing_reason(opensearch_url)
    assert JOB_SCHEDULER in plugins


def test_status_says_where_each_plugin_came_from(opensearch_url: str) -> None:
    """`status` prints one line per plugin with its source, as the cache marker recorded it."""
    settings = node.load_settings()
    version = plugin_version(settings.version)
    dist = read_distribution(settings.distribution_dir)
    assert dist is not None and INDEX_MANAGEMENT in dist.plugins, f"the cached node has no {INDEX_MANAGEMENT}"
    text = run_cli("opensearch", "status")
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
             for line in text.stdout.splitlines() if line.startswith("  plugin ")}
    assert text.returncode == 0
    for name in (JOB_SCHEDULER, INDEX_MANAGEMENT):
        source = lines[f"plugin {name} {version}"]
        assert is_a_known_source(source) and source == dist.sources[name]
    doc = json.loads(run_cli("opensearch", "status", "--json").stdout)
    assert doc["plugin_sources"][INDEX_MANAGEMENT] == dist.sources[INDEX_MANAGEMENT]


def truncated_source(path: Path) -> Path:
    """A source release cut off half-way, as an interrupted download leaves it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in ("LICENSE", "NOTICE", "build.gradle", "src/main/kotlin/A.kt", "spi/src/main/kotlin/B.kt"):
            data = os.urandom(4096)  # incompressible, so half the bytes is half the archive
            info = tarfile.TarInfo(f"opensearch-index-management-2.19.4.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    whole = buffer.getvalue()
    path.write_bytes(whole[: len(whole) // 2])
    return path


@pytest.mark.slow
def test_a_truncated_source_fails_up_in_one_line_and_caches_nothing(opensearch_url: str, tmp_path: Path) -> None:
    """`up --ism-source` with a damaged tarball, on an empty cache: exit 2, one line saying why, and neither a
    prepared node nor a plugin zip is left in the cache (the next `up` starts over)."""
    shared = read_distribution(node.load_settings().distribution_dir)
    if shared is not None and shared.sources.get(INDEX_MANAGEMENT) == MAVEN:
        pytest.skip("Maven serves the plugin zip here, so `up` never builds it from source")
    broken = truncated_source(tmp_path / "broken-src.tar.gz")
    cache = tmp_path / "cache"
    env = {"EFKLAB_STATE_DIR": str(tmp_path / "state"), "EFKLAB_CACHE_DIR": str(cache)}
    done = run_cli("opensearch", "up", "--ism-source", str(broken), env=env)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2, done.stderr
    assert last.startswith(f"efklab opensearch: {broken}: cannot unpack the ISM source: truncated or damaged archive")
    assert not [p.name for p in cache.iterdir() if not p.name.endswith((".lock", "-build.log"))]
    assert not list(cache.rglob("*.zip")) and not list(cache.rglob(INDEX_MANAGEMENT))
