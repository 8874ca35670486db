"""Tables of an upgrade comparison (``jobs.compat.run_compat``): one column per engine version, then the changes."""
from __future__ import annotations

from typing import Any

import pandas as pd

from efklab.jobs.compat import CompatReport

ROWS = ("node", "accepted", "refused", "index template", "retention", "sorted", "layout", "notes")


def versions_table(report: CompatReport) -> pd.DataFrame:
    """Per version (a column each): accepted, refused with the node's reason, template, retention, sorting, layout."""
    versions = report.to_json()["versions"]
    return pd.DataFrame({v["label"]: [_cell(v, row) for row in ROWS] for v in versions}, index=list(ROWS))


def _cell(version: dict[str, Any], row: str) -> str:
    if row == "refused":
        refused = version["refused"].items()
        return "; ".join(f"{n:,}: {version['refusal_examples'][kind]}" for kind, n in refused) or "none"
    if row == "sorted":
        shares = version["ordering"].items()
        return "; ".join(f"{view}: {share:.1%} out of place" for view, share in shares) or "nothing indexed"
    values = {"node": version["url"], "accepted": f"{version['indexed']:,} of {version['actions']:,} documents",
              "index template": version["template"], "retention": version["retention"],
              "layout": "; ".join(version["layout_problems"]) or "as expected",
              "notes": "; ".join(version["notes"]) or "-"}
    return str(values[row])


def changes_table(report: CompatReport) -> pd.DataFrame:
    """What to change before upgrading: one row per difference, the breaking ones first."""
    rows = [{"breaks": d.breaks, "kind": d.kind, "difference": d.text, "change": d.advice}
            for d in sorted(report.differences, key=lambda d: not d.breaks)]
    return pd.DataFrame(rows, columns=["breaks", "kind", "difference", "change"])
