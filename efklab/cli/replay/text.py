"""What ``efklab replay`` prints: the summary as text or JSON, and why it exits 2 on unreadable records."""
from __future__ import annotations

import json

from efklab.jobs.replay import FileReplay
from efklab.opensearch.bulk import render_summary


def replay_json(result: FileReplay) -> str:
    """The summary, the dead-letter file, the checkpoint and the node, as one JSON document."""
    return json.dumps({"summary": result.summary.to_json(), "dead_letters": result.dead_letters,
                       "checkpoint": result.checkpoint, "opensearch_url": result.opensearch_url}, indent=2)


def replay_text(result: FileReplay) -> str:
    """The summary, one line per index, then where the dead letters are (when there are any)."""
    text = render_summary(result.summary)
    return text + f"\ndead letters: {result.dead_letters}" if result.dead_letters else text


def unreadable_note(result: FileReplay) -> str:
    """Why the exit status is 2 although the readable records were replayed."""
    return (f"{result.summary.unreadable} input record(s) could not be read (kept in {result.dead_letters}); "
            "the readable ones were replayed")
