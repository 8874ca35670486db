"""Preparing the cached node: reading Maven's failures and the cache marker (no network, no Java)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from efklab.adapters.localnode.distribution import MARKER, read_distribution, summarize_maven_error, unpack_zip

MAVEN = Path(__file__).parent / "cases" / "maven"


@pytest.mark.parametrize(
    ("log", "line"),
    [
        ("not-found.log", "org.opensearch.plugin:opensearch-index-management:zip:2.19.4.0 not found in the configured "
                          "Maven repositories"),
        ("not-found-cached.log", "org.opensearch.plugin:opensearch-index-management:zip:2.19.4.0 not found in the "
                                 "configured Maven repositories"),
        ("offline.log", "org.opensearch.plugin:opensearch-nothing:zip:2.19.4.0 is not in the local Maven repository "
                        "and Maven is offline"),
    ],
)
def test_maven_failures_become_one_line(log: str, line: str) -> None:
    """Real `mvn dependency:copy` failures (quiet, cached, offline) reduce to what happened to which artifact."""
    assert summarize_maven_error((MAVEN / log).read_text()) == line


def test_maven_summary_never_carries_a_repository_address() -> None:
    """Repository addresses are dropped from what we print."""
    for log in MAVEN.glob("*.log"):
        assert "://" not in summarize_maven_error(log.read_text())


def test_unmarked_folder_is_not_a_prepared_node(tmp_path: Path) -> None:
    """A folder without the marker (a crash mid-preparation) is never taken for a good cache."""
    (tmp_path / "bin").mkdir()
    assert read_distribution(tmp_path) is None
    (tmp_path / MARKER).write_text("{not json")
    assert read_distribution(tmp_path) is None


def test_marker_records_plugins_and_why_others_are_missing(tmp_path: Path) -> None:
    """The marker says which plugins are installed and, for the others, the reason."""
    (tmp_path / MARKER).write_text(json.dumps({"version": "2.19.4", "plugins": {"opensearch-job-scheduler": "2.19.4.0"},
                                               "missing": {"opensearch-index-management": "not found"}}))
    dist = read_distribution(tmp_path)
    assert dist is not None and dist.plugins == {"opensearch-job-scheduler": "2.19.4.0"}
    assert dist.missing == {"opensearch-index-management": "not found"}


def test_unpack_keeps_executable_bits(tmp_path: Path) -> None:
    """bin/opensearch stays executable after unpacking (zipfile alone would drop the mode)."""
    import zipfile

    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo("opensearch-x/bin/opensearch")
        info.external_attr = 0o755 << 16
        z.writestr(info, "#!/bin/sh\n")
    out = unpack_zip(archive, tmp_path / "out")
    assert (out / "opensearch-x" / "bin" / "opensearch").stat().st_mode & 0o777 == 0o755


def test_marker_records_where_each_plugin_came_from(tmp_path: Path) -> None:
    """Maven or a source build: the marker keeps it for `status`."""
    built = "built from source /shared/vendor/opensearch-index-management-2.19.4.0-src.tar.gz (sha256 bbeac2bb7a72)"
    sources = {"opensearch-job-scheduler": "maven", "opensearch-index-management": built}
    (tmp_path / MARKER).write_text(json.dumps({"version": "2.19.4", "plugins": dict.fromkeys(sources, "2.19.4.0"),
                                               "missing": {}, "sources": sources}))
    dist = read_distribution(tmp_path)
    assert dist is not None and dist.sources == sources


def test_a_marker_from_before_sources_were_recorded_is_still_a_prepared_node(tmp_path: Path) -> None:
    """Older caches (and hand-made markers) without `sources` are read as they are: no source recorded."""
    (tmp_path / MARKER).write_text(json.dumps({"version": "2.19.4", "missing": {},
                                               "plugins": {"opensearch-index-management": "2.19.4.0"}}))
    dist = read_distribution(tmp_path)
    assert dist is not None and dist.plugins == {"opensearch-index-management": "2.19.4.0"} and dist.sources == {}
