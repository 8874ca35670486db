"""Lines of one container log file parsed as in_tail + ``<parse>`` do, a chunk at a time.

A ``LogChunk`` holds the outcome of consecutive lines in columns: the event times and records of
the lines that parsed, in file order, and the ``Reject`` of each line that did not (its position
is its line number).  Every line is exactly one of the two, so a record's line number follows
from the chunk's first line and the rejects' positions.  Columns let the hot path (millions of
docker lines through the concat engine) skip a per-line object; ``items()`` gives the
one-object-per-line view everyone else reads.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, NamedTuple

import orjson

from efklab.errors import RegexpTimeoutError
from efklab.fluentd.config.find import ParseSpec
from efklab.fluentd.tail.parsers import (
    LineParser,
    chomp,
    make_line_parser,
    ruby_inspect,
    time_reader_of,
    time_warning,
)
from efklab.fluentd.tail.timeformat import FRACTION_SCALE, SeedClock, TimeFormatError
from efklab.model import Reject


class FluentRecord(NamedTuple):
    """One event in_tail emits, with the file line it came from."""

    tag: str
    time_ns: int
    record: dict[str, Any]
    source: str
    lineno: int


class LogChunk(NamedTuple):
    """Consecutive lines of one file: the records that parsed (times and dicts) and the rejects."""

    tag: str
    source: str
    first_lineno: int
    times: list[int]
    records: list[dict[str, Any]]
    rejects: list[Reject]

    def items(self) -> list[FluentRecord | Reject]:
        """One outcome per line, in file order."""
        tag, source, lineno = self.tag, self.source, self.first_lineno
        new = tuple.__new__
        out: list[FluentRecord | Reject] = []
        pairs = zip(self.times, self.records, strict=True)
        for reject in self.rejects:
            while lineno < reject.position:  # type: ignore[operator]
                t, record = next(pairs)
                out.append(new(FluentRecord, (tag, t, record, source, lineno)))
                lineno += 1
            out.append(reject)
            lineno += 1
        for t, record in pairs:
            out.append(new(FluentRecord, (tag, t, record, source, lineno)))
            lineno += 1
        return out


def parse_line_chunks(chunks: Iterable[list[str]], *, source: str, tag: str, parse: ParseSpec, now_ns: int = 0,
                      first_lineno: int = 1) -> Iterator[LogChunk]:
    """One ``LogChunk`` per list of raw lines (with or without their newlines), in order."""
    if parse.type == "json":  # the hot path (docker json-file)
        return _json_chunks(chunks, parse, source, tag, first_lineno, now_ns)
    return _parsed_chunks(chunks, make_line_parser(parse, now_ns=now_ns), source, tag, first_lineno,
                          now_ns if parse.emit_unmatched_lines else None)


def _json_chunks(chunks: Iterable[list[str]], parse: ParseSpec, source: str, tag: str, first_lineno: int,
                 now_ns: int) -> Iterator[LogChunk]:
    """Docker json-file lines.  A line that orjson decodes to exactly ``{log, stream, <time_key>}``
    with string values takes the fast path (orjson and the json module agree on such objects);
    any other line goes through :func:`_json_line`, the json module's reading of it."""
    to_time = time_reader_of(parse)
    key, keep = parse.time_key, parse.keep_time_key
    read_one = partial(_json_line, parse=parse, to_time=to_time, now_ns=now_ns)
    seed = to_time if isinstance(to_time, SeedClock) else None
    # a second already parsed, "YYYY-MM-DDTHH:MM:SS." and its ns: times in it skip the seed clock; for
    # other time formats a lone surrogate, which no string orjson decodes starts with
    prefix, second_ns = ("1970-01-01T00:00:00.", 0) if seed is not None else ("\udc80", 0)
    size, scale = len({"log", "stream", key}), FRACTION_SCALE  # docker's fields: exactly these, all strings
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    lineno = first_lineno
    for lines in chunks:
        chunk = LogChunk(tag, source, lineno, [], [], [])
        times, records, rejects = chunk.times, chunk.records, chunk.rejects
        add_time, add_record = times.append, records.append
        for line in lines:
            try:
                record = loads(line)
                if len(record) != size \
                        or not (type(record["log"]) is type(record["stream"]) is type(when := record[key]) is str):
                    raise TypeError("not the docker shape")  # e.g. orjson reads big integers as floats
            except (decode_error, TypeError, KeyError):  # the json module decides (also NaN, lone surrogates)
                read_one(line, lineno + len(times) + len(rejects), chunk)
                continue
            if not keep:
                del record[key]
            if when.startswith(prefix) and when[-1] == "Z" and (frac := when[20:-1]).isdigit() and frac.isascii() \
                    and (n := len(frac)) <= 9:
                add_time(second_ns + int(frac) * scale[n])
            else:
                try:
                    add_time(to_time(when))
                except TimeFormatError as exc:
                    rejects.append(Reject("parse", time_warning(when, exc), source, lineno + len(times) + len(rejects),
                                          chomp(line)))
                    continue
                if seed is not None:
                    prefix, second_ns = seed.prefix + ".", seed.second_ns
            add_record(record)
        lineno += len(lines)
        yield chunk


def _json_line(line: str, lineno: int, chunk: LogChunk, *, parse: ParseSpec, to_time: Callable[[Any], int],
               now_ns: int) -> None:
    """One line as fluentd's json parser reads it (the json module: any JSON object, NaN, big
    integers, lone surrogates), added to the chunk; what it cannot read is "pattern not matched"."""
    text = chomp(line)
    try:
        start = 0 if text[:1] == "{" else _BLANK(text, 0).end()  # type: ignore[union-attr]
        if text[start:start + 1] != "{":
            raise ValueError("not an object")
        record, end = _SCAN(text, start)
        if end != len(text) and _BLANK(text, end).end() != len(text):  # type: ignore[union-attr]
            raise ValueError("extra data")
    except (StopIteration, ValueError):
        _add_unmatched(chunk, f"pattern not matched: {ruby_inspect(text)}", text, lineno,
                       now_ns if parse.emit_unmatched_lines else None)
        return
    when = now_ns  # fluentd stamps the current time when the time field is missing
    key = parse.time_key
    if key in record:
        value = record[key] if parse.keep_time_key else record.pop(key)
        try:
            when = to_time(value)
        except TimeFormatError as exc:
            chunk.rejects.append(Reject("parse", time_warning(value, exc), chunk.source, lineno, text))
            return
    chunk.times.append(when)
    chunk.records.append(record)


# JSONDecoder.__init__ sets scan_once (the C scanner); the stubs do not declare it
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_BLANK = re.compile(r"[ \t\n\r]*").match


def _add_unmatched(chunk: LogChunk, reason: str, text: str, lineno: int, unmatched_ns: int | None) -> None:
    """A line the parser could not read: dropped (a Reject), or with ``emit_unmatched_lines``
    emitted as ``{"unmatched_line": line}`` stamped with the read time (the warning is logged anyway)."""
    if unmatched_ns is not None and reason.startswith("pattern not matched"):
        chunk.times.append(unmatched_ns)
        chunk.records.append({"unmatched_line": text})
    else:
        chunk.rejects.append(Reject("parse", reason, chunk.source, lineno, text))


def _parsed_chunks(chunks: Iterable[list[str]], parse_line: LineParser, source: str, tag: str, first_lineno: int,
                   unmatched_ns: int | None) -> Iterator[LogChunk]:
    lineno = first_lineno
    for lines in chunks:
        chunk = LogChunk(tag, source, lineno, [], [], [])
        for line in lines:
            text = chomp(line)
            try:
                result = parse_line(text)
            except RegexpTimeoutError as exc:  # a <parse> expression that backtracks without end
                raise exc.at(source, lineno) from None
            if isinstance(result, tuple):  # (time_ns, record); a str is the warning for a dropped line
                when, record = result
                chunk.times.append(when)
                chunk.records.append(record)
            else:
                _add_unmatched(chunk, result, text, lineno, unmatched_ns)
            lineno += 1
        yield chunk
