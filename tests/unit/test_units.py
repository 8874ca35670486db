"""Times and durations as users type and read them."""
from __future__ import annotations

import pytest

from efklab.units import format_duration, format_time, parse_time


@pytest.mark.parametrize(
    ("text", "ms"),
    [("2021-06-30", 1_625_011_200_000), ("2021-06-30T04:48:37Z", 1_625_028_517_000),
     ("2021-06-30T13:48:37+09:00", 1_625_028_517_000), ("2021-06-30T04:48:37.692Z", 1_625_028_517_692),
     ("1625028517692", 1_625_028_517_692), ("2021-06-30 04:48:37", 1_625_028_517_000)],
)
def test_parse_time(text: str, ms: int) -> None:
    """ISO 8601 with or without zone (naive = UTC) and epoch milliseconds."""
    assert parse_time(text) == ms


@pytest.mark.parametrize(("text", "ms"), [("1625028517", 1_625_028_517_000), ("now", 5_000_000), ("90s", 4_910_000),
                                          ("2h", 5_000_000 - 7_200_000), ("1w", 5_000_000 - 604_800_000)])
def test_parse_time_reads_epoch_seconds_now_and_ages_given_a_clock(text: str, ms: int) -> None:
    """Epoch seconds are told from ms by size; 'now' and ages are read against the given clock."""
    assert parse_time(text, now_ms=5_000_000) == ms


def test_parse_time_refuses_ages_without_a_clock() -> None:
    """Without a clock an age means nothing, and the message does not offer it."""
    with pytest.raises(ValueError) as info:
        parse_time("2h")
    assert "age" not in str(info.value)


def test_parse_time_refuses_words() -> None:
    """Anything else is a ValueError that says what to write."""
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_time("last tuesday")


@pytest.mark.parametrize(("ms", "text"), [(250, "250ms"), (1500, "1.5s"), (300_000, "5m"), (90_000_000, "1d 1h"),
                                          (30 * 86_400_000 + 480_000, "30d 8m"), (-60_000, "-1m")])
def test_format_duration(ms: int, text: str) -> None:
    """Compact durations, two units at most."""
    assert format_duration(ms) == text


def test_format_time_is_utc_to_the_second() -> None:
    """Epoch ms -> ISO UTC."""
    assert format_time(1_625_028_517_692) == "2021-06-30T04:48:37Z"
