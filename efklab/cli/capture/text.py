"""What ``efklab capture`` prints at the end: one line on stderr, or the summary as JSON."""
from __future__ import annotations

import json

from efklab.jobs.capture import CaptureSummary


def capture_json(summary: CaptureSummary) -> str:
    return json.dumps(summary.to_json(), ensure_ascii=False)


def capture_line(summary: CaptureSummary) -> str:
    """Events, payloads, log groups, where they went; and how many events could not be captured."""
    return (f"efklab capture: {summary.events} events in {summary.payloads} payloads from "
            f"{len(summary.log_groups)} log group(s) -> {summary.out} (filters: {summary.filters})"
            + (f"; {summary.rejected_events} events not captured" if summary.rejected_events else ""))
