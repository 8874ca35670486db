"""Payload files as users have them: paths or ``-``, plain or gzip, JSON lines or pretty-printed JSON."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from efklab.adapters.files import check_inputs, expand_inputs, iter_lines
from efklab.cloudwatch.payloads import iter_records
from efklab.cloudwatch.schema import Payload
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


def read_payload_file(path: str) -> list[Payload | Reject]:
    """All records of one file (small files, notebooks)."""
    return list(iter_payload_records([path]))
