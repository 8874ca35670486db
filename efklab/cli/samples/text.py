"""What ``efklab samples`` prints: the set or payloads written, and the first rejects."""
from __future__ import annotations

from collections import Counter

from efklab.cloudwatch.delivery import data_events
from efklab.jobs.samples import GeneratedSamples, SamplePayloads
from efklab.model import Reject

SHOWN_REJECTS = 5  # reject lines printed before the rest is only counted


def generated_text(samples: GeneratedSamples) -> str:
    """What was written where; with rejects, the three commonest reasons."""
    result = samples.result
    lines = [f"wrote {samples.containers} container logs ({result.lines} lines), {len(result.deliveries)} payloads "
             f"({data_events(result.deliveries)} events) to {samples.out}"]
    if result.rejects:
        reasons = Counter(r.reason for r in result.rejects).most_common(3)
        lines.append(f"{len(result.rejects)} lines or events rejected (see {samples.out / 'rejects.jsonl'}): "
                     + "; ".join(f"{n} x {reason}" for reason, n in reasons))
    return "\n".join(lines)


def reject_lines(rejects: list[Reject], rejects_file: str | None) -> list[str]:
    """The first rejects, one line each, then how many more and where they are listed."""
    lines = [f"efklab samples: {reject.location()}: {reject.reason}" for reject in rejects[:SHOWN_REJECTS]]
    if len(rejects) > SHOWN_REJECTS:
        where = f" (see {rejects_file})" if rejects_file else " (--rejects FILE lists them)"
        lines.append(f"efklab samples: ... and {len(rejects) - SHOWN_REJECTS} more rejects" + where)
    return lines


def payloads_text(payloads: SamplePayloads) -> str:
    """Lines read, files, payloads, events and rejects."""
    result = payloads.result
    return (f"{result.lines} lines from {payloads.files} files -> {len(result.deliveries)} payloads, "
            f"{data_events(result.deliveries)} events, {len(result.rejects)} rejects")
