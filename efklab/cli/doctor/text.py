"""Text rendering of ``efklab doctor``: a header of what was read, findings worst first, a summary line."""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any, TextIO

from efklab.doctor.findings import Finding, Severity, worst_first
from efklab.doctor.registry import CheckSpec, DoctorReport

_WIDTH = 110


def describe_header(inputs: dict[str, Any]) -> str:
    """One line per input that was read."""
    lines = []
    if "config" in inputs:
        c = inputs["config"]
        lines.append(f"config    {c['path']} ({c['concat_filters']} concat filter(s))")
    if "logs" in inputs:
        lg = inputs["logs"]
        lines.append(f"logs      {lg['files']} file(s), {lg['lines']:,} lines ({', '.join(lg['formats'])})")
    if "payloads" in inputs:
        p = inputs["payloads"]
        lines.append(f"payloads  {p['payloads']:,} payloads, {p['events']:,} events -> {p['indices']:,} indices "
                     f"({p['pattern']}); {p['origin']}")
    if "policy" in inputs:
        lines.append(f"policy    {inputs['policy']['path']}"
                     + ("" if inputs["policy"]["valid"] else " (refused, see below)"))
    if "node" in inputs:
        n = inputs["node"]
        lines.append(f"node      {n['url']}: {n['distribution']} {n['version']}, {n['data_nodes']} data node(s), "
                     f"ISM {'installed' if n['ism'] else 'missing'}")
    lines += [f"note      {note}" for note in inputs.get("notes", [])]
    return "\n".join(lines)


def _wrap(label: str, text: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=f"  {label:<9}", subsequent_indent=" " * 11) or [f"  {label}"]


def render_finding(f: Finding) -> str:
    """A finding as an indented block: severity, check, what; where; evidence; why; fix."""
    out = [f"{f.severity.upper():<8}{f.check}: {f.title}"]
    if f.where:
        out.append(f"  {'where':<9}{f.where}")
    for n, line in enumerate(f.evidence):
        out.append(f"  {'evidence' if n == 0 else '':<9}{line}")
    out += _wrap("why", f.why) + _wrap("fix", f.fix)
    return "\n".join(out)


def print_report(report: DoctorReport, stream: TextIO, *, min_severity: Severity = "info") -> None:
    """Header, findings (errors first, hidden below ``min_severity``), skipped checks, summary."""
    findings = worst_first(report.findings, min_severity=min_severity)
    stream.write(describe_header(report.inputs) + "\n\n")
    stream.writelines(render_finding(f) + "\n\n" for f in findings)
    skipped = [r for r in report.runs if r.status == "skipped"]
    ran = len(report.runs) - len(skipped)
    if skipped:
        reasons: dict[str, list[str]] = {}
        for r in skipped:
            reasons.setdefault(r.reason, []).append(r.id)
        stream.writelines(f"skipped   {', '.join(ids)} ({reason})\n" for reason, ids in reasons.items())
    c = report.counts
    hidden = len(report.findings) - len(findings)
    stream.write(f"{ran} checks ran, {len(skipped)} skipped: {c['error']} error(s), {c['warning']} warning(s), "
                 f"{c['info']} info" + (f" ({hidden} below --min-severity not shown)" if hidden else "") + "\n")


def print_checks(checks: Sequence[CheckSpec], stream: TextIO) -> None:
    """The registered checks: id, worst severity, inputs needed, what it finds, where the behaviour comes from."""
    width = max(len(c.id) for c in checks)
    for c in checks:
        needs = " + ".join(c.needs) if c.needs else "config + logs, or payloads"
        stream.write(f"{c.id:<{width}}  {c.severity:<7}  needs {needs:<18}  {c.summary}\n")
        stream.writelines(f"{'':<{width}}  {'':<7}  {ref}\n" for ref in c.refs)
