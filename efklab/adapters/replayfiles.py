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


MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024  # a real one is a few KiB (up to a few MiB of created ids)


def load_checkpoint(path: str) -> ReplayCheckpoint | None:
    """The checkpoint at ``path``, or None when there is none yet; anything unreadable is an error naming it."""
    target = Path(path)
    if target.is_dir():
        raise UsageError("the checkpoint path is a directory", source=path)
    try:
        with open(target, "rb") as handle:
            data = handle.read(MAX_CHECKPOINT_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=path) from exc
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise UsageError(f"not an efklab replay checkpoint (over {MAX_CHECKPOINT_BYTES} bytes)", source=path)
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"not an efklab replay checkpoint (not UTF-8 text at byte {exc.start})", source=path) from exc
    except ValueError as exc:
        raise UsageError(f"checkpoint is not JSON ({exc})", source=path) from exc
    except RecursionError as exc:
        raise UsageError("not an efklab replay checkpoint (JSON nested too deep)", source=path) from exc
    return ReplayCheckpoint.from_json(parsed, source=path)


def save_checkpoint(path: str, checkpoint: ReplayCheckpoint) -> None:
    """Write the checkpoint so that a crash leaves either the old or the new one, never half of one."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(checkpoint.to_json(), handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(f"cannot write the checkpoint: {exc.strerror or exc}", source=path) from exc


def check_writable(path: str, *, what: str) -> None:
    """Fail before anything is sent when ``path`` cannot be written (missing folder, no permission, a directory).

    Probed for real: the file (or, for a file written by replacement, a sibling) is opened for
    writing, and removed again when it did not exist.
    """
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise UsageError(f"the {what} path is a directory", source=path)
    if not folder.is_dir():
        raise InputError(f"cannot write the {what}: the folder {folder} does not exist", source=path)
    existed = target.exists()
    try:
        with open(target, "ab"):
            pass
    except OSError as exc:
        raise InputError(f"cannot write the {what}: {exc.strerror or exc}", source=path) from exc
    if not existed:
        target.unlink(missing_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the {what}: the folder {folder} is not writable", source=path)


def check_dead_letters(path: str, resume_at: int) -> None:
    """A resumed replay's dead-letter file must hold at least what its checkpoint recorded."""
    target = Path(path)
    size = target.stat().st_size if target.exists() else 0
    if size < resume_at:
        raise UsageError(f"the dead-letter file has {size} bytes but the checkpoint recorded {resume_at}; "
                         "it was changed since: delete the checkpoint to replay from the start", source=path)


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
        check_dead_letters(path, resume_at)
        size = target.stat().st_size if target.exists() else 0
        if size > resume_at:  # letters of a payload that was not finished: it is replayed again
            with open(target, "r+b") as handle:
                handle.truncate(resume_at)
        self._offset = resume_at

    def write(self, record: dict[str, Any]) -> None:
        try:
            data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates in a document: escaped, so the file stays UTF-8
            data = (json.dumps(record, default=str) + "\n").encode("ascii")
        try:
            if self._handle is None:
                self._handle = open(self.path, "ab")  # noqa: SIM115 - closed in close()
            self._handle.write(data)
        except OSError as exc:
            raise InputError(f"cannot write the dead letters: {exc.strerror or exc}", source=self.path) from exc
        self._offset += len(data)
        self.written += 1

    def offset(self) -> int:
        return self._offset

    def sync(self) -> None:
        """Flush to disk before a checkpoint that counts these letters is written."""
        if self._handle is not None:
            try:
                self._handle.flush()
                os.fsync(self._handle.fileno())
            except OSError as exc:
                raise InputError(f"cannot write the dead letters: {exc.strerror or exc}", source=self.path) from exc

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
