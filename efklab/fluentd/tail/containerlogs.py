"""Container log files as fluentd's in_tail + ``<parse>`` read them: records, or the lines it drops.

Docker json-file lines (``{"log": "...\\n", "stream": ..., "time": ...}``), CRI lines
(``<time> <stream> <P|F> <content>``) and plain text.  A line the configured ``<parse>`` cannot
read becomes a :class:`Reject` naming file:line and the warning fluentd logs ("pattern not
matched: ..." or "invalid line found ... invalid time format ..."), never a silent drop.
Kubernetes metadata and the ``tag *`` tag come from the file name, as in EKS.  This is the one
reader of container logs: ``read_records`` gives one record (or reject) per line,
``read_chunks`` the same in columns a chunk at a time (:mod:`efklab.fluentd.tail.chunks`, with the docker
fast path), which is what ``multiline group`` reads.  The per-line parsers of other ``<parse>``
types live in :mod:`efklab.fluentd.tail.parsers`.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice
from typing import Any

from efklab.errors import InputError
from efklab.fluentd.config.find import ParseSpec
from efklab.fluentd.tail.chunks import FluentRecord, LogChunk, parse_line_chunks
from efklab.fluentd.tail.parsers import chomp, make_line_parser, ruby_inspect
from efklab.fluentd.tail.timeformat import SEED_TIME_FORMAT
from efklab.model import Reject

__all__ = ["AWS_CRI_EXPRESSION", "CRI_PARSE", "FORMATS", "SEED_PARSE", "TEXT_PARSE", "FluentRecord", "K8sFile",
           "LogChunk", "chomp", "default_parse", "detect_format", "fluentd_tag", "join_cri_partials",
           "kubernetes_metadata", "make_line_parser", "parse_line_chunks", "parse_lines", "read_chunks", "read_records",
           "ruby_inspect"]

CONTAINER_DIR = "/var/log/containers"
FORMATS = ("auto", "docker", "cri", "text")
SEED_PARSE = ParseSpec(type="json", time_format=SEED_TIME_FORMAT)
AWS_CRI_EXPRESSION = r"^(?<time>.+) (?<stream>stdout|stderr) (?<logtag>[FP]) (?<log>.*)$"
CRI_PARSE = ParseSpec(type="regexp", expression=AWS_CRI_EXPRESSION, time_format="%Y-%m-%dT%H:%M:%S.%N%:z")
TEXT_PARSE = ParseSpec(type="none")
_K8S_NAME = re.compile(r"(?P<pod>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)_"
                       r"(?P<namespace>[^_]+)_(?P<container>.+)-(?P<id>[a-z0-9]{64})\.log\Z")
_CRI_LINE = re.compile(r"\d{4}-\d{2}-\d{2}T\S+ (?:stdout|stderr) [PF](?::\S*)?(?: |\Z)")


@dataclass(frozen=True)
class K8sFile:
    """What kubernetes_metadata reads from ``<pod>_<namespace>_<container>-<id>.log``."""

    pod: str
    namespace: str
    container: str
    container_id: str
    file: str


def kubernetes_metadata(path: str) -> K8sFile | None:
    """Pod, namespace, container and container id from a container log file name; None if not one."""
    name = os.path.basename(path)
    m = _K8S_NAME.match(name)
    if m is None:
        return None
    return K8sFile(m.group("pod"), m.group("namespace"), m.group("container"), m.group("id"), name)


def fluentd_tag(path: str, tag: str = "*", directory: str = CONTAINER_DIR) -> str:
    """The tag in_tail gives a file under ``directory`` for its ``tag`` parameter.

    As in_tail does: with a ``*`` in ``tag``, the tag is prefix + path + suffix, where the path
    has '/' as '.' (runs of '.' squeezed, no leading '.') and prefix and suffix are the first two
    pieces of Ruby's ``tag.split('*')`` (which drops trailing empty pieces; further pieces are lost).
    """
    if "*" not in tag:
        return tag
    full = f"{directory.rstrip('/')}/{os.path.basename(path)}"
    path_tag = re.sub(r"\.+", ".", full.replace("/", ".")).removeprefix(".")
    pieces = tag.split("*")
    while pieces and not pieces[-1]:
        pieces.pop()
    prefix = pieces[0] if pieces else ""
    suffix = pieces[1] if len(pieces) > 1 else ""
    return prefix + path_tag + suffix


def detect_format(first_lines: Iterable[str]) -> str:
    """"docker" (JSON objects), "cri" (``<time> <stream> <P|F> ...``) or "text", from the first lines."""
    for line in first_lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if text.startswith("{"):
            try:
                return "docker" if isinstance(json.loads(text), dict) else "text"
            except ValueError:
                return "text"
        return "cri" if _CRI_LINE.match(text) else "text"
    return "text"


def default_parse(fmt: str) -> ParseSpec:
    """The ``<parse>`` that reads a format as EKS configs do: the seed's json, AWS's CRI regexp, none."""
    return {"docker": SEED_PARSE, "cri": CRI_PARSE}.get(fmt, TEXT_PARSE)


def parse_lines(lines: Iterable[str], *, source: str, tag: str, parse: ParseSpec, join_partials: bool = False,
                now_ns: int = 0, first_lineno: int = 1) -> Iterator[FluentRecord | Reject]:
    """Records (or Rejects) for raw lines of one file, in order; the functional core of the reader."""
    chunks = parse_line_chunks(_batches(lines), source=source, tag=tag, parse=parse, now_ns=now_ns,
                               first_lineno=first_lineno)
    out = chain.from_iterable(map(LogChunk.items, chunks))
    return join_cri_partials(out) if join_partials else out


def join_cri_partials(items: Iterable[FluentRecord | Reject]) -> Iterator[FluentRecord | Reject]:
    """Join CRI ``P`` records with the ``F`` record that ends them, per stream, as kubelet does.

    The joined record keeps the first part's time, line and fields; its content is all parts
    concatenated.  Parts left open at the end of the file are emitted as they are.
    """
    open_parts: dict[Any, list[FluentRecord]] = {}
    for item in items:
        if isinstance(item, Reject) or "logtag" not in item.record:
            yield item
            continue
        stream = item.record.get("stream")
        parts = open_parts.setdefault(stream, [])
        parts.append(item)
        if str(item.record["logtag"]).split(":")[0] == "P":
            continue
        del open_parts[stream]
        yield _joined(parts)
    for parts in open_parts.values():
        yield from parts


def _joined(parts: list[FluentRecord]) -> FluentRecord:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    key = "log" if "log" in first.record else "message"
    record = dict(first.record)
    record[key] = "".join(str(p.record.get(key, "")) for p in parts)
    record["logtag"] = parts[-1].record["logtag"]
    return first._replace(record=record)


def read_records(path: str, *, fmt: str = "auto", parse: ParseSpec | None = None, tag: str | None = None,
                 join_partials: bool = False, now_ns: int = 0) -> Iterator[FluentRecord | Reject]:
    """What in_tail + ``<parse>`` emit for one container log file, in file order.

    ``parse`` is the source's ``<parse>``; without it the format (``fmt``, detected when
    "auto") picks the seed's json, AWS's CRI regexp or none.  ``tag`` is in_tail's tag pattern
    (``*`` by default, expanded as under /var/log/containers).  ``join_partials`` joins CRI
    P...F parts as the runtime's reader would.
    """
    chunks = read_chunks(path, fmt=fmt, parse=parse, tag=tag, now_ns=now_ns)
    out = chain.from_iterable(map(LogChunk.items, chunks))
    return join_cri_partials(out) if join_partials else out


def read_chunks(path: str, *, fmt: str = "auto", parse: ParseSpec | None = None, tag: str | None = None,
                now_ns: int = 0) -> Iterator[LogChunk]:
    """``read_records`` about a MiB of lines at a time, as columns (see :class:`LogChunk`)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (want {', '.join(FORMATS)})", source=path)
    try:
        # opened here, not in _read, so that a missing file is reported at the call
        handle = open(path, encoding="utf-8", errors="surrogateescape", newline="\n")  # noqa: SIM115 - _read closes it
    except OSError as exc:
        raise InputError(f"cannot read log file: {exc.strerror or exc}", source=path) from exc
    return _read(handle, path, fmt, parse, tag, now_ns)


CHUNK_CHARS = 1 << 16  # lines are read about this many characters at a time (cache-sized chunks)


def _read(handle: Any, path: str, fmt: str, parse: ParseSpec | None, tag: str | None,
          now_ns: int) -> Iterator[LogChunk]:
    with handle:
        head = [line for line in (handle.readline() for _ in range(5)) if line]
        if parse is None:
            parse = default_parse(detect_format(head) if fmt == "auto" else fmt)
        chunks = chain([head], iter(partial(handle.readlines, CHUNK_CHARS), []))
        yield from parse_line_chunks(chunks, source=path, tag=fluentd_tag(path, tag or "*"), parse=parse, now_ns=now_ns)


def _batches(lines: Iterable[str], size: int = 4096) -> Iterator[list[str]]:
    """Lists of up to ``size`` lines (a list of lines is one batch as it is)."""
    if isinstance(lines, list):
        yield lines
        return
    it = iter(lines)
    while batch := list(islice(it, size)):
        yield batch
