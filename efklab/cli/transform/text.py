"""What ``efklab transform`` prints on stderr: reject lines and the summary."""
from __future__ import annotations

from efklab.jobs.transform import TransformCounts


def summary_text(counts: TransformCounts) -> str:
    """One line: payloads, control messages, events, actions, rejects (by stage)."""
    text = (
        f"{_n(counts.payloads, 'payload')} ({_n(counts.control, 'control message')}), "
        f"{_n(counts.events, 'event')} -> {_n(counts.actions, 'action')}, {_n(counts.rejects, 'reject')}"
    )
    if counts.stages:
        text += " (" + ", ".join(f"{n} {stage}" for stage, n in sorted(counts.stages.items())) + ")"
    return text


def more_rejects_text(hidden: int, *, rejects_file: bool) -> str:
    """The line after the rejects shown, saying how many more there are and where to find them all."""
    hint = "" if rejects_file else " (write them all with --rejects FILE)"
    return f"... {hidden} more rejects not shown{hint}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
