"""Container log files as fluentd's in_tail + ``<parse>`` read them: records, or the lines it drops.

Docker json-file lines (``{"log": "...\\n", "stream": ..., "time": ...}``), CRI lines
(``<time> <stream> <P|F> <content>``) and plain text.  A line the configured ``<parse>`` cannot
read becomes a :class:`Reject` naming file:line and the warning fluentd logs ("pattern not
matched: ..." or "invalid line found ... invalid time format ..."), never a silent drop.
Kubernetes metadata and the ``tag *`` tag come from the file name, as in EKS.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from efklab.errors import ConfigError, InputError, RuleError
from efklab.fluentconf import ParseSpec
from efklab.fluenttime import SEED_TIME_FORMAT, TimeFormatError, parse_rfc3339, time_reader
from efklab.model import Reject

CONTAINER_DIR = "/var/log/containers"
FORMATS = ("auto", "docker", "cri", "text")
SEED_PARSE = ParseSpec(type="json", time_format=SEED_TIME_FORMAT)
AWS_CRI_EXPRESSION = r"^(?<time>.+) (?<stream>stdout|stderr) (?<logtag>[FP]) (?<log>.*)$"
CRI_PARSE = ParseSpec(type="regexp", expression=AWS_CRI_EXPRESSION, time_format="%Y-%m-%dT%H:%M:%S.%N%:z")
TEXT_PARSE = ParseSpec(type="none")
_K8S_NAME = re.compile(r"(?P<pod>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)_"
                       r"(?P<namespace>[^_]+)_(?P<container>.+)-(?P<id>[a-z0-9]{64})\.log\Z")
_CRI_LINE = re.compile(r"\d{4}-\d{2}-\d{2}T\S+ (?:stdout|stderr) [PF](?::\S*)?(?: |\Z)")


class FluentRecord(NamedTuple):
    """One event in_tail emits (a NamedTuple: millions are made), with the file line it came from."""

    tag: str
    time_ns: int
    record: dict[str, Any]
    source: str
    lineno: int


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
    """The tag in_tail gives a file under ``directory``: ``*`` -> the path with '/' as '.'."""
    full = f"{directory.rstrip('/')}/{os.path.basename(path)}"
    path_tag = full.replace("/", ".").lstrip(".")
    return tag.replace("*", path_tag, 1) if "*" in tag else tag


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


def chomp(line: str) -> str:
    """Ruby's ``chomp``: drop one trailing "\\r\\n", "\\n" or "\\r"."""
    if line.endswith("\n"):
        return line[:-2] if line.endswith("\r\n") else line[:-1]
    return line[:-1] if line.endswith("\r") else line


def ruby_inspect(text: str) -> str:
    """Ruby's ``String#inspect`` (as fluentd's warnings quote lines)."""
    out = ['"']
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "#":
            out.append("#")
        elif c in _INSPECT_ESCAPES:
            out.append(_INSPECT_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\x%02X" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return re.sub(r"#(?=[{$@])", r"\\#", "".join(out))


_INSPECT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v", "\a": "\\a", "\b": "\\b",
                    "\x1b": "\\e"}


LineParser = Callable[[str], "tuple[int | None, dict[str, Any]] | str"]


def make_line_parser(parse: ParseSpec, *, now_ns: int = 0) -> LineParser:
    """A function line -> (time_ns, record) or the warning fluentd logs when it drops the line."""
    kind = parse.type
    if kind == "json":
        decode = json.JSONDecoder().decode
        to_time = _time_reader(parse)

        def parse_json(text: str) -> tuple[int | None, dict[str, Any]] | str:
            try:
                record = decode(text)
            except ValueError:
                return f"pattern not matched: {ruby_inspect(text)}"
            if type(record) is not dict:
                return f"pattern not matched: {ruby_inspect(text)}"
            return _take_time(record, parse, to_time, now_ns)

        return parse_json
    if kind == "regexp":
        from efklab.rubyregex import compile_ruby

        try:
            rx = compile_ruby(parse.expression or "", origin="<parse>", position=parse.line or None).compiled
        except RuleError as exc:
            raise ConfigError(f"<parse> expression: {exc.reason}", position=parse.line or None) from exc
        to_time = _time_reader(parse)

        def parse_regexp(text: str) -> tuple[int | None, dict[str, Any]] | str:
            m = rx.search(text)
            if m is None:
                return f"pattern not matched: {ruby_inspect(text)}"
            record = {k: v for k, v in m.groupdict().items() if v is not None}
            return _take_time(record, parse, to_time, now_ns)

        return parse_regexp
    if kind == "none":
        key = parse.params["message_key"].value if "message_key" in parse.params else "message"
        return lambda text: (now_ns, {key: text})
    if kind == "cri":
        return _parse_cri
    raise ConfigError(f"<parse> @type {kind} is not emulated by efklab (json, regexp, cri, none are)",
                      position=parse.line or None)


def _parse_cri(text: str) -> tuple[int | None, dict[str, Any]] | str:
    """fluent-plugin-parser-cri: ``{"stream", "logtag", "message"}`` and the line's time."""
    parts = text.split(" ", 3)
    if len(parts) < 3 or parts[1] not in ("stdout", "stderr"):
        return f"pattern not matched: {ruby_inspect(text)}"
    try:
        when = parse_rfc3339(parts[0])
    except TimeFormatError:
        return f"pattern not matched: {ruby_inspect(text)}"
    return when, {"stream": parts[1], "logtag": parts[2], "message": parts[3] if len(parts) > 3 else ""}


def _time_reader(parse: ParseSpec) -> Callable[[Any], int]:
    try:
        return time_reader(parse.time_format, parse.time_type)
    except ValueError as exc:
        raise ConfigError(f"<parse> time_format {parse.time_format}: {exc}", position=parse.line or None) from exc


def _take_time(record: dict[str, Any], parse: ParseSpec, to_time: Callable[[Any], int],
               now_ns: int) -> tuple[int | None, dict[str, Any]] | str:
    key = parse.time_key
    if key not in record:
        return now_ns, record  # fluentd stamps the current time (estimate_current_event)
    value = record[key] if parse.keep_time_key else record.pop(key)
    try:
        return to_time(value), record
    except TimeFormatError as exc:
        return _time_warning(value, exc)


def parse_lines(lines: Iterable[str], *, source: str, tag: str, parse: ParseSpec, join_partials: bool = False,
                now_ns: int = 0, first_lineno: int = 1) -> Iterator[FluentRecord | Reject]:
    """Records (or Rejects) for raw lines of one file, in order; the functional core of the reader."""
    out: Iterator[FluentRecord | Reject]
    if parse.type == "json":  # the hot path (docker json-file): the same steps, inlined
        out = _parsed_json(lines, parse, source, tag, first_lineno, now_ns)
    else:
        out = _parsed(lines, make_line_parser(parse, now_ns=now_ns), source, tag, first_lineno)
    return join_cri_partials(out) if join_partials else out


def _parsed_json(lines: Iterable[str], parse: ParseSpec, source: str, tag: str, first_lineno: int,
                 now_ns: int) -> Iterator[FluentRecord | Reject]:
    scan = json.JSONDecoder().scan_once
    blank = re.compile(r"[ \t\n\r]*").match
    to_time = _time_reader(parse)
    key, keep = parse.time_key, parse.keep_time_key
    for lineno, line in enumerate(lines, first_lineno):
        text = line[:-1] if line[-1:] == "\n" and line[-2:-1] != "\r" else chomp(line)
        try:
            start = 0 if text[:1] == "{" else blank(text, 0).end()  # type: ignore[union-attr]
            if text[start:start + 1] != "{":
                raise ValueError("not an object")
            record, end = scan(text, start)
            if end != len(text) and blank(text, end).end() != len(text):  # type: ignore[union-attr]
                raise ValueError("extra data")
        except (StopIteration, ValueError):
            yield Reject("parse", f"pattern not matched: {ruby_inspect(text)}", source, lineno, text)
            continue
        when = now_ns  # fluentd stamps the current time when the time field is missing
        if key in record:
            value = record[key] if keep else record.pop(key)
            try:
                when = to_time(value)
            except TimeFormatError as exc:
                yield Reject("parse", _time_warning(value, exc), source, lineno, text)
                continue
        yield FluentRecord(tag, when, record, source, lineno)


def _time_warning(value: Any, exc: Exception) -> str:
    return f"invalid line found: invalid time format: value = {value}, error_class = ArgumentError, error = {exc}"


def _parsed(lines: Iterable[str], parse_line: LineParser, source: str, tag: str,
            first_lineno: int) -> Iterator[FluentRecord | Reject]:
    for lineno, line in enumerate(lines, first_lineno):
        text = chomp(line)
        result = parse_line(text)
        if type(result) is str:
            yield Reject("parse", result, source, lineno, text)
        else:
            when, record = result  # type: ignore[misc]
            yield FluentRecord(tag, when, record, source, lineno)


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
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (want {', '.join(FORMATS)})", source=path)
    try:
        handle = open(path, encoding="utf-8", errors="surrogateescape", newline="\n")
    except OSError as exc:
        raise InputError(f"cannot read log file: {exc.strerror or exc}", source=path) from exc
    return _read(handle, path, fmt, parse, tag, join_partials, now_ns)


def _read(handle: Any, path: str, fmt: str, parse: ParseSpec | None, tag: str | None, join_partials: bool,
          now_ns: int) -> Iterator[FluentRecord | Reject]:
    with handle:
        head = [handle.readline() for _ in range(5)]
        lines = [h for h in head if h]
        if parse is None:
            parse = default_parse(detect_format(lines) if fmt == "auto" else fmt)
        yield from parse_lines(_chain(lines, handle), source=path, tag=fluentd_tag(path, tag or "*"),
                               parse=parse, join_partials=join_partials, now_ns=now_ns)


def _chain(first: list[str], rest: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from rest
