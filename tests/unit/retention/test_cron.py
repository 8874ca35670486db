"""Cron expressions of ISM cron transitions: parsing and the next fire time."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.retention.cron import parse_cron
from efklab.units import format_time, parse_time


@pytest.mark.parametrize(
    ("expression", "zone", "after", "fire"),
    [("0 0 * * *", "UTC", "2021-06-01T10:00:00Z", "2021-06-02T00:00:00Z"),
     ("0 0 * * *", "UTC", "2021-06-01T23:59:59Z", "2021-06-02T00:00:00Z"),
     ("0 0 * * *", "UTC", "2021-06-02T00:00:00Z", "2021-06-03T00:00:00Z"),  # strictly after
     ("*/15 * * * *", "UTC", "2021-06-01T10:07:30Z", "2021-06-01T10:15:00Z"),
     ("30 2 * * MON", "UTC", "2021-06-01T00:00:00Z", "2021-06-07T02:30:00Z"),  # 2021-06-01 is a Tuesday
     ("0 12 1 * *", "UTC", "2021-06-01T12:00:00Z", "2021-07-01T12:00:00Z"),
     ("0 0 1 JAN *", "UTC", "2021-06-01T00:00:00Z", "2022-01-01T00:00:00Z"),
     ("0 0 29 2 *", "UTC", "2021-03-01T00:00:00Z", "2024-02-29T00:00:00Z"),
     ("0 0 13 * 5", "UTC", "2021-06-01T00:00:00Z", "2021-06-04T00:00:00Z"),  # day 13 OR Friday: Friday June 4 first
     ("0 0 * * 7", "UTC", "2021-06-01T00:00:00Z", "2021-06-06T00:00:00Z"),  # 7 is Sunday too
     ("0 0 * * *", "Asia/Seoul", "2021-06-01T10:00:00Z", "2021-06-01T15:00:00Z"),  # midnight in Seoul
     ("0-10/5 9-17 * * 1-5", "UTC", "2021-06-05T12:00:00Z", "2021-06-07T09:00:00Z")],  # Saturday -> Monday 09:00
)
def test_next_fire(expression: str, zone: str, after: str, fire: str) -> None:
    """The first fire strictly after the given moment, in the expression's zone."""
    assert format_time(parse_cron(expression, zone).next_fire(parse_time(after))) == fire


@pytest.mark.parametrize("expression", ["* * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
                                        "5-1 * * * *", "*/0 * * * *", "a * * * *", "0 0 L * *"])
def test_invalid_expressions_are_refused(expression: str) -> None:
    """Wrong field counts, out-of-range values, reversed ranges, zero steps and Quartz extensions are refused."""
    with pytest.raises(ValueError):
        parse_cron(expression, "UTC")


@given(st.integers(0, 59), st.integers(0, 23), st.integers(parse_time("2020-01-01"), parse_time("2030-01-01")))
def test_daily_fire_is_within_a_day_and_at_the_given_time(minute: int, hour: int, after: int) -> None:
    """A daily expression fires within 24 h after any moment, at its hour and minute."""
    fire = parse_cron(f"{minute} {hour} * * *", "UTC").next_fire(after)
    assert fire is not None and after < fire <= after + 86_400_000
    assert format_time(fire)[11:16] == f"{hour:02d}:{minute:02d}"
