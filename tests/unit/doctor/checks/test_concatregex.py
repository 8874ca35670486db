"""One pass of a start regexp over a file feeds the three start-regexp checks: its figures, line by line."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.doctor.checks.concatregex import scan_start
from efklab.ordering.measure import CONTINUATION


@dataclass(frozen=True)
class Line:
    lineno: int
    record: dict[str, Any]


@dataclass(frozen=True)
class Log:
    records: tuple[Line, ...]


def log_of(texts: list[Any]) -> Log:
    return Log(tuple(Line(n, {"log": t} if t is not None else {"other": 1}) for n, t in enumerate(texts, start=1)))


@pytest.mark.parametrize(
    ("texts", "figures", "mid_line"),
    [
        (["(I) start\n", "  at frame\n", "(E) start\n"], (3, 2, 1), ()),
        (["say (I) twice\n", "(I) x\n(I) y\n"], (2, 2, 0), ((1, "say (I) twice\n", 4),)),
        ([None, 7, "(W) w\n"], (1, 1, 0), ()),
    ],
)
def test_scan_counts_lines_matches_continuations_and_mid_line_matches(texts: list[Any], figures: tuple[int, int, int],
                                                                        mid_line: tuple[Any, ...]) -> None:
    """Only string texts count; a match right after a newline is a line start, not mid-line."""
    scan = scan_start(log_of(texts), "log", re.compile(r"\([IEW]\)", re.MULTILINE))
    assert (scan.lines, scan.matching, scan.continuations) == figures and scan.mid_line == mid_line


@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab( )\n\tI", max_size=12)), max_size=30))
def test_scan_agrees_with_separate_searches(texts: list[str | None]) -> None:
    """The single pass gives what separate searches over the same texts give."""
    pattern = re.compile(r"a\(?b", re.MULTILINE)
    strings = [t for t in texts if isinstance(t, str)]
    scan = scan_start(log_of(texts), "log", pattern)
    assert scan.lines == len(strings)
    assert scan.matching == sum(1 for t in strings if pattern.search(t))
    assert scan.continuations == sum(1 for t in strings if CONTINUATION.match(t))
