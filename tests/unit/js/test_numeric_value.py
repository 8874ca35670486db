"""numeric_value: the seed's ``isNumeric(v) ? 1 * v : …`` in one pass, the same answers as the two-step reading."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.js.numbers import format_number, is_numeric, numeric_value, to_number

NUMBER_LIKE = st.lists(st.sampled_from([*"0123456789+-.eExX_ ", "\u00a0", "\u2028", "\t", "Infinity", "0x", "٣",
                                        "１"]), max_size=8).map("".join)


def _two_steps(text: str) -> str | None:
    return format_number(to_number(text)) if is_numeric(text) else None


@given(NUMBER_LIKE | st.from_regex(r"-?[0-9]{1,400}(\.[0-9]{1,30})?", fullmatch=True))
def test_numeric_value_agrees_with_is_numeric_then_to_number(text: str) -> None:
    """Plain decimals by the short route, everything else by the grammar: same number, same verdict."""
    value = numeric_value(text)
    assert (None if value is None else format_number(value)) == _two_steps(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("200", 200.0), ("0.023", 0.023), ("-5", -5.0), ("007", 7.0), (" 12 ", 12.0), ("0x1f", 31.0), ("1e3", 1000.0),
     ("9" * 400, None), ("", None), ("12abc", None), ("Infinity", None), ("١٢", None)],
)
def test_numeric_values_of_extracted_fields(text: str, value: float | None) -> None:
    """What buildSource stores for an extracted field: 1 * value when isNumeric, else nothing."""
    result = numeric_value(text)
    assert result == value and (result is None or not math.isnan(result))
