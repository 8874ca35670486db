"""Shared test configuration.  Paths to the shared reference material live here."""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

    from efklab.adapters.opensearch import Connection

ROOT = Path(__file__).resolve().parents[1]
# The shared reference material (seed document, fluentd config corpus) sits beside the
# checkout in CI; EFKLAB_SHARED_DIR points elsewhere (e.g. when testing a fresh clone).
SHARED = Path(os.environ.get("EFKLAB_SHARED_DIR") or ROOT.parent / "shared")
SEED_DOCUMENT = SHARED / "seeds" / "000_29f1129588a3e2c6.txt"
FLUENTD_CORPUS = SHARED / "fluentd-configs"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


# --- the real local OpenSearch node (integration tests) -------------------------------------
# One node per test session, shared by pytest-xdist workers: reused when this checkout's node is
# already up (and then left running), otherwise started here and stopped when the last worker
# is done.  ISM runs its jobs every minute on it when the plugin is installed.


@pytest.fixture(scope="session")
def opensearch_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of this checkout's local node, started for the session if it was not up."""
    from efklab.adapters.localnode import lifecycle as node

    capture = request.config.pluginmanager.getplugin("capturemanager")

    def progress(text: str) -> None:
        """The node's preparation on the terminal, past pytest's output capture: on a clean machine the first
        start fetches OpenSearch and builds the ISM plugin for minutes, which must not look like a hang."""
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            sys.stderr.write(f"\n[efklab node] {text}\n")
            sys.stderr.flush()

    with node.leased_node(fast_ism=True, say=progress) as state:
        yield state.url


@pytest.fixture(scope="session")
def opensearch_connection(opensearch_url: str) -> Connection:
    """A connection to the local node (no credentials: the node has no security plugin)."""
    from efklab.adapters.opensearch import connection_from_env

    return connection_from_env(opensearch_url, env={})


@pytest.fixture(scope="session")
def opensearch_client(opensearch_connection: Connection) -> OpenSearch:
    """An opensearch-py client for the local node, built by efklab's adapter."""
    from efklab.adapters.opensearch import make_client

    return make_client(opensearch_connection)
