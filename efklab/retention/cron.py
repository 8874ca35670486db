"""Unix cron expressions as ISM's ``cron`` transition condition reads them (job-scheduler's CronSchedule).

Five fields: minute, hour, day of month, month, day of week (0-7, 0 and 7 = Sunday; month and
day names allowed), each ``*``, a value, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a
comma list.  When both day fields are restricted a day matches either (Unix semantics).  The
condition holds once the first fire time after the transition started has passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS))
_SEARCH_DAYS = 366 * 9  # the longest gap between fires of a valid expression: Feb 29 across a skipped leap year


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed expression: the allowed values of each field, and the zone it is read in."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool
    zone: ZoneInfo
    text: str

    def next_fire(self, after_ms: int) -> int | None:
        """The first fire time strictly after ``after_ms`` (epoch ms), or None when it never fires."""
        moment = (datetime.fromtimestamp(after_ms / 1000, tz=self.zone).replace(second=0, microsecond=0)
                  + timedelta(minutes=1))
        day = moment.replace(hour=0, minute=0)
        for offset in range(_SEARCH_DAYS):
            candidate = (day + timedelta(days=offset)) if offset else moment
            if candidate.month not in self.months or not self._day_matches(candidate):
                continue
            start_hour = candidate.hour if offset == 0 else 0
            for hour in sorted(h for h in self.hours if h >= start_hour):
                start_minute = candidate.minute if (offset == 0 and hour == candidate.hour) else 0
                minute = min((m for m in self.minutes if m >= start_minute), default=None)
                if minute is not None:
                    local = candidate.replace(hour=hour, minute=minute)
                    return int(local.timestamp() * 1000)
        return None

    def _day_matches(self, moment: datetime) -> bool:
        dom = moment.day in self.days
        dow = (moment.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow


def parse_cron(expression: str, timezone: str) -> Cron:
    """Parse; ``ValueError`` with the field at fault for anything cron-utils' Unix definition refuses."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone [{timezone}]") from None
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(f"cron expression [{expression}] must have 5 fields "
                         "(minute hour day-of-month month day-of-week)")
    sets = [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(0 if d == 7 else d for d in sets[4])
    return Cron(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] != "*", parts[4] != "*", zone, expression)


def _parse_field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text, name, names={}) if step_text else 1
        if step < 1:
            raise ValueError(f"{name}: step must be at least 1 in [{item}]")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first, last = _number(first_text, name, names), _number(last_text, name, names)
        else:
            first = _number(base, name, names)
            last = high if step_text else first
        if not low <= first <= high or not low <= last <= high or first > last:
            raise ValueError(f"{name}: [{item}] is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, name: str, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"{name}: [{text}] is not a number")
    return int(text)
