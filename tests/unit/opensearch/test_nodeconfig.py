"""The local cluster's shape as plain data: Java choice, settings, ports, node config, startup logs."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from efklab.errors import UsageError
from efklab.opensearch.nodeconfig import (
    DEFAULT_VERSION,
    choose_java,
    cluster_name,
    parse_java_version,
    plan_nodes,
    render_heap_options,
    render_node_yml,
    settings_from_env,
    summarize_startup_log,
    validate_jitter,
)

LOGS = Path(__file__).parent / "cases" / "node-logs"
PACKAGE = Path("/somewhere/site-packages/efklab")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('JAVA_VERSION="17.0.15"\nIMPLEMENTOR="Debian"', 17),
        ('JAVA_VERSION="21"', 21),
        ('JAVA_VERSION="25.0.1"', 25),
        ('openjdk version "11.0.22" 2024-01-16\nOpenJDK Runtime Environment', 11),
        ('java version "1.8.0_292"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "24-ea" 2025-03-18', 24),
        ("no version here", None),
    ],
)
def test_parse_java_version(text: str, expected: int | None) -> None:
    """The feature version comes from a release file or `java -version`, old 1.x scheme included."""
    assert parse_java_version(text) == expected


def test_choose_java_prefers_the_preferred_home_when_it_fits() -> None:
    """JAVA_HOME wins when its version is 11-21."""
    homes = [(Path("/jvm/21"), 21), (Path("/jvm/17"), 17)]
    assert choose_java(homes, preferred=Path("/jvm/17")) == Path("/jvm/17")


def test_choose_java_skips_a_preferred_home_that_is_too_new() -> None:
    """A JAVA_HOME of Java 25 (no security manager) is passed over for a fitting JDK."""
    homes = [(Path("/jvm/25"), 25), (Path("/jvm/17"), 17), (Path("/jvm/11"), 11)]
    assert choose_java(homes, preferred=Path("/jvm/25")) == Path("/jvm/17")


def test_choose_java_none_when_nothing_fits() -> None:
    """Only Java 8 and 24 installed: no JDK can run OpenSearch 2.x."""
    assert choose_java([(Path("/jvm/8"), 8), (Path("/jvm/24"), 24), (Path("/x"), None)]) is None


def test_settings_defaults() -> None:
    """Without overrides: the pinned version, ~/.cache/efklab and the user's state folder outside a checkout."""
    s = settings_from_env({"HOME": "/home/u"}, package_dir=PACKAGE)
    assert s.version == DEFAULT_VERSION == "2.19.4"
    assert s.distribution_dir == Path("/home/u/.cache/efklab/opensearch-2.19.4")
    assert s.state_dir == Path("/home/u/.local/state/efklab/node")
    assert s.heap is None and s.java_home is None


def test_settings_in_a_checkout_use_its_efklab_folder(repo_root: Path) -> None:
    """In a source checkout the state lives in <checkout>/.efklab/node."""
    s = settings_from_env({"HOME": "/home/u"}, package_dir=repo_root / "efklab")
    assert s.state_dir == repo_root / ".efklab" / "node"


def test_settings_overrides() -> None:
    """Every EFKLAB_* variable overrides its default (a version not the default lives beside the state folder)."""
    env = {
        "HOME": "/home/u",
        "EFKLAB_OPENSEARCH_VERSION": "2.19.6",
        "EFKLAB_CACHE_DIR": "/c",
        "EFKLAB_STATE_DIR": "/s",
        "EFKLAB_OPENSEARCH_HEAP": "768m",
        "EFKLAB_JAVA_HOME": "/jdk",
        "EFKLAB_NODE_START_TIMEOUT": "30",
    }
    s = settings_from_env(env, package_dir=PACKAGE)
    assert (s.version, s.distribution_dir, s.state_dir, s.heap, s.java_home, s.start_timeout) == (
        "2.19.6", Path("/c/opensearch-2.19.6"), Path("/s-opensearch-2.19.6"), "768m", Path("/jdk"), 30.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [("EFKLAB_OPENSEARCH_VERSION", "latest"), ("EFKLAB_OPENSEARCH_HEAP", "lots"),
     ("EFKLAB_NODE_START_TIMEOUT", "soon")],
)
def test_settings_reject_malformed_values(name: str, value: str) -> None:
    """A malformed override is a one-line UsageError naming the variable."""
    with pytest.raises(UsageError, match=name):
        settings_from_env({"HOME": "/h", name: value}, package_dir=PACKAGE)


def test_single_node_yml() -> None:
    """One node: single-node discovery on loopback, its own data/logs, disk thresholds off, no ISM keys."""
    (plan,) = plan_nodes(Path("/s"), 1, [9200], [9300])
    doc = yaml.safe_load(render_node_yml(plan, (plan,), cluster="efklab-x", ism_installed=False, fast_ism=True,
                                         ism_jitter=None))
    assert doc == {
        "cluster.name": "efklab-x",
        "node.name": "node-0",
        "network.host": "127.0.0.1",
        "http.port": 9200,
        "transport.port": 9300,
        "path.data": "/s/n1/node-0/data",
        "path.logs": "/s/n1/node-0/logs",
        "cluster.routing.allocation.disk.threshold_enabled": False,
        "action.auto_create_index": True,
        "discovery.type": "single-node",
    }


def test_fast_ism_settings_only_with_the_plugin() -> None:
    """--fast-ism sets the minimum job interval and the jitter, which only exist with ISM installed."""
    (plan,) = plan_nodes(Path("/s"), 1, [9200], [9300])
    doc = yaml.safe_load(render_node_yml(plan, (plan,), cluster="c", ism_installed=True, fast_ism=True,
                                         ism_jitter=0.25))
    assert doc["plugins.index_state_management.job_interval"] == 1
    assert doc["plugins.index_state_management.jitter"] == 0.25


def test_three_node_cluster_discovers_itself() -> None:
    """N nodes: distinct ports, seed hosts on every transport port, all nodes bootstrap the cluster."""
    plans = plan_nodes(Path("/s"), 3, [9200, 9201, 9202], [9300, 9301, 9302])
    doc = yaml.safe_load(render_node_yml(plans[1], plans, cluster="c", ism_installed=False, fast_ism=False,
                                         ism_jitter=None))
    assert doc["http.port"] == 9201 and doc["path.data"] == "/s/n3/node-1/data"
    assert doc["discovery.seed_hosts"] == ["127.0.0.1:9300", "127.0.0.1:9301", "127.0.0.1:9302"]
    assert doc["cluster.initial_cluster_manager_nodes"] == ["node-0", "node-1", "node-2"]
    assert "discovery.type" not in doc


def test_plan_nodes_rejects_zero() -> None:
    """--nodes 0 is a usage error."""
    with pytest.raises(UsageError):
        plan_nodes(Path("/s"), 0, [], [])


def test_cluster_names_differ_per_state_folder() -> None:
    """Two checkouts never share a cluster name, so their nodes can never join each other."""
    assert cluster_name(Path("/a")) != cluster_name(Path("/b"))
    assert cluster_name(Path("/a")) == cluster_name(Path("/a"))


def test_heap_options_set_both_bounds() -> None:
    """Equal -Xms and -Xmx, as OpenSearch recommends."""
    assert render_heap_options("512m") == "-Xms512m\n-Xmx512m\n"


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_jitter_out_of_range(value: float) -> None:
    """ISM jitter is a fraction in [0, 1]."""
    with pytest.raises(UsageError):
        validate_jitter(value)


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        ("port-taken.log", "port 9555 is taken by another process"),
        ("as-root.log", "RuntimeException: can not run opensearch as root"),
    ],
)
def test_summarize_startup_log(log: str, expected: str) -> None:
    """Real console output of failed starts is reduced to the one line that says why."""
    assert summarize_startup_log((LOGS / log).read_text()) == expected
