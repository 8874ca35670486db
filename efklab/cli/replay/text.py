"""What ``efklab replay`` prints: the summary as text or JSON, and why it exits 2 on unreadable records."""
from __future__ import annotations

import json

from efklab.jobs.replay import FileReplay
from efklab.opensearch.bulk import render_summary


def replay_json(result: FileReplay) -> str:
    """The summary, whether it is complete, the dead-letter file, the checkpoint and the node, as one JSON document.

    A replay that stopped early is printed too, ``"complete": false`` with the reason: its summary
    covers the first ``records_done`` input records, exactly what its checkpoint holds.
    """
    return json.dumps({"complete": result.complete, "stopped": result.stopped, "records_done": result.records_done,
                       "records": result.records, "summary": result.summary.to_json(),
                       "dead_letters": result.dead_letters, "checkpoint": result.checkpoint,
                       "opensearch_url": result.opensearch_url, "caveat": result.caveat}, indent=2)


def replay_text(result: FileReplay) -> str:
    """The summary, one line per index, then where the dead letters are (when there are any)."""
    text = render_summary(result.summary)
    return text + f"\ndead letters: {result.dead_letters}" if result.dead_letters else text


def stopped_text(result: FileReplay) -> str:
    """The summary of a replay that stopped early, headed by what it covers."""
    of = f" of {result.records}" if result.records is not None else ""
    return (f"INCOMPLETE: the replay stopped after {result.records_done}{of} input records; "
            f"the counts below cover those only\n{replay_text(result)}")


def unreadable_note(result: FileReplay) -> str:
    """Why the exit status is 2 although the readable records were replayed."""
    return (f"{result.summary.unreadable} input record(s) could not be read (kept in {result.dead_letters}); "
            "the readable ones were replayed")
