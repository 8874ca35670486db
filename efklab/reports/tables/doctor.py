"""Tables of a doctor report for notebook 00-doctor: what was read, the findings, every check.

A finding has seven long fields (evidence lines, why, fix): as a table row it is thousands of
pixels wide, so :func:`findings_cards` shows each one as a card with its fields under each other.
"""
from __future__ import annotations

import pandas as pd

from efklab.doctor.findings import worst_first
from efklab.doctor.registry import DoctorReport
from efklab.reports.present import Cards, cards, human, shorten

FINDING_COLUMNS = ["severity", "check", "found", "where", "evidence", "why", "fix"]


def findings_table(report: DoctorReport) -> pd.DataFrame:
    """Findings (severity, check, what, where, evidence, why, fix), errors first."""
    rows = [{"severity": f.severity, "check": f.check, "found": f.title, "where": f.where or "",
             "evidence": "\n".join(f.evidence), "why": f.why, "fix": f.fix} for f in worst_first(report.findings)]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def findings_cards(report: DoctorReport) -> Cards:
    """One card per finding, errors first: severity, what was found, then where, evidence, why and the fix."""
    items = [{"severity": f.severity, "title": f"{f.title} ({f.check})", "where": shorten(f.where or ""),
              "evidence": "\n".join(shorten(line) for line in f.evidence), "why": f.why, "fix": shorten(f.fix)}
             for f in worst_first(report.findings)]
    return cards(items, title_key="title", badge_key="severity", fields=("where", "evidence", "why", "fix"),
                 empty="no finding: every check that ran is clean")


def inputs_table(report: DoctorReport) -> pd.DataFrame:
    """What was read: one row per input with its figures."""
    rows = [{"input": name, "read": shorten(_figures(value))} for name, value in report.inputs.items()]
    return pd.DataFrame(rows, columns=["input", "read"])


def checks_table(report: DoctorReport) -> pd.DataFrame:
    """Every check that was asked for: ran clean, found something, or skipped and why."""
    return pd.DataFrame([{"check": r.id, "status": r.status, "findings": r.findings, "skipped because": r.reason}
                         for r in report.runs])


def _figures(value: object) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k} {human(v, str(k))}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "\n".join(human(v) for v in value)
    return human(value)
