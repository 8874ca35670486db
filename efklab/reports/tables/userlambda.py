"""Tables of a user's Lambda function against efklab's transform (``jobs.userlambda.diff_function``)."""
from __future__ import annotations

import pandas as pd

from efklab.jobs.userlambda import LambdaDiff
from efklab.lambda_.optionsearch import options_text

SHOWN = 20


def lambda_summary(diff: LambdaDiff) -> pd.DataFrame:
    """Events compared, identical, differing, failed invocations, and the options that reproduce the function."""
    reproducing = "; ".join(options_text(o) for o in diff.matching[:3]) or "none: replay through the function instead"
    rows = {"events compared": f"{len(diff.events):,}", "identical": f"{diff.identical:,}",
            "differing": f"{len(diff.differing):,}", "failed invocations": f"{len(diff.run.failed):,}",
            "efklab options that reproduce it": reproducing}
    return pd.Series(rows, name="your function vs efklab").rename_axis("").to_frame()


def lambda_diff_table(diff: LambdaDiff) -> pd.DataFrame:
    """The first differing events: where, and the first difference (fields) or how the invocation failed."""
    rows = []
    for event in diff.differing[:SHOWN]:
        invocation = event.invocation
        what = (f"invocation {invocation.outcome}: {invocation.error}" if not invocation.ok or event.difference is None
                else event.difference.describe())
        rows.append({"payload": f"{invocation.source}:{invocation.position}", "difference": what})
    return pd.DataFrame(rows, columns=["payload", "difference"])

