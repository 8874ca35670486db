"""Payload files as users have them: paths or ``-``, plain or gzip, JSON lines or pretty-printed JSON.

Reading takes any of those; a capture writes JSON lines, appended page by page so that an
interrupted capture resumes at a whole line (with gzip, at a whole member).
"""
from __future__ import annotations

import gzip
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from efklab.adapters.files import check_inputs, expand_inputs, iter_lines
from efklab.cloudwatch.payloads import iter_records
from efklab.cloudwatch.schema import Payload
from efklab.errors import InputError
from efklab.model import Reject


def iter_payload_records(paths: Sequence[str]) -> Iterator[Payload | Reject]:
    """Every record of every input, in order: a Payload, or a Reject saying where and why.

    A directory stands for its files, sorted.  Missing files raise InputError before anything
    is read.
    """
    files = expand_inputs(paths)
    check_inputs(files)
    for path in files:
        yield from iter_records(path, iter_lines(path))


def count_payload_records(files: Sequence[str]) -> int:
    """How many records ``iter_payload_records(files)`` yields, without decoding a payload (progress, checkpoints).

    A JSON-lines file holds one record per non-blank line (a broken gzip stream adds the one
    record that says so); a pretty-printed file (first line a lone ``{`` or ``[``) is read in full.
    """
    total = 0
    for path in files:
        first = True
        try:
            for _lineno, line in iter_lines(path):
                stripped = line.strip()
                if first and stripped in (b"{", b"["):
                    total += sum(1 for _ in iter_records(path, iter_lines(path)))
                    break
                if stripped:
                    total += 1
                    first = False
        except InputError:
            total += 1
    return total


def read_payload_file(path: str) -> list[Payload | Reject]:
    """All records of one file (small files, notebooks)."""
    return list(iter_payload_records([path]))


def open_payload_output(out: Path, keep_bytes: int) -> BinaryIO:
    """The output file, cut back to what the checkpoint recorded (empty on a fresh start)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        raw = open(out, "r+b" if keep_bytes and out.exists() else "wb")  # noqa: SIM115 (closed by the caller's with)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(out)) from exc
    if keep_bytes:
        if os.fstat(raw.fileno()).st_size < keep_bytes:
            raw.close()
            raise InputError("shorter than its checkpoint says; run without --resume to start over", source=str(out))
        raw.seek(keep_bytes)
        raw.truncate()
    return raw


def append_lines(raw: BinaryIO, lines: list[str], *, gz: bool) -> None:
    """Append whole lines; with gzip each page is its own member, so a resume cuts at a member boundary."""
    if not lines:
        return
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    raw.write(gzip.compress(data, mtime=0) if gz else data)
    raw.flush()
    os.fsync(raw.fileno())
