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
from efklab.opensearch.bulk import IndexTally, ReplaySummary

FORMAT = "efklab-replay-checkpoint/1"
DEFAULT_DEAD_LETTERS = "replay-dead-letters.jsonl"  # where a replay keeps what it could not index, unless told
_REQUIRED: Any = object()  # a field without a default


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
    created_ahead: frozenset[str] = frozenset()  # ids answered "created" in records after records_done


@dataclass(frozen=True, slots=True)
class ReplayCheckpoint:
    """What a checkpoint file holds."""

    inputs: tuple[InputFingerprint, ...]
    options: Mapping[str, str]
    progress: ReplayProgress
    dead_letters: str | None
    complete: bool = False
    resumed: int = 0  # how many times this replay was resumed (its "new" count may then be low; see jobs.replay)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "inputs": [{"path": i.path, "size": i.size, "mtime_ns": i.mtime_ns} for i in self.inputs],
            "options": dict(self.options),
            "records_done": self.progress.records_done,
            "dead_letters": {"path": self.dead_letters, "offset": self.progress.letters_offset},
            "summary": self.progress.summary.to_json(),
            "created_ahead": sorted(self.progress.created_ahead),
            "resumed": self.resumed,
            "complete": self.complete,
        }

    @classmethod
    def from_json(cls, data: Any, *, source: str) -> ReplayCheckpoint:
        """Read a checkpoint back, every field checked (type, range, agreement with the others).

        Anything else is a UsageError naming the file and the field: a checkpoint decides what
        is skipped, so a wrong one would lose documents silently.
        """
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise UsageError(f"not an efklab replay checkpoint (expected format {FORMAT})", source=source)
        read = _Reader(source)
        inputs = tuple(InputFingerprint(read.text(i, "path", f"inputs[{n}]."), read.count(i, "size", f"inputs[{n}]."),
                                        read.count(i, "mtime_ns", f"inputs[{n}]."))
                       for n, i in enumerate(read.items(data, "inputs", "")))
        if not inputs:
            raise UsageError("malformed checkpoint: inputs is empty", source=source)
        options = read.mapping(data, "options", "")
        if not all(isinstance(v, str) for v in options.values()):
            raise UsageError("malformed checkpoint: options must map names to text", source=source)
        letters = read.mapping(data, "dead_letters", "")
        letters_path = letters.get("path")
        if letters_path is not None and (not isinstance(letters_path, str) or not letters_path):
            raise UsageError("malformed checkpoint: dead_letters.path must be a file name or null", source=source)
        ahead = read.items(data, "created_ahead", "", default=[])
        if not all(isinstance(i, str) for i in ahead):
            raise UsageError("malformed checkpoint: created_ahead must list document ids", source=source)
        if ahead != sorted(set(ahead)):  # as efklab writes it: anything else was edited by hand
            raise UsageError("malformed checkpoint: created_ahead must list distinct document ids in sorted order",
                             source=source)
        progress = ReplayProgress(read.count(data, "records_done", ""), _read_summary(read, data),
                                  read.count(letters, "offset", "dead_letters."), frozenset(ahead))
        checkpoint = cls(inputs, {str(k): v for k, v in options.items()}, progress, letters_path,
                         read.flag(data, "complete", ""), read.count(data, "resumed", "", default=0))
        _check_agreement(checkpoint, source)
        return checkpoint


class _Reader:
    """Typed access to a checkpoint's fields; a wrong type or range is a UsageError naming the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def _get(self, data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
        if key in data:
            return data[key]
        if default is not _REQUIRED:
            return default
        raise UsageError(f"malformed checkpoint: {where}{key} is missing", source=self.source)

    def wrong(self, where: str, key: str, expected: str, value: Any) -> UsageError:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return UsageError(f"malformed checkpoint: {where}{key} must be {expected}, not {shown}", source=self.source)

    def count(self, data: Mapping[str, Any], key: str, where: str, default: Any = _REQUIRED) -> int:
        value = self._get(data, key, where, default)
        if type(value) is not int or value < 0:  # bool is an int subclass: refused by the exact type
            raise self.wrong(where, key, "a whole number of at least 0", value)
        return value

    def flag(self, data: Mapping[str, Any], key: str, where: str) -> bool:
        value = self._get(data, key, where, _REQUIRED)
        if type(value) is not bool:
            raise self.wrong(where, key, "true or false", value)
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = self._get(data, key, where, _REQUIRED)
        if not isinstance(value, str) or not value:
            raise self.wrong(where, key, "text", value)
        return value

    def mapping(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = self._get(data, key, where, _REQUIRED)
        if not isinstance(value, Mapping):
            raise self.wrong(where, key, "an object", value)
        return value

    def items(self, data: Mapping[str, Any], key: str, where: str, default: Any = _REQUIRED) -> list[Any]:
        value = self._get(data, key, where, default)
        if not isinstance(value, list) or (key == "inputs" and not all(isinstance(v, Mapping) for v in value)):
            raise self.wrong(where, key, "a list" + (" of objects" if key == "inputs" else ""), value)
        return value


def _read_summary(read: _Reader, data: Mapping[str, Any]) -> ReplaySummary:
    summary = read.mapping(data, "summary", "")
    totals = {k: read.count(summary, k, "summary.") for k in
              ("payloads", "attempted", "indexed", "created", "failed", "rejected")}
    per_index = {}
    for name, tally in read.mapping(summary, "per_index", "summary.").items():
        if not isinstance(tally, Mapping):
            raise read.wrong("summary.per_index.", name, "an object", tally)
        where = f"summary.per_index[{name!r}]."
        per_index[str(name)] = IndexTally(read.count(tally, "indexed", where), read.count(tally, "failed", where))
    return ReplaySummary(**totals, unreadable=read.count(summary, "unreadable", "summary.", default=0),
                         per_index=per_index)


def _check_agreement(checkpoint: ReplayCheckpoint, source: str) -> None:
    """The counts a replay writes always agree with each other; a checkpoint whose counts do not was edited."""
    progress, s = checkpoint.progress, checkpoint.progress.summary
    rules = [
        (s.payloads == progress.records_done, f"summary.payloads {s.payloads} != records_done {progress.records_done}"),
        (s.attempted == s.indexed + s.failed,
         f"summary.attempted {s.attempted} != indexed {s.indexed} + failed {s.failed}"),
        (s.created <= s.indexed, f"summary.created {s.created} > indexed {s.indexed}"),
        (s.unreadable <= s.rejected, f"summary.unreadable {s.unreadable} > rejected {s.rejected}"),
        (sum(t.indexed for t in s.per_index.values()) == s.indexed, "summary.per_index does not add up to indexed"),
        (sum(t.failed for t in s.per_index.values()) == s.failed, "summary.per_index does not add up to failed"),
        (progress.letters_offset == 0 or checkpoint.dead_letters is not None,
         "dead_letters.offset is set but dead_letters.path is null"),
        (not checkpoint.complete or not progress.created_ahead, "a complete replay has no created_ahead"),
    ]
    for holds, why in rules:
        if not holds:
            raise UsageError(f"inconsistent checkpoint: {why}; delete it to replay from the start", source=source)


def check_progress(checkpoint: ReplayCheckpoint, records: int, *, source: str) -> None:
    """Refuse a checkpoint that counts more records done than the inputs hold (or a complete one that counts fewer)."""
    done = checkpoint.progress.records_done
    if done > records or (checkpoint.complete and done != records):
        raise UsageError(f"the checkpoint counts {done} records done{' (complete)' if checkpoint.complete else ''}, "
                         f"but the inputs hold {records}: delete it to replay from the start", source=source)


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
