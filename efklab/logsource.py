"""Records for the multiline recipe: what ``in_tail`` + ``<parse>`` emit for container log files.

``efklab.containerlogs`` is the reference reader (all formats, parse mismatches, metadata).
This module is the multiline tools' fast path for the common case and their fallback while
the reference reader is not installed: docker json-file lines parsed as the seed's
``<parse> @type json`` + ``time_format %Y-%m-%dT%H:%M:%S.%NZ`` does (the ``time`` field becomes
the event time and leaves the record), CRI lines (``<time> <stream> <P|F> <log>``) and plain
text (``@type none``: ``{"message": line}``; fluentd stamps the read time, efklab line N
with N ms since the epoch, so order is kept).  Lines fluentd would not emit (invalid JSON:
"pattern not matched") are ``Reject``s.
"""
from __future__ import annotations

import calendar
import json
import os
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from efklab.errors import InputError
from efklab.model import Reject

CONTAINER_DIR = "/var/log/containers"
FORMATS = ("auto", "docker", "cri", "text")


class LogRecord(NamedTuple):
    """One event as in_tail emits it, and the file line it came from."""

    tag: str
    time_ns: int
    record: dict[str, Any]
    source: str
    lineno: int


def tail_tag(path: str, tag_pattern: str | None = None) -> str:
    """``tag *`` of in_tail for ``/var/log/containers/<file name>`` (``*`` expanded in a tag pattern)."""
    path_tag = f"{CONTAINER_DIR}/{os.path.basename(path)}".strip("/").replace("/", ".")
    tag = tag_pattern or path_tag
    return tag.replace("*", path_tag) if "*" in tag else tag


class _Clock:
    """RFC 3339 UTC times with up to 9 fraction digits -> ns; the seconds part is cached."""

    def __init__(self) -> None:
        self._prefix = ""
        self._seconds = 0

    def __call__(self, text: str) -> int:
        prefix = text[:19]
        if prefix != self._prefix:
            y, mo, d, h, mi, s = int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]), int(text[17:19])
            if text[4] != "-" or text[10] not in "Tt" or text[13] != ":":
                raise ValueError(text)
            self._seconds = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
            self._prefix = prefix
        rest = text[19:]
        if not rest.endswith(("Z", "z")):
            raise ValueError(text)
        frac = rest[1:-1]
        if rest[:1] == "." and frac.isdigit():
            return self._seconds * 1_000_000_000 + int(frac[:9].ljust(9, "0"))
        if rest in ("Z", "z"):
            return self._seconds * 1_000_000_000
        raise ValueError(text)


def detect_format(first_line: str) -> str:
    """docker (a JSON object), cri (``<RFC3339> stdout|stderr P|F ...``) or text."""
    if first_line.startswith("{"):
        return "docker"
    parts = first_line.split(" ", 3)
    if len(parts) >= 3 and parts[1] in ("stdout", "stderr") and parts[2].split(":")[0] in ("P", "F") and parts[0][:4].isdigit():
        return "cri"
    return "text"


def read_log_file(path: str, *, fmt: str = "auto", tag_pattern: str | None = None,
                  rejects: list[Reject] | None = None) -> Iterator[LogRecord]:
    """The records of one log file, in file order; lines fluentd would not emit go to ``rejects``."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (want {', '.join(FORMATS)})", source=path)
    tag = tail_tag(path, tag_pattern)
    sink: list[Reject] = rejects if rejects is not None else []
    try:
        handle = open(path, encoding="utf-8", errors="surrogateescape", newline="\n")
    except OSError as exc:
        raise InputError(f"cannot read log file: {exc.strerror or exc}", source=path) from exc
    with handle:
        first = handle.readline()
        if fmt == "auto":
            fmt = detect_format(first)
        reader = _docker if fmt == "docker" else _cri if fmt == "cri" else _text
        if first:
            yield from reader([first], path, tag, sink, 0)
            yield from reader(handle, path, tag, sink, 1)


def _docker(lines: Iterable[str], path: str, tag: str, rejects: list[Reject], offset: int) -> Iterator[LogRecord]:
    scan = json.JSONDecoder().scan_once
    cached_prefix, cached_ns = "", 0
    for lineno, line in enumerate(lines, offset + 1):
        if line[-1:] != "\n":  # in_tail waits for the newline of an unfinished last line
            continue
        try:
            record, end = scan(line, 0)
            if type(record) is not dict or (end < len(line) - 1 and line[end:].strip()):
                raise ValueError("not one JSON object")
        except (StopIteration, ValueError):
            rejects.append(Reject("parse", "pattern not matched: not a JSON object (fluentd drops the line)", path, lineno, line.rstrip("\n")))
            continue
        when = record.pop("time", None)
        try:
            if type(when) is not str:
                raise ValueError(when)
            # the seconds part changes rarely between lines: parse it only when it does
            if when[:19] != cached_prefix:
                cached_ns, cached_prefix = _seconds_ns(when), when[:19]
            frac = when[20:-1]
            if when[19:20] != "." or when[-1] not in "Zz" or not frac.isdigit():
                time_ns = _Clock()(when)
            else:
                time_ns = cached_ns + int(frac[:9].ljust(9, "0"))
        except ValueError:
            rejects.append(Reject("parse", f"invalid time value {when!r} for %Y-%m-%dT%H:%M:%S.%NZ", path, lineno, line.rstrip("\n")))
            continue
        yield LogRecord(tag, time_ns, record, path, lineno)


def _seconds_ns(text: str) -> int:
    if len(text) < 20 or text[4] != "-" or text[7] != "-" or text[10] not in "Tt" or text[13] != ":" or text[16] != ":":
        raise ValueError(text)
    y, mo, d, h, mi, s = int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]), int(text[17:19])
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * 1_000_000_000


def _cri(lines: Iterable[str], path: str, tag: str, rejects: list[Reject], offset: int) -> Iterator[LogRecord]:
    clock = _Clock()
    for lineno, line in enumerate(lines, offset + 1):
        if not line.endswith("\n"):
            continue
        parts = line[:-1].split(" ", 3)
        try:
            if len(parts) < 3 or parts[1] not in ("stdout", "stderr"):
                raise ValueError(line)
            time_ns = clock(parts[0])
        except ValueError:
            rejects.append(Reject("parse", "not a CRI log line", path, lineno, line.rstrip("\n")))
            continue
        yield LogRecord(tag, time_ns, {"stream": parts[1], "logtag": parts[2], "log": parts[3] if len(parts) > 3 else ""},
                        path, lineno)


def _text(lines: Iterable[str], path: str, tag: str, rejects: list[Reject], offset: int) -> Iterator[LogRecord]:
    for lineno, line in enumerate(lines, offset + 1):
        if line.endswith("\n"):
            yield LogRecord(tag, lineno * 1_000_000, {"message": line[:-1]}, path, lineno)
