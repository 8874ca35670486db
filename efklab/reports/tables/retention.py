"""Tables of a retention simulation (``jobs.retention.simulate``): totals, index lifetimes, traps."""
from __future__ import annotations

import pandas as pd

from efklab.jobs.retention import Simulation
from efklab.retention.forecast import status_at
from efklab.units import format_time


def totals_table(simulation: Simulation) -> pd.DataFrame:
    """Indices and documents per status (gone, due, kept, not-yet) as of the simulation's moment."""
    return pd.DataFrame(simulation.summary()["totals"]).T.rename_axis("status")


def generations_table(simulation: Simulation) -> pd.DataFrame:
    """Per index generation: documents, creation, policy, the deletion window and the status as of the moment."""
    rows = []
    status = f"status at {format_time(simulation.at)}"
    for g in sorted(simulation.generations, key=lambda g: (g.forecast.created, g.forecast.index)):
        deletion = g.forecast.deletion
        rows.append({"index": g.forecast.index, "generation": g.generation, "docs": g.doc_count,
                     "created": format_time(g.forecast.created), "policy": g.forecast.policy_id,
                     "deleted from": format_time(deletion[0]) if deletion else None,
                     "deleted by": format_time(deletion[1]) if deletion else None,
                     "outcome": g.forecast.outcome, status: status_at(g.forecast, simulation.at)})
    return pd.DataFrame(rows)


def traps_table(simulation: Simulation) -> pd.DataFrame:
    """The retention traps found: kind, index, what it means."""
    return pd.DataFrame([{"trap": f.kind, "index": f.index, "message": f.message} for f in simulation.findings],
                        columns=["trap", "index", "message"])
