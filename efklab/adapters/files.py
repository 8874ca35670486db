"""Input and small output files: paths or ``-`` for stdin, plain or gzip (found by its magic bytes).

The only place the core's inputs touch the file system.  Problems name the file (and the
line, when one is known), so the CLI prints them as one line.
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from efklab.errors import InputError
from efklab.model import Reject

STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"


def expand_inputs(paths: Sequence[str]) -> list[str]:
    """Inputs as files: a directory stands for its files (sorted, not hidden, not recursive)."""
    files: list[str] = []
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            inside = sorted(
                os.path.join(path, name)
                for name in os.listdir(path)
                if not name.startswith(".") and os.path.isfile(os.path.join(path, name))
            )
            if not inside:
                raise InputError("is a directory without files", source=path)
            files.extend(inside)
        else:
            files.append(path)
    return files


def check_inputs(paths: Sequence[str]) -> None:
    """Fail fast, before any output, when an input cannot be opened."""
    for path in paths:
        if path == STDIN:
            continue
        if not os.path.exists(path):
            raise InputError("no such file", source=path)
        if os.path.isdir(path):
            raise InputError("is a directory, not a file", source=path)
        if not os.access(path, os.R_OK):
            raise InputError("permission denied", source=path)


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """A binary stream of the file's content, gunzipped when it starts with the gzip magic bytes."""
    try:
        raw: BinaryIO = sys.stdin.buffer if path == STDIN else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=path) from exc
    try:
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        if head == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped  # type: ignore[misc]  # a GzipFile is a binary stream, though not typed BinaryIO
        else:
            yield raw
    finally:
        if path != STDIN:
            raw.close()


def iter_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without its end-of-line) for every line of the input.

    A gzip file that is truncated or corrupt raises InputError at the line where it broke.
    """
    lineno = 0
    try:
        with open_input(path) as stream:
            for lineno, line in enumerate(stream, start=1):
                yield lineno, line.rstrip(b"\r\n")
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"corrupt gzip file ({_gzip_reason(exc)})", source=path, position=lineno + 1) from exc
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=path, position=lineno + 1 if lineno else None) from exc


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated: it ends before the end-of-stream marker"
    return str(exc) or type(exc).__name__


@contextmanager
def reject_lines(path: str | None) -> Iterator[Callable[[Reject], None]]:
    """A writer of rejects as JSON lines to ``path`` (opened before anything is read); a no-op without a path."""
    if path is None:
        yield _ignore
        return
    try:
        sink = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot write the rejects file: {exc.strerror}", source=path) from exc
    with sink:

        def write(reject: Reject) -> None:
            sink.write(reject_json(reject) + "\n")

        yield write


def reject_json(reject: Reject) -> str:
    """One reject as JSON text: UTF-8 as is, escaped only when it holds lone surrogates."""
    data = reject.to_json()
    try:
        text = json.dumps(data, ensure_ascii=False)
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # lone surrogates in a rejected event
        return json.dumps(data)


def read_file_bytes(path: str, *, what: str) -> bytes:
    """The bytes of a named input file (a policy); one that cannot be read is an InputError naming ``what``."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", source=path) from exc


def read_json_file(path: Path, *, what: str) -> Any:
    """A small JSON file (a checkpoint); unreadable or not JSON is an InputError naming ``what``."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {what}: {exc}", source=str(path)) from exc


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write a small JSON file atomically (a crash never leaves half a checkpoint)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(path)) from exc


def _ignore(_: Reject) -> None:
    """Where rejects go when no rejects file was asked for."""
