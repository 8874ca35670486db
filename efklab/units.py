"""Times and sizes as users and OpenSearch write them.

``TimeValue`` and ``ByteSizeValue`` (parsed exactly), instants and ages.  Parsers raise
``ValueError`` with OpenSearch's reason; callers wrap it with a location.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_TIME_UNITS_MS = (("nanos", 1e-6), ("micros", 1e-3), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000),
                  ("d", 86_400_000))
_BYTE_UNITS = (("kb", 1 << 10), ("k", 1 << 10), ("mb", 1 << 20), ("m", 1 << 20), ("gb", 1 << 30), ("g", 1 << 30),
               ("tb", 1 << 40), ("t", 1 << 40), ("pb", 1 << 50), ("p", 1 << 50), ("b", 1))
DAY_MS = 86_400_000


def parse_time_value(text: Any, setting: str) -> int:
    """``TimeValue.parseTimeValue`` -> milliseconds; ``M`` is not minutes and fractions are refused."""
    if not isinstance(text, str):
        raise ValueError(f"{setting} must be a time string such as \"30d\", got {text!r}")
    normalized = text.lower().strip()
    for suffix, factor in _TIME_UNITS_MS:
        matches = text.strip().endswith("m") if suffix == "m" else normalized.endswith(suffix)
        if not matches:
            continue
        number = normalized[: -len(suffix)].strip()
        if not re.fullmatch(r"[+-]?\d+", number):
            fractional = re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", number) is not None
            detail = ", fractional time values are not supported (write 36h, not 1.5d)" if fractional else ""
            raise ValueError(f"failed to parse [{text}] as a time value for {setting}{detail}")
        value = int(number)
        if value < -1:
            raise ValueError(f"failed to parse [{text}] for {setting}: negative durations are not supported")
        return value if value == -1 else int(value * factor)
    if re.fullmatch(r"-0*1", normalized):
        return -1
    if re.fullmatch(r"0+", normalized):
        return 0
    raise ValueError(
        f"failed to parse [{text}] as a time value for {setting}: unit is missing or unrecognized "
        "(use d, h, m, s, ms, micros or nanos; M is not minutes)"
    )


def parse_byte_size(text: Any, setting: str) -> int:
    """``ByteSizeValue.parseBytesSizeValue`` -> bytes (units b, k/kb, m/mb, g/gb, t/tb, p/pb, any case)."""
    if not isinstance(text, str):
        raise ValueError(f"{setting} must be a size string such as \"50gb\", got {text!r}")
    normalized = text.lower().strip()
    for suffix, factor in _BYTE_UNITS:
        if normalized.endswith(suffix):
            try:
                value = float(normalized[: -len(suffix)].strip())
            except ValueError:
                break
            if value >= 0:
                return int(value * factor)
            break
    if normalized in ("-1", "0"):
        return int(normalized)
    raise ValueError(f"failed to parse [{text}] as a size in bytes for {setting}: unit is missing or unrecognized")


def format_duration(ms: int) -> str:
    """A compact human duration: ``30d``, ``2d 3h``, ``5m``, ``1.2s``."""
    if ms < 0:
        return "-" + format_duration(-ms)
    if ms < 1000:
        return f"{ms}ms"
    if ms < 60_000:
        return f"{ms / 1000:.3g}s"
    parts = []
    for unit, size in (("d", DAY_MS), ("h", 3_600_000), ("m", 60_000)):
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return " ".join(parts[:2])


def format_time(ms: int) -> str:
    """Epoch milliseconds as ISO 8601 UTC to the second: ``2021-06-30T04:48:37Z``."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_AGE = re.compile(r"-?(\d+)\s*(ms|s|m|h|d|w)")
_AGE_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": DAY_MS, "w": 7 * DAY_MS}
_EPOCH_MS_FROM = 100_000_000_000  # 10**11: below it a number is epoch seconds (until year 5138)


def parse_age(text: str) -> int | None:
    """Milliseconds of an age or duration such as ``90s``, ``5m``, ``2h``, ``3d``, ``1w``; None if it is not one."""
    match = _AGE.fullmatch(text.strip())
    return int(match.group(1)) * _AGE_MS[match.group(2)] if match else None


def parse_time(text: str, *, now_ms: int | None = None) -> int:
    """Epoch ms from ISO 8601 (naive = UTC), epoch seconds or ms, and, given ``now_ms``, ``now`` or an age (``2h`` ago).

    Every command that takes a time (``--at``, ``--start``, ``--end`` ...) reads it here, so they
    all accept the same forms.  Anything else is a ``ValueError`` saying what to write.
    """
    value = text.strip()
    if now_ms is not None:
        if value == "now":
            return now_ms
        age = parse_age(value)
        if age is not None:
            return now_ms - age
    if value.isdigit():
        number = int(value)
        return number if number >= _EPOCH_MS_FROM else number * 1000
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        ages = ", 'now' or an age such as 15m, 2h, 3d" if now_ms is not None else ""
        raise ValueError(
            f"cannot read the time {text!r}: use ISO 8601 such as 2021-06-30T04:48:37Z, epoch seconds or "
            f"milliseconds{ages}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
