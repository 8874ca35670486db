"""fluent-plugin-concat behaviour, one case per behaviour, read from tests/unit/fluentd/concat/cases/*.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest

from efklab.multiline.cases import Case, load_cases, run_case

CASE_DIR = Path(__file__).parent / "cases"
CASES = [case for path in sorted(CASE_DIR.glob("*.yaml")) for case in load_cases(path)]


def _id(case: Case) -> str:
    return f"{Path(case.source).stem}: {case.name}"


def test_the_case_files_hold_cases() -> None:
    """Every case file under cases/ loads and the table is not empty."""
    assert len(CASES) >= 80


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_concat_case(case: Case) -> None:
    """The engine emits exactly what the case expects (each case states one plugin behaviour)."""
    result = run_case(case)
    assert result.ok, "\n".join(result.failures)
