"""What ``efklab doctor`` reports: findings with evidence, and the severities they carry.

A finding is plain data: which check found it, how bad it is, what was found, the evidence
(``file:line`` places, sample lines or events, counts), why it matters in production and the
fix.  Checks return lists of findings; the runner and the renderers only fold over them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
EVIDENCE_LIMIT = 6  # evidence lines shown per finding; counts always cover everything


@dataclass(frozen=True, slots=True)
class Finding:
    """One trap found: check id, severity, what, where, evidence, why it matters, the fix."""

    check: str
    severity: Severity
    title: str  # what was found, one line
    why: str  # what happens in production because of it
    fix: str
    where: str | None = None  # the place to change: ``file:line`` (or a JSON path) when there is one
    evidence: tuple[str, ...] = ()  # sample lines, events, places: one per entry
    figures: Mapping[str, Any] = field(default_factory=dict)  # the counts behind it, machine-readable

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``--json``, notebooks)."""
        return {"check": self.check, "severity": self.severity, "title": self.title, "where": self.where,
                "evidence": list(self.evidence), "figures": dict(self.figures), "why": self.why, "fix": self.fix}


def make_finding(check: str, severity: Severity, title: str, *, why: str, fix: str, where: str | None = None,
                 evidence: Iterable[str] = (), figures: Mapping[str, Any] | None = None, more: int = 0) -> Finding:
    """A finding whose evidence is cut to ``EVIDENCE_LIMIT`` lines, saying how many more there were."""
    lines = list(evidence)
    hidden = max(0, len(lines) - EVIDENCE_LIMIT) + more
    shown = lines[:EVIDENCE_LIMIT] + ([f"... and {hidden:,} more"] if hidden else [])
    return Finding(check, severity, title, why, fix, where, tuple(shown), dict(figures or {}))


def quote_line(text: Any, width: int = 120) -> str:
    """A log line as evidence, cut to ``width``.

    Quoted as Python shows strings (``\\t`` for a tab), newlines as ``⏎``.
    """
    shown = str(text).rstrip("\n").replace("\n", "⏎")
    return repr(shown if len(shown) <= width else shown[: width - 3] + "...")


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The highest severity among ``findings`` (None when there are none)."""
    found = {f.severity for f in findings}
    return next((s for s in SEVERITIES if s in found), None)


def worst_first(findings: Iterable[Finding], *, min_severity: Severity = "info") -> list[Finding]:
    """``findings`` at ``min_severity`` or worse, errors first (table order kept within a severity)."""
    shown = SEVERITIES[: SEVERITIES.index(min_severity) + 1]
    return sorted((f for f in findings if f.severity in shown), key=lambda f: SEVERITIES.index(f.severity))


def count_severities(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per severity, every severity present (zero when none)."""
    counts: dict[str, int] = {s: 0 for s in SEVERITIES}
    for f in findings:
        counts[f.severity] += 1
    return counts
