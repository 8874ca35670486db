"""fluentd's ``<parse>`` parsers for one line: json, regexp, cri, none and multi_format.

``make_line_parser(parse)`` gives a function line -> (time_ns, record), or the warning fluentd
logs when it drops the line ("pattern not matched: ..." / "invalid line found ...").  The
``time`` field leaves the record and becomes the event time, as the parsers do by default.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from efklab.errors import ConfigError, RuleError
from efklab.fluentd.config.find import ParseSpec
from efklab.fluentd.tail.timeformat import TimeFormatError, parse_rfc3339, time_reader
from efklab.ruby.regexp import compile_ruby


def chomp(line: str) -> str:
    """Ruby's ``chomp``: drop one trailing "\\r\\n", "\\n" or "\\r"."""
    if line.endswith("\n"):
        return line[:-2] if line.endswith("\r\n") else line[:-1]
    return line[:-1] if line.endswith("\r") else line


def ruby_inspect(text: str) -> str:
    """Ruby's ``String#inspect`` of a UTF-8 line (as fluentd's warnings quote lines).

    Controls, line/paragraph separators and unassigned code points become ``\\uXXXX``, bytes
    that were not UTF-8 (read with surrogateescape) ``\\xXX``; ``#`` before ``{$@`` is escaped.
    """
    out = ['"']
    for c in text:
        code = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif c in _INSPECT_ESCAPES:
            out.append(_INSPECT_ESCAPES[c])
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02X}")
        elif (code < 0x80 and (code < 0x20 or code == 0x7F)) or (code >= 0x80 and code != 0x85
                                                                  and unicodedata.category(c) in _UNPRINTABLE):
            out.append(f"\\u{code:04X}" if code <= 0xFFFF else f"\\u{{{code:X}}}")
        else:
            out.append(c)
    out.append('"')
    return re.sub(r"#(?=[{$@])", r"\\#", "".join(out))


_UNPRINTABLE = ("Cc", "Zl", "Zp", "Cn", "Cs")
_INSPECT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v", "\a": "\\a", "\b": "\\b",
                    "\x1b": "\\e"}


ParsedLine = tuple[int, dict[str, Any]] | str  # (time_ns, record), or the warning for a dropped line
LineParser = Callable[[str], ParsedLine]


def make_line_parser(parse: ParseSpec, *, now_ns: int = 0) -> LineParser:
    """A function line -> (time_ns, record) or the warning fluentd logs when it drops the line."""
    kind = parse.type
    if kind == "json":
        decode = json.JSONDecoder().decode
        to_time = time_reader_of(parse)

        def parse_json(text: str) -> ParsedLine:
            try:
                record = decode(text)
            except ValueError:
                return f"pattern not matched: {ruby_inspect(text)}"
            if type(record) is not dict:
                return f"pattern not matched: {ruby_inspect(text)}"
            return _take_time(record, parse, to_time, now_ns)

        return parse_json
    if kind == "regexp":
        try:
            rx = compile_ruby(parse.expression or "", origin="<parse>", position=parse.line or None).compiled
        except RuleError as exc:
            raise ConfigError(f"<parse> expression: {exc.reason}", position=parse.line or None) from exc
        to_time = time_reader_of(parse)

        def parse_regexp(text: str) -> ParsedLine:
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
    if kind == "multi_format":  # fluent-plugin-multi-format-parser: the first <pattern> that parses wins
        subs = [make_line_parser(p, now_ns=now_ns) for p in parse.patterns]

        def parse_multi(text: str) -> ParsedLine:
            for sub in subs:
                result = sub(text)
                if type(result) is not str:
                    return result
            return f"pattern not matched: {ruby_inspect(text)}"

        return parse_multi
    raise ConfigError(f"<parse> @type {kind} is not emulated by efklab (json, regexp, cri, none are)",
                      position=parse.line or None)


def _parse_cri(text: str) -> ParsedLine:
    """fluent-plugin-parser-cri: ``{"stream", "logtag", "message"}`` and the line's time."""
    parts = text.split(" ", 3)
    if len(parts) < 3 or parts[1] not in ("stdout", "stderr"):
        return f"pattern not matched: {ruby_inspect(text)}"
    try:
        when = parse_rfc3339(parts[0])
    except TimeFormatError:
        return f"pattern not matched: {ruby_inspect(text)}"
    return when, {"stream": parts[1], "logtag": parts[2], "message": parts[3] if len(parts) > 3 else ""}


def time_reader_of(parse: ParseSpec) -> Callable[[Any], int]:
    try:
        return time_reader(parse.time_format, parse.time_type)
    except ValueError as exc:
        raise ConfigError(f"<parse> time_format {parse.time_format}: {exc}", position=parse.line or None) from exc


def _take_time(record: dict[str, Any], parse: ParseSpec, to_time: Callable[[Any], int],
               now_ns: int) -> ParsedLine:
    key = parse.time_key
    if key not in record:
        return now_ns, record  # fluentd stamps the current time (estimate_current_event)
    value = record[key] if parse.keep_time_key else record.pop(key)
    try:
        return to_time(value), record
    except TimeFormatError as exc:
        return time_warning(value, exc)


def time_warning(value: Any, exc: Exception) -> str:
    return f"invalid line found: invalid time format: value = {value}, error_class = ArgumentError, error = {exc}"
