"""Deciding how the ISM plugin is built from its source: which tarball, versions, zip layout, progress."""
from __future__ import annotations

from pathlib import Path

import pytest

from efklab.opensearch.ismbuild import (
    DESCRIPTOR,
    UNRECORDED,
    BuildProgress,
    advance,
    built_provenance,
    built_zip_name,
    choose_source,
    default_source,
    describe_plugins,
    descriptor_text,
    format_elapsed,
    plugin_version,
    pom_values,
    recipe_for,
    render_template,
    shared_dir_for,
    source_opensearch_version,
    source_root,
    zip_entries,
)
from efklab.opensearch.nodeconfig import ism_source_from_env, settings_from_env

CASES = Path(__file__).parent / "cases" / "ismbuild"
RECIPE = recipe_for("2.19.4")
VENDORED = Path("/shared/vendor/opensearch-index-management-2.19.4.0-src.tar.gz")
SOURCE_NAMES = [
    "opensearch-index-management-2.19.4.0/",
    "opensearch-index-management-2.19.4.0/LICENSE",
    "opensearch-index-management-2.19.4.0/NOTICE",
    "opensearch-index-management-2.19.4.0/build.gradle",
    "opensearch-index-management-2.19.4.0/spi/src/main/kotlin/org.opensearch.indexmanagement.spi/Ext.kt",
    "opensearch-index-management-2.19.4.0/src/main/kotlin/org/opensearch/indexmanagement/Plugin.kt",
    "opensearch-index-management-2.19.4.0/src/main/plugin-metadata/plugin-security.policy",
]


def test_the_plugin_release_of_an_opensearch_release_adds_a_fourth_number() -> None:
    assert plugin_version("2.19.4") == "2.19.4.0"


def test_a_recipe_exists_for_the_proven_release_line_only() -> None:
    """2.19.x builds with the proven versions; another line has no recipe rather than a guessed one."""
    assert RECIPE is not None and (RECIPE.kotlin, RECIPE.java_release) == ("1.8.21", "11")
    assert recipe_for("2.19.0") == RECIPE
    assert recipe_for("2.18.0") is None and recipe_for("3.0.0") is None


def test_the_vendored_tarball_sits_in_the_shared_vendor_folder() -> None:
    assert default_source(Path("/shared"), "2.19.4") == VENDORED


def test_the_shared_folder_is_beside_the_checkout_unless_the_environment_names_one() -> None:
    assert shared_dir_for({}, Path("/work/main")) == Path("/work/shared")
    assert shared_dir_for({"EFKLAB_SHARED_DIR": "/elsewhere"}, Path("/work/main")) == Path("/elsewhere")
    assert shared_dir_for({}, None) is None  # an installed package has no checkout beside it


@pytest.mark.parametrize(
    ("explicit", "default_exists", "chosen"),
    [
        ("/tmp/ism.tar.gz", True, Path("/tmp/ism.tar.gz")),  # --ism-source / EFKLAB_ISM_SOURCE wins
        ("/tmp/ism.tar.gz", False, Path("/tmp/ism.tar.gz")),  # and is used even when missing: the build says so
        ("none", True, None),  # never build
        ("NONE", True, None),
        (None, True, VENDORED),
        ("", True, VENDORED),  # an empty variable is as good as unset
        (None, False, None),  # nothing to build from
    ],
)
def test_the_source_to_build_from(explicit: str | None, default_exists: bool, chosen: Path | None) -> None:
    assert choose_source(explicit, VENDORED, default_exists) == chosen


def test_the_cached_zip_is_keyed_by_version_and_tarball_content() -> None:
    sha = "bbeac2bb7a72ee62" + "0" * 48
    assert built_zip_name("2.19.4", sha) == "opensearch-index-management-2.19.4.0-built-bbeac2bb7a72ee62.zip"
    assert built_zip_name("2.19.4", "f" + sha[1:]) != built_zip_name("2.19.4", sha)
    assert built_provenance(VENDORED, sha) == f"built from source {VENDORED} (sha256 bbeac2bb7a72)"


def test_plugins_are_described_with_where_they_came_from() -> None:
    """Each installed plugin with its source; a marker older than sources says so instead of guessing."""
    plugins = {"opensearch-job-scheduler": "2.19.4.0", "opensearch-index-management": "2.19.4.0"}
    assert describe_plugins(plugins, {"opensearch-job-scheduler": "maven",
                                      "opensearch-index-management": "built from source /v.tar.gz (sha256 ab)"}) == (
        "opensearch-job-scheduler 2.19.4.0 (maven), opensearch-index-management 2.19.4.0 (built from source "
        "/v.tar.gz (sha256 ab))")
    assert describe_plugins({"opensearch-job-scheduler": "2.19.4.0"}, {}) == (
        f"opensearch-job-scheduler 2.19.4.0 ({UNRECORDED})")
    assert describe_plugins({}, {}) == "none"


def test_a_source_release_has_one_top_folder_with_both_modules() -> None:
    assert source_root(SOURCE_NAMES) == "opensearch-index-management-2.19.4.0"


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([*SOURCE_NAMES, "other/README"], "expected one top folder, found 2"),
        ([n for n in SOURCE_NAMES if "/spi/" not in n], "no spi/src/main/kotlin under opensearch-index-management"),
        ([n for n in SOURCE_NAMES if not n.endswith(("LICENSE", ".policy"))],
         "no LICENSE, src/main/plugin-metadata/plugin-security.policy under"),
        ([], "expected one top folder, found 0"),
    ],
)
def test_a_tarball_that_is_not_an_ism_source_release_is_refused(names: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        source_root(names)


def test_the_source_says_which_opensearch_it_builds_for() -> None:
    """build.gradle's default opensearch.version (a -SNAPSHOT in the source release) names the node version."""
    gradle = 'opensearch_version = System.getProperty("opensearch.version", "2.19.4-SNAPSHOT")\n'
    assert source_opensearch_version(gradle) == "2.19.4"
    assert source_opensearch_version("apply plugin: 'java'\n") is None


def test_templates_are_filled_and_maven_properties_kept() -> None:
    text = "<version>@plugin.version@</version><x>${project.version}</x><k>@kotlin.version@</k>"
    assert RECIPE is not None
    assert render_template(text, pom_values("2.19.4", RECIPE)) == (
        "<version>2.19.4.0</version><x>${project.version}</x><k>1.8.21</k>")
    with pytest.raises(ValueError, match=r"no value for @unknown\.key@"):
        render_template("@unknown.key@", {})


def test_the_descriptor_has_the_fields_opensearch_reads() -> None:
    """The fields upstream's bundlePlugin writes; OpenSearch refuses a plugin without description or java.version."""
    assert RECIPE is not None
    assert descriptor_text("2.19.4", RECIPE).splitlines() == [
        "description=OpenSearch Index Management Plugin",
        "version=2.19.4.0",
        "name=opensearch-index-management",
        "classname=org.opensearch.indexmanagement.IndexManagementPlugin",
        "java.version=11",
        "opensearch.version=2.19.4",
        "extended.plugins=opensearch-job-scheduler",
        "has.native.controller=false",
    ]


def test_the_zip_holds_the_plugin_jar_bundled_jars_policy_and_licences_at_its_top() -> None:
    source = Path("/src/ism")
    plugin = Path("/t/opensearch-index-management-2.19.4.0.jar")
    bundled = [Path("/t/bundle/kotlin-stdlib-1.8.21.jar"), Path("/t/bundle/annotations-13.0.jar")]
    entries = zip_entries(plugin, bundled, source)
    assert [name for name, _ in entries] == [
        "opensearch-index-management-2.19.4.0.jar", "annotations-13.0.jar", "kotlin-stdlib-1.8.21.jar",
        "plugin-security.policy", "LICENSE.txt", "NOTICE.txt"]
    assert dict(entries)["LICENSE.txt"] == source / "LICENSE"
    assert dict(entries)["plugin-security.policy"] == source / "src/main/plugin-metadata/plugin-security.policy"


def test_the_zip_refuses_two_files_under_one_name() -> None:
    with pytest.raises(ValueError, match="duplicate entries"):
        zip_entries(Path("/t/p.jar"), [Path("/a/x.jar"), Path("/b/x.jar")], Path("/src"))
    with pytest.raises(ValueError, match="duplicate entries"):
        zip_entries(Path("/t/p.jar"), [Path(f"/a/{DESCRIPTOR}")], Path("/src"))


def _steps(lines: list[str]) -> list[str]:
    progress, steps = BuildProgress(), []
    for line in lines:
        progress, moved = advance(progress, line)
        if moved:
            steps.append(progress.describe())
    return steps


def test_progress_follows_the_modules_and_steps_of_a_real_build() -> None:
    """A recorded Maven run (warm repository) reads as module-by-module steps, tests skipped once each."""
    steps = _steps((CASES / "warm-build.log").read_text().splitlines())
    spi, plugin = "opensearch-index-management-spi [2/3]", "opensearch-index-management [3/3]"
    assert f"{spi}: compiling Kotlin" in steps and f"{plugin}: compiling Kotlin" in steps
    assert steps.index(f"{spi}: packaging the jar") < steps.index(f"{plugin}: compiling Kotlin")
    assert steps[-1] == f"{plugin}: collecting the jars to bundle"
    assert steps.count(f"{plugin}: skipping tests") == 1


def test_progress_counts_downloads_of_a_cold_build() -> None:
    lines = ["[INFO] Downloading from central: https://repository.invalid/maven2/a/b/1/b-1.pom",
             "[INFO] Downloaded from central: https://repository.invalid/maven2/a/b/1/b-1.pom (2 kB at 9 kB/s)",
             "Downloaded from central: https://repository.invalid/maven2/a/c/1/c-1.jar (1 MB at 9 MB/s)"]
    progress = BuildProgress()
    for line in lines:
        progress, moved = advance(progress, line)
        assert not moved
    assert progress.describe() == "resolving the build plugins (2 files downloaded so far)"


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (59.9, "59s"), (60, "1m00s"), (267.6, "4m27s")])
def test_elapsed_time_reads_as_minutes_and_seconds(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


def _checkout(tmp_path: Path) -> Path:
    """<tmp>/main is a checkout (pyproject.toml + .git) and <tmp>/shared/vendor holds the tarball."""
    main = tmp_path / "main"
    (main / ".git").mkdir(parents=True)
    (main / "pyproject.toml").write_text("")
    tarball = default_source(tmp_path / "shared", "2.19.4")
    tarball.parent.mkdir(parents=True)
    tarball.write_bytes(b"")
    return main


def test_node_settings_find_the_vendored_tarball_beside_the_checkout(tmp_path: Path) -> None:
    main = _checkout(tmp_path)
    assert settings_from_env({"HOME": "/h"}, package_dir=main / "efklab").ism_source == (
        tmp_path / "shared" / "vendor" / "opensearch-index-management-2.19.4.0-src.tar.gz")


def test_node_settings_follow_the_environment_for_the_ism_source(tmp_path: Path) -> None:
    main = _checkout(tmp_path)
    package = main / "efklab"
    assert ism_source_from_env({"EFKLAB_ISM_SOURCE": "none"}, package, "2.19.4") is None
    assert ism_source_from_env({"EFKLAB_ISM_SOURCE": "/x/y.tar.gz"}, package, "2.19.4") == Path("/x/y.tar.gz")
    assert ism_source_from_env({"EFKLAB_SHARED_DIR": str(tmp_path / "empty")}, package, "2.19.4") is None
    assert ism_source_from_env({}, package, "2.19.3") is None  # no tarball for that version
    assert ism_source_from_env({}, tmp_path / "site-packages" / "efklab", "2.19.4") is None  # not a checkout
