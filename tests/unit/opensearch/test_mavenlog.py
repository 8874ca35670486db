"""Maven's failures reduced to one line: the first compiler error, or what could not be resolved."""
from __future__ import annotations

from pathlib import Path

from efklab.opensearch.mavenlog import first_compiler_error, summarize_maven_error

CASES = Path(__file__).parent / "cases" / "ismbuild"
SOURCE = Path("/build/source/opensearch-index-management-2.19.4.0")


def test_a_kotlin_error_is_named_by_its_place_in_the_source_release() -> None:
    """A recorded kotlin-maven-plugin failure gives the file relative to the source tree, line, column, message."""
    assert first_compiler_error((CASES / "kotlin-compile-error.log").read_text(), SOURCE) == (
        "spi/src/main/kotlin/org.opensearch.indexmanagement.spi/IndexManagementExtension.kt:53:19: "
        "Unresolved reference: undefinedName")


def test_a_java_error_is_named_the_same_way() -> None:
    log = f"[INFO] x\n[ERROR] {SOURCE}/src/main/kotlin/org/X.java:[3,1] class, interface, enum, or record expected\n"
    assert first_compiler_error(log, SOURCE) == (
        "src/main/kotlin/org/X.java:3:1: class, interface, enum, or record expected")


def test_a_build_without_compiler_errors_has_none() -> None:
    assert first_compiler_error((CASES / "warm-build.log").read_text(), SOURCE) is None
    assert first_compiler_error((CASES / "offline-empty-repository.log").read_text(), SOURCE) is None


def test_a_build_plugin_maven_cannot_resolve_is_one_line_without_addresses() -> None:
    """An empty local repository and no network: the first thing Maven needs (the Kotlin plugin) is named."""
    line = summarize_maven_error((CASES / "offline-empty-repository.log").read_text())
    assert line == ("org.jetbrains.kotlin:kotlin-maven-plugin:jar:1.8.21 is not in the local Maven repository "
                    "and Maven is offline")
