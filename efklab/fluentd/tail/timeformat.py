"""fluentd's ``time_format`` parsing for in_tail parsers, to integer nanoseconds.

A strptime subset compiled once to a regular expression: ``%Y %m %d %H %M %S %N %3N %6N %9N %L
%z %:z %b %e %j %y %T %F %s %%``.  ``%N`` reads as many fraction digits as are there (the
``strptime`` gem does), so Docker's trimmed fractions (``.64792455Z``) parse, and a time without
a fraction does not match ``%S.%N``: fluentd logs "invalid time format" and drops the line.
Times without a zone are taken as UTC (fluentd uses the container's local zone, UTC on EKS).
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NS = 1_000_000_000
SEED_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%NZ"  # the seed's <parse> for docker json-file lines
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"), 1)}
_DIRECTIVES = {
    "Y": r"(?P<Y>[+-]?\d{4})", "m": r"(?P<m>\d{1,2})", "d": r"(?P<d>\d{1,2})", "e": r"\s?(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})", "M": r"(?P<M>\d{1,2})", "S": r"(?P<S>\d{1,2})", "N": r"(?P<N>\d+)",
    "L": r"(?P<N>\d+)", "z": r"(?P<z>Z|[+-]\d{2}:?\d{2})", ":z": r"(?P<z>Z|[+-]\d{2}:\d{2})",
    "b": r"(?P<b>[A-Za-z]{3})", "j": r"(?P<j>\d{1,3})", "y": r"(?P<y>\d{2})", "s": r"(?P<s>-?\d+)",
    "T": r"(?P<H>\d{1,2}):(?P<M>\d{1,2}):(?P<S>\d{1,2})", "F": r"(?P<Y>[+-]?\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
    "%": "%",
}
_TOKEN = re.compile(r"%(?::z|\d*N|[A-Za-z%])")


class TimeFormatError(ValueError):
    """The value does not fit the format (fluentd: "invalid time format ... string doesn't match")."""


@dataclass(frozen=True)
class TimeFormat:
    """A compiled ``time_format``; ``parse(text)`` -> ns since the epoch."""

    format: str
    regex: re.Pattern[str]

    def parse(self, text: str) -> int:
        m = self.regex.match(text)
        if m is None:
            raise TimeFormatError("string doesn't match")
        g = m.groupdict()
        if g.get("s") is not None:
            return int(g["s"]) * NS
        year = int(g["Y"]) if g.get("Y") else 2000 + int(g["y"]) if g.get("y") else 1970
        month = _MONTHS.get((g.get("b") or "").lower()) or int(g.get("m") or 1)
        day = int(g.get("d") or 1)
        hour, minute, second = int(g.get("H") or 0), int(g.get("M") or 0), int(g.get("S") or 0)
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
            raise TimeFormatError("invalid date or time")
        seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
        if g.get("j"):
            seconds += (int(g["j"]) - 1) * 86400
        frac = g.get("N") or ""
        nanos = int(frac[:9].ljust(9, "0")) if frac else 0
        return (seconds - _offset_seconds(g.get("z"))) * NS + nanos


def _offset_seconds(zone: str | None) -> int:
    if not zone or zone in ("Z", "z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


def compile_time_format(fmt: str) -> TimeFormat:
    """Compile a strptime ``time_format``; ValueError for directives efklab does not emulate."""
    parts: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(fmt):
        parts.append(re.escape(fmt[pos:m.start()]))
        token = m.group(0)[1:]
        key = "N" if token.endswith("N") else token
        if key not in _DIRECTIVES:
            raise ValueError(f"time_format directive %{token} is not emulated")
        parts.append(_DIRECTIVES[key] if key not in _used(parts) else _backref(key))
        pos = m.end()
    parts.append(re.escape(fmt[pos:]))
    return TimeFormat(fmt, re.compile("".join(parts), re.ASCII))  # Ruby reads ASCII digits only


def _used(parts: list[str]) -> set[str]:
    return set(re.findall(r"\(\?P<(\w+)>", "".join(parts)))


def _backref(key: str) -> str:
    return _DIRECTIVES[key].replace(f"(?P<{key}>", "(?:")


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?\Z",
                      re.ASCII)


def parse_rfc3339(text: str) -> int:
    """An RFC 3339 time (CRI lines, Docker's ``time``) to ns; TimeFormatError if it is not one."""
    m = _RFC3339.match(text)
    if m is None:
        raise TimeFormatError("string doesn't match")
    y, mo, d, h, mi, s, frac, zone = m.groups()
    seconds = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
    nanos = int(frac[:9].ljust(9, "0")) if frac else 0
    return (seconds - _offset_seconds(zone)) * NS + nanos


def time_reader(fmt: str | None, time_type: str | None = None) -> Callable[[Any], int]:
    """value -> ns for a parser's time field: ``time_format`` if given, else float seconds
    (``time_type string``: RFC 3339).  ValueError for a format efklab does not emulate."""
    if fmt == SEED_TIME_FORMAT:
        return SeedClock()
    if fmt:
        compiled = compile_time_format(fmt)
        return lambda v: compiled.parse(v) if isinstance(v, str) else _not_string(v)
    if time_type == "string":
        return lambda v: parse_rfc3339(v) if isinstance(v, str) else _not_string(v)
    return _float_time


def _not_string(value: Any) -> int:
    raise TimeFormatError(f"value must be string: {value}")


def _float_time(value: Any) -> int:
    try:
        return int(float(value) * NS)
    except (TypeError, ValueError) as exc:
        raise TimeFormatError(f"invalid value for Float(): {value!r}") from exc
    except OverflowError as exc:  # inf, or seconds beyond any time
        raise TimeFormatError(f"time out of range: {value!r}") from exc


class SeedClock:
    """``%Y-%m-%dT%H:%M:%S.%NZ`` fast: the seconds part is computed once per distinct second.

    After a successful call, ``prefix`` is the value's ``YYYY-MM-DDTHH:MM:SS`` and ``second_ns``
    that second in ns: a reader may keep the pair to skip the call for lines of the same second.
    """

    def __init__(self) -> None:
        self.prefix = ""
        self.second_ns = 0

    def __call__(self, value: Any) -> int:
        if type(value) is not str:
            raise TimeFormatError(f"value must be string: {value}")
        frac = value[20:-1]
        if len(value) < 22 or value[19] != "." or value[-1] != "Z" or not (frac.isdigit() and frac.isascii()):
            raise TimeFormatError("string doesn't match")
        prefix = value[:19]
        if prefix != self.prefix:
            m = _SECONDS.match(prefix)
            if m is None:
                raise TimeFormatError("string doesn't match")
            y, mo, d, h, mi, s = (int(x) for x in m.groups())
            if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
                raise TimeFormatError("invalid date or time")
            self.second_ns = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * NS
            self.prefix = prefix
        return self.second_ns + fraction_ns(frac)


def fraction_ns(digits: str) -> int:
    """The ns of a fraction's digits (``%N`` reads them all; digits past the ninth are cut)."""
    n = len(digits)
    return int(digits) * FRACTION_SCALE[n] if n <= 9 else int(digits[:9])


FRACTION_SCALE = (0, *(10 ** (9 - n) for n in range(1, 10)))  # ns per unit of an n-digit fraction
_SECONDS = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})\Z", re.ASCII)
