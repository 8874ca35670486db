"""JavaScript's ``Date`` as the seed uses it: ``new Date(1 * ts)``, ``getUTC*``, ``toISOString()``.

Any year ECMAScript allows (+-275760), not just datetime's 1..9999.
"""
from __future__ import annotations

import math

MAX_TIME_MS = 8.64e15  # ECMAScript TimeClip bound
MS_PER_DAY = 86_400_000


def time_clip(value: int | float) -> int | None:
    """The time value of ``new Date(1 * value)``, or None for an Invalid Date."""
    try:
        number = float(value)
    except OverflowError:
        return None
    if not math.isfinite(number) or abs(number) > MAX_TIME_MS:
        return None
    return int(number)  # ToIntegerOrInfinity truncates toward zero; -0 becomes 0


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of the proleptic Gregorian date ``days`` after 1970-01-01, any year."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def utc_date(ms: int) -> tuple[int, int, int]:
    """``getUTCFullYear()``, ``getUTCMonth() + 1``, ``getUTCDate()`` of a valid time value."""
    return civil_from_days(ms // MS_PER_DAY)


def iso_year(year: int) -> str:
    """The year as ``toISOString()`` writes it: 4 digits, or a sign and 6 digits outside 0..9999."""
    if 0 <= year <= 9999:
        return f"{year:04d}"
    return f"{'+' if year > 0 else '-'}{abs(year):06d}"


def iso_timestamp(ms: int) -> str:
    """``new Date(ms).toISOString()`` for a valid time value."""
    days, rest = divmod(ms, MS_PER_DAY)
    year, month, day = civil_from_days(days)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{iso_year(year)}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def two_digits(number: int) -> str:
    """``('0' + number).slice(-2)``, as the seed pads months and days."""
    return ("0" + str(number))[-2:]
