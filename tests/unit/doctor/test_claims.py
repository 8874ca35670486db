"""The behaviour each concat finding's "why" states, checked on the concat engine as `efklab test` cases."""
from __future__ import annotations

from pathlib import Path

import pytest

from efklab.multiline.cases import Case, load_cases, run_case

CLAIMS = [case for path in sorted((Path(__file__).parent / "claims").glob("*.yaml")) for case in load_cases(path)]


@pytest.mark.parametrize("case", CLAIMS, ids=[c.name for c in CLAIMS])
def test_the_engine_does_what_the_finding_says(case: Case) -> None:
    """Each claim case passes: the grouping, the routes and the lines are the ones the finding describes."""
    result = run_case(case)
    assert result.ok, "\n".join(result.failures)
