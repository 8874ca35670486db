"""Tables of a doctor report for notebook 00-doctor: what was read, the findings, every check."""
from __future__ import annotations

import pandas as pd

from efklab.doctor.findings import worst_first
from efklab.doctor.registry import DoctorReport

FINDING_COLUMNS = ["severity", "check", "found", "where", "evidence", "why", "fix"]


def findings_table(report: DoctorReport) -> pd.DataFrame:
    """Findings (severity, check, what, where, evidence, why, fix), errors first."""
    rows = [{"severity": f.severity, "check": f.check, "found": f.title, "where": f.where or "",
             "evidence": "\n".join(f.evidence), "why": f.why, "fix": f.fix} for f in worst_first(report.findings)]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def inputs_table(report: DoctorReport) -> pd.DataFrame:
    """What was read: one row per input with its figures."""
    rows = [{"input": name, "read": _figures(value)} for name, value in report.inputs.items()]
    return pd.DataFrame(rows, columns=["input", "read"])


def checks_table(report: DoctorReport) -> pd.DataFrame:
    """Every check that was asked for: ran clean, found something, or skipped and why."""
    return pd.DataFrame([{"check": r.id, "status": r.status, "findings": r.findings, "skipped because": r.reason}
                         for r in report.runs])


def _figures(value: object) -> str:
    return ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
