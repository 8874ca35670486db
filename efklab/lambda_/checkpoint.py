"""Replay checkpoints as plain data: how far a replay got, and what it was replaying.

A checkpoint is taken only at a payload boundary where every earlier payload is fully
accounted for (each action answered, each reject written).  Resuming skips exactly those
payloads, truncates the dead-letter file to the recorded offset and continues the summary,
so an interrupted replay ends with the same documents, counts and dead letters as an
uninterrupted one: nothing lost, nothing counted twice.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from efklab.errors import UsageError
from efklab.opensearch.bulk import ReplaySummary

FORMAT = "efklab-replay-checkpoint/1"
DEFAULT_DEAD_LETTERS = "replay-dead-letters.jsonl"  # where a replay keeps what it could not index, unless told


@dataclass(frozen=True, slots=True)
class InputFingerprint:
    """An input file as it was when the replay started; any change means the checkpoint is stale."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class ReplayProgress:
    """Payload records fully done, the summary of exactly those, and the dead-letter bytes they wrote."""

    records_done: int = 0
    summary: ReplaySummary = field(default_factory=ReplaySummary)
    letters_offset: int = 0


@dataclass(frozen=True, slots=True)
class ReplayCheckpoint:
    """What a checkpoint file holds."""

    inputs: tuple[InputFingerprint, ...]
    options: Mapping[str, str]
    progress: ReplayProgress
    dead_letters: str | None
    complete: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "inputs": [{"path": i.path, "size": i.size, "mtime_ns": i.mtime_ns} for i in self.inputs],
            "options": dict(self.options),
            "records_done": self.progress.records_done,
            "dead_letters": {"path": self.dead_letters, "offset": self.progress.letters_offset},
            "summary": self.progress.summary.to_json(),
            "complete": self.complete,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str) -> ReplayCheckpoint:
        """Read a checkpoint back; anything malformed is a UsageError naming the file."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise UsageError(f"not an efklab replay checkpoint (expected format {FORMAT})", source=source)
        try:
            inputs = tuple(InputFingerprint(str(i["path"]), int(i["size"]), int(i["mtime_ns"])) for i in data["inputs"])
            progress = ReplayProgress(int(data["records_done"]), ReplaySummary.from_json(data["summary"]),
                                      int(data["dead_letters"]["offset"]))
            return cls(inputs, {str(k): str(v) for k, v in data["options"].items()}, progress,
                       data["dead_letters"]["path"], bool(data["complete"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"malformed checkpoint ({exc!r})", source=source) from exc


def check_resumable(checkpoint: ReplayCheckpoint, inputs: Sequence[InputFingerprint], options: Mapping[str, str],
                    *, source: str) -> None:
    """Refuse to resume a checkpoint written for other inputs or other transform options."""
    if tuple(inputs) != checkpoint.inputs:
        was = [i.path for i in checkpoint.inputs]
        now = [i.path for i in inputs]
        what = "the same files, changed since" if was == now else f"{len(was)} other input(s) ({', '.join(was[:3])}...)"
        raise UsageError(f"this checkpoint belongs to {what}; delete it to replay from the start", source=source)
    if dict(options) != dict(checkpoint.options):
        diff = ", ".join(f"{k} {checkpoint.options.get(k)!r} -> {v!r}" for k, v in options.items()
                         if checkpoint.options.get(k) != v)
        raise UsageError(f"this checkpoint was written with other transform options ({diff}); "
                         "use the same options or delete it", source=source)
