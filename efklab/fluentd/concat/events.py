"""What flows through the concat engine: records in (``Fed``), events out (``Emitted``), routes.

Also how Ruby renders a record value when the plugin joins lines (``Array#join``), which the
engine needs wherever buffered values are not all strings.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

ROUTE_MAIN, ROUTE_TIMEOUT, ROUTE_ERROR, ROUTE_DROPPED = "main", "timeout", "error", "dropped"
INTERNAL_TAGS = frozenset(f"fluent.{lvl}" for lvl in ("trace", "debug", "info", "warn", "error", "fatal"))

Entry = tuple[int, str, int, dict[str, Any]]  # a buffered record: (seq, tag, time_ns, record)
Flushed = tuple[int, dict[str, Any], tuple[int, ...]]  # (time_ns, record, lines); lines == () marks a drop


class Fed(Protocol):
    """What the engine reads from an input record (``containerlogs.FluentRecord`` fits).

    Read-only members, so that a NamedTuple such as ``FluentRecord`` fits as well as a dataclass.
    """

    @property
    def tag(self) -> str: ...

    @property
    def time_ns(self) -> int: ...

    @property
    def record(self) -> dict[str, Any]: ...


class Emitted(NamedTuple):
    """One event leaving the filter: where it goes, its time and record, and which inputs made it."""

    time_ns: int
    tag: str
    route: str  # main | timeout (the timeout_label) | error (the @ERROR route) | dropped (buffer overflow)
    record: dict[str, Any]
    lines: tuple[int, ...]  # feed-order numbers of the records joined into this event
    note: str | None = None  # why it took the timeout/error/dropped route


class RecordError(Exception):
    """A record the plugin fails on (Ruby exception in ``process``): it goes to @ERROR.

    ``discarded`` are the records the failing step had already thrown away (``drop`` empties the
    buffer before flushing it fails): fluentd loses them silently, efklab lists them as dropped.
    """

    def __init__(self, message: str, discarded: tuple[Flushed, ...] = ()) -> None:
        super().__init__(message)
        self.discarded = discarded


def ruby_float_to_s(value: float) -> str:
    """Ruby ``Float#to_s``: the shortest digits, fixed notation for decimal exponents -4..14, else ``1.0e+15``."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(abs(value))
    if -4 <= exponent <= 14:
        if exponent >= 0:
            return f"{sign}{digits[:exponent + 1].ljust(exponent + 1, '0')}.{digits[exponent + 1:] or '0'}"
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest round-trip digits of a positive float (no leading or trailing zeros) and its decimal exponent."""
    text = repr(value)
    if "e" in text:
        mantissa, _, exp = text.partition("e")
        digits, exponent = mantissa.replace(".", ""), int(exp)
    else:
        whole, _, frac = text.partition(".")
        if whole != "0":
            digits, exponent = whole + frac, len(whole) - 1
        else:
            significant = frac.lstrip("0")
            digits, exponent = significant, -(len(frac) - len(significant)) - 1
    return digits.rstrip("0") or "0", exponent


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v", "\b": "\\b", "\a": "\\a",
            "\x1b": "\\e", '"': '\\"', "\\": "\\\\"}


# What Ruby's inspect escapes as \\uXXXX: controls, line/paragraph separators, unassigned code points (by the
# Unicode version of the Python build; Ruby 3.1 has Unicode 13, so characters added later differ).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cn", "Cs"})


def _inspect_string(text: str) -> str:
    """Ruby ``String#inspect`` of a UTF-8 string: C escapes, ``\\#{``, other controls as ``\\uXXXX``."""
    out = ['"']
    for i, ch in enumerate(text):
        escaped = _ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch == "#" and text[i + 1:i + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif ch == "\x85" or unicodedata.category(ch) not in _ESCAPED_CATEGORIES:
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04X}" if ord(ch) <= 0xFFFF else f"\\u{{{ord(ch):X}}}")
    out.append('"')
    return "".join(out)


def ruby_inspect(value: Any) -> str:
    """Ruby ``inspect`` of a JSON value (Ruby before 3.4: ``{"a"=>1}``), what ``Array#to_s`` and ``Hash#to_s`` give."""
    if isinstance(value, str):
        return _inspect_string(value)
    if value is None:
        return "nil"
    if isinstance(value, list):
        return "[" + ", ".join(ruby_inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items()) + "}"
    return ruby_to_s(value)


def ruby_to_s(value: Any) -> str:
    """Ruby ``to_s`` (and ``"#{value}"``) of a JSON value: nil -> "", arrays and hashes as ``inspect``."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return ruby_float_to_s(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, dict)):
        return ruby_inspect(value)
    return str(value)


def ruby_join(values: Iterable[Any], separator: str) -> str:
    """Ruby ``Array#join``: nested arrays joined recursively with the same separator, nil -> "", others ``to_s``."""
    parts: list[str] = []
    for value in values:
        parts.append(ruby_join(value, separator) if isinstance(value, list) else ruby_to_s(value))
    return separator.join(parts)


def ruby_bytesize(record: dict[str, Any]) -> int:
    """The plugin's ``record_bytesize``: UTF-8 bytes of every key and of every value's ``to_s``."""
    return sum(len(str(k).encode("utf-8")) + len(ruby_to_s(v).encode("utf-8", "surrogatepass"))
               for k, v in record.items())


def join_texts(separator: str, entries: Iterable[Entry], key: str) -> str:
    """``lines.join(separator)`` of the buffered records' ``key`` values, as Ruby renders them."""
    texts = [e[3][key] for e in entries]
    try:
        return separator.join(texts)
    except TypeError:
        return ruby_join(texts, separator)
