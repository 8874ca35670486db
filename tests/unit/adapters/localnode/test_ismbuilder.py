"""The ISM build's file work: pom templates, unpacking the source, the zip, the cache (no Maven run)."""
from __future__ import annotations

import io
import re
import tarfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from efklab.adapters.localnode.ismbuilder import (
    POMS,
    assemble_zip,
    ensure_ism_zip,
    sha256_of,
    unpack_source,
    write_project,
)
from efklab.errors import NodeError
from efklab.opensearch.ismbuild import built_zip_name, recipe_for

RECIPE = recipe_for("2.19.4")
ROOT = "opensearch-index-management-2.19.4.0"
POM = "{http://maven.apache.org/POM/4.0.0}"
NO_JAVA = Path("/nonexistent/jdk")  # every case here stops before Maven would need it


def source_tarball(path: Path, *, opensearch: str = "2.19.4", skip: str = "") -> Path:
    files = {
        "LICENSE": "Apache License 2.0\n", "NOTICE": "notice\n",
        "build.gradle": f'opensearch_version = System.getProperty("opensearch.version", "{opensearch}-SNAPSHOT")\n',
        "spi/src/main/kotlin/org.opensearch.indexmanagement.spi/Ext.kt": "interface Ext\n",
        "src/main/kotlin/org/opensearch/indexmanagement/Plugin.kt": "class Plugin\n",
        "src/main/plugin-metadata/plugin-security.policy": "grant {};\n",
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            if skip and name.startswith(skip):
                continue
            data = text.encode()
            info = tarfile.TarInfo(f"{ROOT}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def dependencies(pom: Path) -> dict[str, str]:
    """artifactId -> scope of a pom's dependencies (compile when unset)."""
    root = ET.parse(pom).getroot()
    return {d.findtext(f"{POM}artifactId") or "": d.findtext(f"{POM}scope") or "compile"
            for d in root.iterfind(f"{POM}dependencies/{POM}dependency")}


def test_the_shipped_poms_render_to_a_parent_an_spi_and_the_plugin(tmp_path: Path) -> None:
    """Filled in for 2.19.4: well-formed, no placeholder left, the versions of the proven build."""
    assert RECIPE is not None
    project = write_project(tmp_path, "2.19.4", RECIPE)
    texts = {p: (project / p).read_text() for p in ("pom.xml", "spi/pom.xml", "plugin/pom.xml")}
    assert not [t for t in texts.values() if re.search(r"@[a-z][a-z.-]*@", t)]
    parent = ET.parse(project / "pom.xml").getroot()
    versions = {d.findtext(f"{POM}artifactId"): d.findtext(f"{POM}version")
                for d in parent.iterfind(f"{POM}dependencyManagement/{POM}dependencies/{POM}dependency")}
    assert versions["opensearch"] == "${opensearch.version}" and "<opensearch.version>2.19.4<" in texts["pom.xml"]
    assert (versions["opensearch-job-scheduler-spi"], versions["common-utils"]) == ("2.19.4.0", "2.19.4.0")
    assert (versions["kotlinx-coroutines-core"], versions["ipaddress"], versions["commons-codec"],
            versions["httpclient"], versions["httpcore"]) == ("1.3.9", "5.4.1", "1.17.2", "4.5.14", "4.4.16")
    assert [m.text for m in parent.iterfind(f"{POM}modules/{POM}module")] == ["spi", "plugin"]


def test_the_plugin_bundles_what_upstream_implements_and_not_what_opensearch_provides(tmp_path: Path) -> None:
    assert RECIPE is not None
    plugin = dependencies(write_project(tmp_path, "2.19.4", RECIPE) / "plugin" / "pom.xml")
    assert {a for a, scope in plugin.items() if scope == "provided"} == {"opensearch", "opensearch-job-scheduler-spi"}
    assert {a for a, scope in plugin.items() if scope == "compile"} == {
        "opensearch-index-management-spi", "common-utils", "kotlin-stdlib", "kotlin-stdlib-common",
        "kotlin-stdlib-jdk7", "kotlinx-coroutines-core", "annotations", "ipaddress", "commons-codec",
        "httpclient", "httpcore"}
    spi = dependencies(tmp_path / "spi" / "pom.xml")
    assert set(spi.values()) == {"provided"}  # the spi jar holds only its own classes


def test_the_templates_ship_with_the_package() -> None:
    assert sorted(p.name for p in POMS.glob("*.xml")) == ["plugin.pom.xml", "pom.xml", "spi.pom.xml"]


def test_a_source_release_unpacks_to_its_root(tmp_path: Path) -> None:
    source = unpack_source(source_tarball(tmp_path / "s.tar.gz"), tmp_path / "out", "2.19.4")
    assert source == tmp_path / "out" / ROOT and (source / "spi" / "src" / "main" / "kotlin").is_dir()


def _build(tarball: Path, cache: Path) -> None:
    ensure_ism_zip(tarball, "2.19.4", cache, cache / ".work", NO_JAVA, say=lambda _: None)


def test_a_truncated_tarball_fails_in_one_line_and_caches_no_zip(tmp_path: Path) -> None:
    whole = source_tarball(tmp_path / "whole.tar.gz").read_bytes()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(whole[: len(whole) // 2])
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(NodeError) as caught:
        _build(broken, cache)
    assert str(caught.value).startswith(f"{broken}: cannot unpack the ISM source: truncated or damaged archive (")
    assert "\n" not in str(caught.value)
    assert not list(cache.glob("*.zip")) and not list(cache.glob(".*partial*"))


@pytest.mark.parametrize(
    ("skip", "opensearch", "message"),
    [
        ("spi/", "2.19.4", f"not an opensearch-index-management source release: no spi/src/main/kotlin under {ROOT}/"),
        ("", "2.18.0", "this ISM source builds for OpenSearch 2.18.0, the node runs 2.19.4"),
        ("build.gradle", "2.19.4", "no build.gradle"),
    ],
)
def test_a_tarball_of_something_else_is_refused_in_one_line(tmp_path: Path, skip: str, opensearch: str,
                                                             message: str) -> None:
    tarball = source_tarball(tmp_path / "other.tar.gz", opensearch=opensearch, skip=skip)
    with pytest.raises(NodeError, match=message.replace(".", r"\.")):
        _build(tarball, tmp_path)
    assert not list(tmp_path.glob("*.zip"))


def test_a_missing_tarball_is_named(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match=f"^{tmp_path}/nope.tar.gz: no such ISM source tarball"):
        _build(tmp_path / "nope.tar.gz", tmp_path)


def test_a_zip_built_earlier_from_the_same_tarball_is_reused(tmp_path: Path) -> None:
    """Same version and tarball content: no build (here none could run: no Java, no Maven project)."""
    tarball = source_tarball(tmp_path / "s.tar.gz")
    cached = tmp_path / built_zip_name("2.19.4", sha256_of(tarball))
    with zipfile.ZipFile(cached, "w") as z:
        z.writestr("plugin-descriptor.properties", "name=x\n")
    said: list[str] = []
    built = ensure_ism_zip(tarball, "2.19.4", tmp_path, tmp_path / ".work", NO_JAVA, say=said.append)
    assert built.zip == cached and built.provenance.startswith(f"built from source {tarball} (sha256 ")
    assert said == [f"using {cached.name}, built earlier from s.tar.gz"]


def test_the_zip_is_assembled_from_mavens_output_and_the_source(tmp_path: Path) -> None:
    assert RECIPE is not None
    source = unpack_source(source_tarball(tmp_path / "s.tar.gz"), tmp_path / "src", "2.19.4")
    target = tmp_path / "target"
    (target / "bundle").mkdir(parents=True)
    (target / "opensearch-index-management-2.19.4.0.jar").write_bytes(b"plugin")
    for jar in ("opensearch-index-management-spi-2.19.4.0.jar", "kotlin-stdlib-1.8.21.jar"):
        (target / "bundle" / jar).write_bytes(jar.encode())
    out = tmp_path / "cache" / "ism.zip"
    out.parent.mkdir()
    assemble_zip(target, source, "2.19.4", RECIPE, out)
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == sorted([
            "opensearch-index-management-2.19.4.0.jar", "opensearch-index-management-spi-2.19.4.0.jar",
            "kotlin-stdlib-1.8.21.jar", "plugin-security.policy", "LICENSE.txt", "NOTICE.txt",
            "plugin-descriptor.properties"])
        assert z.read("LICENSE.txt") == b"Apache License 2.0\n"
        assert b"extended.plugins=opensearch-job-scheduler\n" in z.read("plugin-descriptor.properties")
    assert [p.name for p in out.parent.iterdir()] == ["ism.zip"]


def test_maven_output_without_the_plugin_jar_writes_no_zip(tmp_path: Path) -> None:
    assert RECIPE is not None
    source = unpack_source(source_tarball(tmp_path / "s.tar.gz"), tmp_path / "src", "2.19.4")
    (tmp_path / "target" / "bundle").mkdir(parents=True)
    with pytest.raises(NodeError, match=r"mvn succeeded but left no opensearch-index-management-2\.19\.4\.0\.jar"):
        assemble_zip(tmp_path / "target", source, "2.19.4", RECIPE, tmp_path / "ism.zip")
    assert not (tmp_path / "ism.zip").exists()
