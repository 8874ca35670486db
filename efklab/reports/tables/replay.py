"""Tables of a replay and of the pipeline run before it."""
from __future__ import annotations

import pandas as pd

from efklab.jobs.pipeline import PipelineRun
from efklab.opensearch.bulk import ReplaySummary


def replay_table(summary: ReplaySummary) -> pd.DataFrame:
    """A replay summary as a table: one row per index (indexed, failed) and a total row."""
    rows = [{"index": name, "indexed": tally.indexed, "failed": tally.failed}
            for name, tally in sorted(summary.per_index.items())]
    rows.append({"index": "total", "indexed": summary.indexed, "failed": summary.failed})
    return pd.DataFrame(rows).set_index("index")


def replay_totals(summary: ReplaySummary) -> pd.DataFrame:
    """The replay in one row: indices written, actions sent, indexed, failed, never sent."""
    return pd.DataFrame([{"indices": len(summary.per_index), "payloads": summary.payloads,
                          "actions sent": summary.attempted, "indexed": summary.indexed, "failed": summary.failed,
                          "never sent (rejected)": summary.rejected}])


def failed_indices_table(summary: ReplaySummary) -> pd.DataFrame:
    """The indices with failed bulk items (none when every action was indexed)."""
    return pd.DataFrame([{"index": name, "indexed": tally.indexed, "failed": tally.failed}
                         for name, tally in sorted(summary.per_index.items()) if tally.failed],
                        columns=["index", "indexed", "failed"])


def rejects_table(run: PipelineRun) -> pd.DataFrame:
    """The lines that made no event, with the stage and reason."""
    return pd.DataFrame([{"where": r.location(), "stage": r.stage, "reason": r.reason} for r in run.result.rejects],
                        columns=["where", "stage", "reason"])
