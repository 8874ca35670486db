"""Fixtures for the differential suite: node, and the seed Lambda's code cut from the seed document."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import SEED_DOCUMENT
from tests.differential.oracle import NodeOracle, extract_seed_lambda, find_node


@pytest.fixture(scope="session")
def node() -> str:
    path = find_node()
    if path is None:
        pytest.skip("node is not installed: the differential tests run JavaScript itself as the oracle")
    return path


@pytest.fixture(scope="session")
def seed_code() -> str:
    if not SEED_DOCUMENT.is_file():
        pytest.skip(f"the seed document is not here ({SEED_DOCUMENT}); set EFKLAB_SHARED_DIR to the shared material")
    return extract_seed_lambda(SEED_DOCUMENT.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_oracle(node: str, seed_code: str) -> Iterator[NodeOracle]:
    oracle = NodeOracle(node, seed_code)
    yield oracle
    oracle.close()


@pytest.fixture(scope="session")
def js_oracle(node: str) -> Iterator[NodeOracle]:
    oracle = NodeOracle(node)
    yield oracle
    oracle.close()
