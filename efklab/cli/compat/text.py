"""What ``efklab compat`` prints: one table (a column per version), then what to change before upgrading."""
from __future__ import annotations

from efklab.jobs.compat import CompatReport
from efklab.opensearch.upgrade import VersionOutcome

WIDTH = 58  # a column per version; longer cells wrap onto continuation lines


def _refused(o: VersionOutcome) -> list[str]:
    if not o.refused:
        return ["none"]
    return [f"{count:,}: {o.refusal_examples.get(folded, folded)}"
            for folded, count in sorted(o.refused.items(), key=lambda kv: -kv[1])]


def _cells(report: CompatReport, o: VersionOutcome) -> dict[str, list[str]]:
    first = report.outcomes[0]
    mapped = [f"{k}: {first.mappings[k]} -> {o.mappings[k]}" for k in sorted(set(first.mappings) & set(o.mappings))
              if first.mappings[k] != o.mappings[k]] if o is not first else []
    one_side = len(set(first.mappings) ^ set(o.mappings)) if o is not first else 0
    if one_side:
        mapped.append(f"{one_side} fields mapped on one version only (documents the other refused, or new fields)")
    sorted_rows = [f"{view}: {share:.1%} out of place" for view, share in sorted(o.ordering.items())]
    return {
        "node": [f"{o.url}"],
        "accepted": [f"{o.indexed:,} of {o.actions:,} documents"],
        "refused": _refused(o),
        "index template": [o.template],
        "retention": [o.retention],
        "mapped differently": mapped or (["(reference)"] if o is first else ["none"]),
        "sorted (ordering check)": sorted_rows or ["nothing indexed"],
        "layout": list(o.layout_problems) or ["as expected"],
        "notes": list(o.notes) or ["-"],
    }


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*out, line]


def compat_table(report: CompatReport) -> str:
    cells = [_cells(report, o) for o in report.outcomes]
    head = 24
    lines = [f"efklab compat: {report.mode} mode, template {report.template}, payloads {report.payloads}", "",
             " " * head + "".join(o.engine.label.ljust(WIDTH + 2) for o in report.outcomes)]
    for row in cells[0]:
        columns = [[piece for cell in c[row] for piece in _wrap(cell, WIDTH)] for c in cells]
        for i in range(max(len(c) for c in columns)):
            label = row if i == 0 else ""
            lines.append(label.ljust(head) + "".join((c[i] if i < len(c) else "").ljust(WIDTH + 2)
                                                     for c in columns).rstrip())
    target = report.outcomes[-1].engine.label
    lines.append("")
    if not report.differences:
        lines.append(f"{target} does what {report.outcomes[0].engine.label} does on these payloads: nothing to change")
    else:
        lines.append(f"before upgrading to {target}:")
        for d in report.differences:
            mark = "BREAKS" if d.breaks else "differs"
            lines.append(f"  {mark} ({d.kind}): {d.text}")
            if d.advice:
                lines.append(f"      change: {d.advice}")
    return "\n".join(lines)
