"""JavaScript semantics: number printing and parsing, JSON.parse strictness, property order, dates."""
from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from efklab.js.dates import iso_timestamp, time_clip, utc_date
from efklab.js.jsontext import (
    JsonScanner,
    encode_plain,
    fix_surrogates,
    is_array_index,
    parse_json,
    property_order,
    stringify,
)
from efklab.js.numbers import format_number, is_numeric, to_number

NUMBERS = yaml.safe_load((Path(__file__).parent / "cases" / "numbers.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("text", "expected"), NUMBERS["format"], ids=[c[0] for c in NUMBERS["format"]])
def test_numbers_print_as_javascript_prints_them(text: str, expected: str) -> None:
    """JSON.stringify(JSON.parse(text)) for one number."""
    assert format_number(parse_json(text)) == expected


@pytest.mark.parametrize(("text", "numeric", "printed"), NUMBERS["numeric"],
                         ids=[repr(c[0]) for c in NUMBERS["numeric"]])
def test_is_numeric_and_one_times_value(text: str, numeric: bool, printed: str | None) -> None:
    """The seed's isNumeric and the number 1 * value gives."""
    assert is_numeric(text) is numeric
    if numeric:
        assert format_number(to_number(text)) == printed


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_printed_numbers_read_back_to_the_same_double(value: float) -> None:
    """Shortest round-trip: the text reads back to exactly the same double."""
    assert float(format_number(value)) == value or value == 0


@given(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))
def test_safe_integers_print_exactly(value: int) -> None:
    """Integers JS holds exactly print as themselves."""
    assert format_number(value) == str(value) == format_number(float(value))


@pytest.mark.parametrize(
    "text",
    ['{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}', '{"a":"\t"}', "{'a':1}", '{"a":01}', '{"a":1.}', '{"a":.5}',
     "\ufeff{}", '{"a":1} x', "[1,]"],
)
def test_json_parse_refuses_what_javascript_refuses(text: str) -> None:
    """Python's json accepts NaN and Infinity; JSON.parse does not."""
    with pytest.raises(ValueError):
        parse_json(text)


def test_json_parse_reads_huge_integers_as_doubles() -> None:
    """Past Python's 4300-digit limit an integer is still a (possibly infinite) double, as in JS."""
    assert parse_json("1" * 5000) == math.inf
    assert stringify(parse_json('{"n":' + "9" * 5000 + "}")) == '{"n":null}'


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ('{"a":1,"b":"x","c":[true,null]}', True),
        ('{"a":1.5}', False),
        ('{"a":12345678901234567}', False),
        ('{"0":1}', False),
        ('{"a":"value \\"7\\": text"}', True),  # quotes inside strings are escaped: not a key
    ],
)
def test_scanner_reports_when_python_would_print_differently(text: str, plain: bool) -> None:
    """Plain values print the same through Python's C encoder; the rest need the JS walk."""
    value, is_plain = JsonScanner().scan(text)
    assert value == parse_json(text) and is_plain is plain


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["a", "0", "01", "7", "@id"]) | st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)


@given(json_values)
def test_plain_values_print_the_same_through_the_fast_encoder(value: object) -> None:
    """Whatever the scanner calls plain, the fast encoder prints exactly as JSON.stringify would."""
    text = json.dumps(value)
    parsed, plain = JsonScanner().scan(text)
    if plain:
        assert encode_plain(parsed) == stringify(parsed)


@pytest.mark.parametrize(
    ("key", "index"),
    [("0", True), ("7", True), ("4294967294", True), ("4294967295", False), ("01", False), ("-1", False),
     ("1.5", False), ("", False), ("٣", False)],
)
def test_array_index_keys(key: str, index: bool) -> None:
    """Canonical numeric strings below 2**32 - 1 are array indices."""
    assert is_array_index(key) is index


def test_property_order_puts_indices_first() -> None:
    """Array indices ascending, then the other keys in insertion order."""
    assert property_order({"b": 1, "10": 2, "a": 3, "2": 4}) == ["2", "10", "b", "a"]


def test_stringify_escapes_like_javascript() -> None:
    """Control characters escaped, U+2028 and DEL raw, lone surrogates as escapes, pairs joined."""
    assert stringify({"a": "\x00\x1f\n\u2028\x7f\"\\"}) == '{"a":"\\u0000\\u001f\\n\u2028\x7f\\"\\\\"}'
    assert stringify(["\ud800", "\udc00x", "\ud83d\ude00"]) == '["\\ud800","\\udc00x","😀"]'


def test_fix_surrogates_joins_a_pair_split_across_escapes() -> None:
    """A raw high surrogate followed by a decoded low one is one character in UTF-16."""
    assert fix_surrogates('"\ud83d\ude00"') == '"😀"'
    assert fix_surrogates('"\ude00\ud83d"') == '"\\ude00\\ud83d"'


@pytest.mark.parametrize(
    ("value", "clipped"),
    [(1.9, 1), (-1.5, -1), (-0.0, 0), (8.64e15, 8_640_000_000_000_000), (8.64e15 + 1, None), (10**400, None),
     (math.nan, None)],
)
def test_time_clip(value: float | int, clipped: int | None) -> None:
    """new Date(1 * value): truncation toward zero, Invalid Date past +-8.64e15."""
    assert time_clip(value) == clipped


@pytest.mark.parametrize(
    ("ms", "iso"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (8_640_000_000_000_000, "+275760-09-13T00:00:00.000Z"),
        (-62_198_755_200_000, "-000001-01-01T00:00:00.000Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
    ],
)
def test_iso_timestamps(ms: int, iso: str) -> None:
    """toISOString, extended years included."""
    assert iso_timestamp(ms) == iso


@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_dates_agree_with_python_datetime_where_it_reaches(ms: int) -> None:
    """For years 1..9999 the civil calendar matches datetime's."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    expected = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    assert iso_timestamp(ms) == expected
    assert utc_date(ms) == (moment.year, moment.month, moment.day)
