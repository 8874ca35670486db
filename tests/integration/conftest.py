"""Integration tests: ISM scenarios that take minutes of the plugin's time start first and are judged last.

When ``test_retention_rehearsal.py`` is selected, its tests are moved to the end of the session
and :class:`tests.integration.retention_scenarios.RetentionScenarios` starts with the first
integration test, so the minutes the ISM job needs overlap the rest of the suite.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.retention_scenarios import RetentionScenarios

LATE_MODULE = "test_retention_rehearsal.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ISM scenario tests run last (their waiting overlaps everything before them)."""
    late = [item for item in items if item.path.name == LATE_MODULE]
    if late:
        items[:] = [item for item in items if item.path.name != LATE_MODULE] + late


@pytest.fixture(scope="session")
def _scenarios_holder() -> Iterator[dict[str, RetentionScenarios]]:
    holder: dict[str, RetentionScenarios] = {}
    yield holder
    if "started" in holder:
        holder["started"].clean_up()


@pytest.fixture(autouse=True)
def _ism_scenarios_start_early(request: pytest.FixtureRequest,
                               _scenarios_holder: dict[str, RetentionScenarios]) -> None:
    """Start the ISM scenarios with the first integration test, when their judging test is selected."""
    if "started" in _scenarios_holder or not any(i.path.name == LATE_MODULE for i in request.session.items):
        return
    url = request.getfixturevalue("opensearch_url")
    scenarios = RetentionScenarios(url, request.getfixturevalue("opensearch_client"),
                                   request.getfixturevalue("opensearch_connection"),
                                   request.getfixturevalue("tmp_path_factory").mktemp("ism-scenarios"))
    scenarios.start()
    _scenarios_holder["started"] = scenarios


@pytest.fixture(scope="session")
def retention_scenarios(_scenarios_holder: dict[str, RetentionScenarios]) -> RetentionScenarios:
    """The running scenarios (started by the first integration test), joined: every poll done."""
    scenarios = _scenarios_holder["started"]
    scenarios.join()
    return scenarios
