"""fluentd event times as integer nanoseconds, and the text forms they take in efklab's output.

fluentd keeps ``EventTime(sec, nsec)``; efklab keeps ``sec * 10**9 + nsec`` and prints it as
``%Y-%m-%dT%H:%M:%S.%NZ`` in UTC, always 9 fraction digits, as fluentd's ``inject`` does with
that ``time_format``.
"""
from __future__ import annotations

import calendar
import re
import time as _time

from efklab.errors import InputError

NS = 1_000_000_000
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9})\d*)?\s*(Z|z|[+-]\d{2}:?\d{2})?\Z"
)


def format_event_time(ns: int) -> str:
    """``2021-04-28T11:09:05.002000000Z`` for an event time in nanoseconds (UTC)."""
    sec, frac = divmod(ns, NS)
    return _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(sec)) + f".{frac:09d}Z"


def parse_event_time(value: object, *, source: str | None = None, position: str | int | None = None) -> int:
    """An event time from ISO-8601 text (offset or ``Z``; no offset means UTC), int ns or float seconds."""
    if isinstance(value, bool):
        raise InputError(f"not a time: {value!r}", source=source, position=position)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value * NS)
    if isinstance(value, str):
        m = _ISO.match(value.strip())
        if m:
            y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
            frac = int((m.group(7) or "0").ljust(9, "0"))
            offset = 0
            zone = m.group(8)
            if zone and zone not in ("Z", "z"):
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
            try:
                return (calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - offset) * NS + frac
            except (ValueError, OverflowError) as exc:
                raise InputError(f"not a valid time: {value!r}", source=source, position=position) from exc
    raise InputError(f"not a time (want ISO-8601 like 2021-04-28T11:09:05.002Z): {value!r}", source=source,
                     position=position)
