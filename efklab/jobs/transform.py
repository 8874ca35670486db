"""``efklab transform`` as a recipe: payload files -> the ``_bulk`` body, every event an action or a reject.

Nothing is dropped silently: each record that cannot be decoded and each event that cannot become
an action is one reject, written to the rejects file when one is given and handed to ``on_reject``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from efklab.adapters.files import reject_lines
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.cloudwatch.payloads import Payload
from efklab.lambda_.transform import TransformOptions, compile_options, render_payload
from efklab.model import Reject


@dataclass(slots=True)
class TransformCounts:
    """What a transform read and wrote; ``stages`` counts the rejects by stage."""

    payloads: int = 0
    control: int = 0  # CONTROL_MESSAGE payloads among them (they yield nothing)
    events: int = 0
    actions: int = 0
    rejects: int = 0
    unreadable: int = 0  # records that could not be decoded at all (each is one of the rejects)
    stages: Counter[str] = field(default_factory=Counter)


def transform_options(*, mode: str = "opensearch", index_strategy: str = "seed", prefix: str = "mydata",
                      tz: str = "UTC") -> TransformOptions:
    """The transform options, checked: a bad mode, strategy or zone is a UsageError before anything is read."""
    options = TransformOptions(mode=mode, index_strategy=index_strategy, prefix=prefix, tz=tz)
    compile_options(options)
    return options


def transform_files(inputs: Sequence[str], *, write: Callable[[bytes], object], mode: str = "opensearch",
                    index_strategy: str = "seed", prefix: str = "mydata", tz: str = "UTC", rejects: str | None = None,
                    on_reject: Callable[[Reject], None] = lambda _: None,
                    on_record: Callable[[], None] = lambda: None) -> TransformCounts:
    """Transform every record of ``inputs`` in order, handing each payload's ``_bulk`` body (UTF-8) to ``write``.

    ``rejects``: a file to write every reject to as JSON lines (opened before any input is read).
    ``on_record`` is called once per record read, ``on_reject`` once per reject.
    """
    options = transform_options(mode=mode, index_strategy=index_strategy, prefix=prefix, tz=tz)
    counts = TransformCounts()
    with reject_lines(rejects) as keep:
        for record in iter_payload_records(inputs):
            on_record()
            if isinstance(record, Reject):
                found = [record]
                counts.unreadable += 1
            else:
                found = _transform(record, options, write, counts)
            for reject in found:
                counts.rejects += 1
                counts.stages[reject.stage] += 1
                keep(reject)
                on_reject(reject)
    return counts


def _transform(payload: Payload, options: TransformOptions, write: Callable[[bytes], object],
               counts: TransformCounts) -> list[Reject]:
    counts.payloads += 1
    if payload.is_control:
        counts.control += 1
        return []
    body, actions, rejects = render_payload(payload, options)
    counts.events += actions + len(rejects)
    counts.actions += actions
    if actions:
        write(body)
    return rejects
