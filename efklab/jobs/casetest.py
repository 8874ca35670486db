"""``efklab test CASES.yaml...``: load every case file, run every case, keep every result.

A file that cannot be loaded (unreadable, malformed, an unknown key) stops the run before any
case runs, and every such file is reported, not only the first.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from efklab.errors import EfklabError
from efklab.multiline.cases import Case, CaseResult, load_cases, run_cases


@dataclass(frozen=True, slots=True)
class CaseRun:
    """The results in file order, or the load problems (then nothing ran)."""

    results: list[CaseResult]
    problems: list[str]

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.ok]


def run_case_files(files: Sequence[str], *, select: str | None = None) -> CaseRun:
    """Run the cases of ``files`` whose name contains ``select`` (all when empty)."""
    cases: list[Case] = []
    problems: list[str] = []
    for path in files:
        try:
            cases.extend(load_cases(path))
        except EfklabError as exc:
            problems.append(str(exc))
    if problems:
        return CaseRun([], problems)
    if select:
        cases = [c for c in cases if select in c.name]
    return CaseRun(run_cases(cases), [])
