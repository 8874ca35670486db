"""Engine versions as plain facts: spellings, Java per version, artifacts, state folders, what each accepts."""
from __future__ import annotations

from pathlib import Path

import pytest

from efklab.errors import UsageError
from efklab.opensearch.engines import (
    DEFAULT,
    ELASTICSEARCH,
    KNOWN_VERSIONS,
    OPENSEARCH,
    EngineVersion,
    choose_java_for,
    parse_engine_version,
    state_dir_for,
)
from efklab.opensearch.nodeconfig import settings_from_env

PACKAGE = Path("/somewhere/site-packages/efklab")
JDKS = [(Path("/jvm/11"), 11), (Path("/jvm/17"), 17), (Path("/jvm/21"), 21), (Path("/jvm/25"), 25)]


@pytest.mark.parametrize(("text", "engine", "version"), [
    ("2.19.4", OPENSEARCH, "2.19.4"),
    ("os-1.3.20", OPENSEARCH, "1.3.20"),
    ("opensearch-3.1.0", OPENSEARCH, "3.1.0"),
    ("es-7.10.2", ELASTICSEARCH, "7.10.2"),
    ("Elasticsearch-7.10.2", ELASTICSEARCH, "7.10.2"),
    ("7.10.2", ELASTICSEARCH, "7.10.2"),
])
def test_every_spelling_names_one_engine_and_version(text: str, engine: str, version: str) -> None:
    """A bare 7.x is Elasticsearch (OpenSearch has no 7.x); a prefix names the engine."""
    assert parse_engine_version(text) == EngineVersion(engine, version)


def test_engine_option_names_the_engine_of_a_bare_version_and_must_agree_with_a_prefix() -> None:
    assert parse_engine_version("7.10.2", engine=ELASTICSEARCH).engine == ELASTICSEARCH
    with pytest.raises(UsageError, match="names opensearch, but --engine says elasticsearch"):
        parse_engine_version("os-2.19.4", engine=ELASTICSEARCH)


@pytest.mark.parametrize("text", ["2.19", "latest", "es-8.15.0", "opensearch-7.10.2", "4.0.0"])
def test_versions_efklab_cannot_run_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_engine_version(text)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("version", "expected"), [
    ("es-7.10.2", Path("/jvm/17")), ("1.3.20", Path("/jvm/17")), ("2.19.4", Path("/jvm/21")),
    ("3.1.0", Path("/jvm/25")),
])
def test_each_version_gets_the_newest_java_it_runs_on(version: str, expected: Path) -> None:
    """7.10 and 1.x: 11-17; 2.x: 11-21 (the security manager); 3.x: 21 and later."""
    assert choose_java_for(parse_engine_version(version), JDKS) == expected


def test_no_fitting_java_for_3x_when_only_17_is_installed() -> None:
    only17 = [(Path("/jvm/17"), 17)]
    assert choose_java_for(parse_engine_version("3.1.0"), only17) is None
    assert parse_engine_version("3.1.0").java_text == "Java 21+"


def test_a_preferred_java_wins_only_when_it_fits_the_version() -> None:
    assert choose_java_for(DEFAULT, JDKS, preferred=Path("/jvm/11")) == Path("/jvm/11")
    assert choose_java_for(DEFAULT, JDKS, preferred=Path("/jvm/25")) == Path("/jvm/21")


def test_artifacts_are_the_integ_test_distributions_of_each_engine() -> None:
    es, os1 = parse_engine_version("es-7.10.2"), parse_engine_version("1.3.20")
    assert es.artifact == "org.elasticsearch.distribution.integ-test-zip:elasticsearch:7.10.2:zip"
    assert os1.artifact == "org.opensearch.distribution.integ-test-zip:opensearch:1.3.20:zip"
    assert (es.program, es.config_file, es.plugins) == ("elasticsearch", "elasticsearch.yml", ())


def test_what_each_version_does_with_type_and_ism() -> None:
    """Checked on real nodes: 7.10.2 and 1.3.20 accept _type (one per index); 2.19.4 and 3.1.0 refuse it."""
    facts = {v.key: (v.accepts_type, v.ism_apis, v.has_replica_default) for v in KNOWN_VERSIONS}
    assert facts == {
        "elasticsearch-7.10.2": (True, (), False),
        "opensearch-1.3.20": (True, ("_plugins/_ism", "_opendistro/_ism"), False),
        "opensearch-2.19.4": (False, ("_plugins/_ism", "_opendistro/_ism"), True),
        "opensearch-3.1.0": (False, ("_plugins/_ism",), True),
    }


def test_the_default_version_keeps_its_state_folder_and_every_other_gets_its_own() -> None:
    base = Path("/checkout/.efklab/node")
    assert state_dir_for(base, DEFAULT) == base
    assert state_dir_for(base, parse_engine_version("1.3.20")) == Path("/checkout/.efklab/node-opensearch-1.3.20")
    assert state_dir_for(base, parse_engine_version("es-7.10.2")) == Path(
        "/checkout/.efklab/node-elasticsearch-7.10.2")


def test_settings_from_the_environment_follow_the_version() -> None:
    """EFKLAB_OPENSEARCH_VERSION takes every spelling; cache and state folders are keyed by engine and version."""
    env = {"HOME": "/home/u", "EFKLAB_STATE_DIR": "/state/node", "EFKLAB_OPENSEARCH_VERSION": "es-7.10.2"}
    settings = settings_from_env(env, package_dir=PACKAGE)
    assert (settings.engine, settings.version) == (ELASTICSEARCH, "7.10.2")
    assert settings.state_dir == Path("/state/node-elasticsearch-7.10.2")
    assert settings.distribution_dir == Path("/home/u/.cache/efklab/elasticsearch-7.10.2")
    default = settings_from_env({"HOME": "/home/u", "EFKLAB_STATE_DIR": "/state/node"}, package_dir=PACKAGE)
    assert default.state_dir == Path("/state/node") and default.distribution_dir.name == "opensearch-2.19.4"
