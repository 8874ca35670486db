"""The files a replay keeps: the checkpoint (written atomically) and the dead-letter JSONL."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from efklab.errors import InputError, UsageError
from efklab.lambda_.checkpoint import InputFingerprint, ReplayCheckpoint


def fingerprint_inputs(paths: Sequence[str]) -> tuple[InputFingerprint, ...]:
    """Absolute path, size and modification time of every input (stdin cannot be resumed)."""
    prints = []
    for path in paths:
        if path == "-":
            raise UsageError("--checkpoint cannot resume standard input; give the payload files")
        try:
            st = os.stat(path)
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), source=path) from exc
        prints.append(InputFingerprint(str(Path(path).resolve()), st.st_size, st.st_mtime_ns))
    return tuple(prints)


def load_checkpoint(path: str) -> ReplayCheckpoint | None:
    """The checkpoint at ``path``, or None when there is none yet."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=path) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"checkpoint is not JSON ({exc})", source=path) from exc
    return ReplayCheckpoint.from_json(data, source=path)


def save_checkpoint(path: str, checkpoint: ReplayCheckpoint) -> None:
    """Write the checkpoint so that a crash leaves either the old or the new one, never half of one."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(checkpoint.to_json(), handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)


class DeadLetterFile:
    """Append-only JSONL, created on the first record; ``offset`` is what a checkpoint records."""

    def __init__(self, path: str, *, resume_at: int | None = None) -> None:
        self.path = path
        self.written = 0  # records written by this run
        self._handle: IO[bytes] | None = None
        target = Path(path)
        if resume_at is None:
            target.unlink(missing_ok=True)  # a fresh replay starts a fresh file
            self._offset = 0
            return
        size = target.stat().st_size if target.exists() else 0
        if size < resume_at:
            raise UsageError(f"the dead-letter file has {size} bytes but the checkpoint recorded {resume_at}; "
                             "it was changed since: delete the checkpoint to replay from the start", source=path)
        if size > resume_at:  # letters of a payload that was not finished: it is replayed again
            with open(target, "r+b") as handle:
                handle.truncate(resume_at)
        self._offset = resume_at

    def write(self, record: dict[str, Any]) -> None:
        if self._handle is None:
            self._handle = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        self._handle.write(data)
        self._offset += len(data)
        self.written += 1

    def offset(self) -> int:
        return self._offset

    def sync(self) -> None:
        """Flush to disk before a checkpoint that counts these letters is written."""
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
