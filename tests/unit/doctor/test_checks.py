"""Each doctor check, demonstrated: a case that triggers it (severity, evidence) and one that must not."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from efklab.doctor.findings import worst
from efklab.doctor.registry import CHECKS
from tests.unit.doctor.doctorcase import load_doctor_cases, run_doctor_case

CASE_DIR = Path(__file__).parent / "cases"
CASES = [case for path in sorted(CASE_DIR.glob("*.yaml")) for case in load_doctor_cases(path)]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_doctor_check_case(case: dict[str, Any], tmp_path: Path) -> None:
    """The check runs on the case's inputs and reports exactly the severity, title, evidence and place stated."""
    report = run_doctor_case(case, tmp_path)
    (run,) = report.runs
    assert run.status != "skipped", run.reason
    found = [f.to_json() for f in report.findings]
    shown = json.dumps(found, indent=2, ensure_ascii=False)
    assert (worst(report.findings) or "none") == case["expect"], shown
    for key, field in (("title", "title"), ("where", "where")):
        if key in case:
            assert any(case[key] in (f[field] or "") for f in found), f"no {field} contains {case[key]!r}:\n{shown}"
    if "evidence" in case:
        assert any(case["evidence"] in line for f in found for line in f["evidence"]), (
            f"no evidence line contains {case['evidence']!r}:\n{shown}")
    assert all(f["why"] and f["fix"] and f["check"] == case["check"] for f in found)


def test_every_check_has_a_case_that_triggers_it_and_one_that_must_not() -> None:
    """The case files cover the whole check table, both ways."""
    outcomes: dict[str, set[bool]] = defaultdict(set)
    for case in CASES:
        outcomes[case["check"]].add(case["expect"] != "none")
    missing = {c.id: sorted({True, False} - outcomes[c.id]) for c in CHECKS if outcomes[c.id] != {True, False}}
    assert missing == {}, "checks without a triggering (True) or a clean (False) case"
