"""Tables of retention: the forecast (``jobs.retention.simulate``), the node's ISM, and a rehearsal.

Every table says in its columns whether a value is *forecast* (the simulator) or *observed on
the node* (explain, the plugin's history, polls of a rehearsal).  Tables with many indices are
grouped (per creation day, per observed state) so that a report shows every index in a page.
"""
from __future__ import annotations

import pandas as pd

from efklab.jobs.rehearsal import RehearsalReport
from efklab.jobs.retention import Simulation
from efklab.retention.forecast import Generation, group_by_creation_day, group_findings
from efklab.units import format_time

MAX_ROWS = 40


def totals_table(simulation: Simulation) -> pd.DataFrame:
    """Indices and documents per forecast status (gone, due, kept, not-yet) as of the simulation's moment."""
    frame = pd.DataFrame(simulation.summary()["totals"]).T.rename_axis(f"forecast at {format_time(simulation.at)}")
    return frame.astype(int)


def _window(generation: Generation) -> str:
    deletion = generation.forecast.deletion
    if deletion is None:
        return {"unmanaged": "never (no policy)", "kept": "never (policy keeps it)"}.get(
            generation.forecast.outcome, generation.forecast.outcome)
    return f"{format_time(deletion[0])} .. {format_time(deletion[1])[11:]}"


def generations_table(simulation: Simulation, *, by_index: bool | None = None) -> pd.DataFrame:
    """The forecast per index generation, or per creation day and outcome when there are more than 40."""
    status = f"forecast at {format_time(simulation.at)}"
    if by_index or (by_index is None and len(simulation.generations) <= MAX_ROWS):
        rows = [{"index": g.forecast.index + (f" (#{g.generation})" if g.generation > 1 else ""),
                 "docs": g.doc_count, "created": format_time(g.forecast.created), "policy": g.forecast.policy_id or "-",
                 "forecast: deleted between": _window(g), status: simulation.status(g)}
                for g in sorted(simulation.generations, key=lambda g: (g.forecast.created, g.forecast.index))]
        return pd.DataFrame(rows)
    rows = []
    for group in group_by_creation_day(simulation.generations):
        deletion = group.deletion
        rows.append({"created on": format_time(group.day)[:10] + (" (recreated)" if group.recreated else ""),
                     "indices": len(group.generations), "docs": group.docs,
                     "forecast: deleted between": (f"{format_time(deletion[0])} .. {format_time(deletion[1])}"
                                                   if deletion else _window(group.generations[0])),
                     status: " / ".join(sorted({simulation.status(g) for g in group.generations}))})
    return pd.DataFrame(rows)


def traps_table(simulation: Simulation) -> pd.DataFrame:
    """The retention traps, one row per kind: how many indices, examples, what it means."""
    return pd.DataFrame([{"trap": g.kind, "indices": g.count, "examples": ", ".join(g.examples),
                          "what it means": g.meaning} for g in group_findings(simulation.findings)],
                        columns=["trap", "indices", "examples", "what it means"])


def node_table(simulation: Simulation) -> pd.DataFrame:
    """The node's indices: observed (explain: managed, policy, state/action, info) beside the forecast.

    Grouped by what was observed and forecast when there are more than 40 indices.
    """
    observed = {r.index: r for r in simulation.observed}
    status = f"forecast at {format_time(simulation.at)}"
    rows = []
    for g in sorted(simulation.generations, key=lambda g: (g.forecast.created, g.forecast.index)):
        row = observed.get(g.forecast.index)
        seen = ("no ISM on the node" if not simulation.ism_on_node else
                f"{row.policy_id}: {row.state or 'attached'}/{row.action or '-'}" if row and row.managed
                else "not managed")
        attachment = g.forecast.attachment
        rows.append({"index": g.forecast.index, "docs": g.doc_count, "created": format_time(g.forecast.created),
                     "observed on the node": seen, "node says": (row.info or "") if row else "",
                     "forecast: why": attachment.matched or attachment.reason,
                     "forecast: deleted between": _window(g), status: simulation.status(g)})
    columns = ["index", "docs", "created", "observed on the node", "node says", "forecast: why",
               "forecast: deleted between", status]
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame) <= MAX_ROWS:
        return frame
    frame["kind"] = [g.forecast.attachment.how for g in sorted(simulation.generations,
                                                               key=lambda g: (g.forecast.created, g.forecast.index))]
    grouped = frame.groupby(["observed on the node", "kind", status], sort=True)
    return pd.DataFrame([{"observed on the node": seen, status: forecast, "indices": len(part),
                          "docs": int(part["docs"].sum()), "forecast: why (first index)": part["forecast: why"].iloc[0],
                          "examples": ", ".join(part["index"].head(3))}
                         for (seen, _, forecast), part in grouped])


def deleted_table(simulation: Simulation) -> pd.DataFrame:
    """What ISM deleted on the node, by its own history: index, created, deleted at, policy."""
    return pd.DataFrame([{"index": d.index, "created": format_time(d.created) if d.created else "-",
                          "observed on the node: deleted at": format_time(d.at), "policy": d.policy_id}
                         for d in simulation.deleted],
                        columns=["index", "created", "observed on the node: deleted at", "policy"])


def rehearsal_table(report: RehearsalReport) -> pd.DataFrame:
    """A rehearsal per index generation: forecast window beside the deletion observed on the node (seconds
    after the PUT), and whether they agree."""
    origin = report.put_at

    def offset(ms: int | None) -> str:
        return "-" if ms is None else f"{(ms - origin) / 1000:+.0f}s"

    return pd.DataFrame([{
        "index": v.index.removeprefix(report.prefix), "generation": v.generation,
        "role": v.role, "created": offset(v.created) if v.created else "-",
        "forecast: deleted": (f"{offset(v.deletion[0])} .. {offset(v.deletion[1])}" if v.deletion
                              else v.predicted),
        "observed on the node": (f"deleted {offset(v.deleted_between[0])} .. {offset(v.deleted_between[1])}"
                                 if v.deleted_between else v.observed),
        "agrees": {True: "yes", False: "NO", None: "pending"}[v.agrees], "note": v.note}
        for v in report.verdicts])
