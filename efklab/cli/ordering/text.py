"""The text of ``efklab ordering``: one row per view, the causes, the fix, the worst streams, the verdict."""
from __future__ import annotations

from efklab.jobs.ordering import OrderingResult


def render_text(result: OrderingResult) -> str:
    """Everything but the verdict line."""
    check, checked = result.check, result.checked
    out = [f"{'grouping':<20} {'sort':<34} {'docs':>7} {'lines':>7} {'inversions':>10} {'kendall':>8} "
           f"{'out of place':>12} {'tie groups':>10}"]
    for v in check.views:
        t = v.measurement.totals
        out.append(f"{v.measurement.grouping[:20]:<20} {v.measurement.sort[:34]:<34} {t['documents']:>7,} "
                   f"{t['lines']:>7,} {t['inversions']:>10,} {t['kendall_tau_distance']:>8.4f} "
                   f"{t['share_out_of_place']:>12.2%} {t['tie_groups']:>10,}")
    t = checked.measurement.totals
    if checked.report.sampled:
        out.append(f"sample: {checked.report.sampled}")
    if t["missing"] or t["rejected"]:
        out.append(f"note: measured {t['documents']:,} documents; {t['missing']:,} provenance events not returned, "
                   f"{t['rejected']:,} documents not placed (see --json)")
    if check.causes:
        out.append("causes:")
        for cause in check.causes:
            figures = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                for k, v in cause.evidence.items() if v is not None)
            out.append(f"  - {cause.title} ({figures}); cure: {cause.cure}")
    out.append(f"recommendation: {check.recommendation.fix}")
    out += [f"  - {step}" for step in check.recommendation.steps]
    worst = [s for s in result.worst if s.inversions]
    if worst:
        out.append(f"most disordered streams ({checked.measurement.sort}):")
        out += [f"  {s.stream}: {s.share_out_of_place:.1%} of {s.lines:,} lines out of place, "
                f"{s.inversions:,} inversions" for s in worst]
    if result.exported:
        out.append(f"saved objects: {result.exported['file']} (sort {', '.join(result.exported['sort'])}); import them "
                   "in Dashboards (Dashboards Management -> Saved objects -> Import)")
    return "\n".join(out) + "\n"


def verdict(result: OrderingResult) -> str:
    """``check ok|FAILED: ...``: on stderr when it passed, on stdout when it failed."""
    return (f"check {'ok' if result.passed else 'FAILED'}: {result.share:.2%} of lines out of place sorted by "
            f"{result.checked.measurement.sort} (allowed {result.max_out_of_place:.2%})")
