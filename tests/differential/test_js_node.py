"""efklab.js (numbers, dates, JSON text) against JavaScript itself: numbers, isNumeric, dates, JSON round trips."""
from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.js.dates import iso_timestamp, time_clip, utc_date
from efklab.js.jsontext import orjson_prints_as_js, parse_json, stringify
from efklab.js.numbers import format_number, is_numeric, numeric_value, to_number
from tests.differential.oracle import NodeOracle

pytestmark = pytest.mark.differential

NUMBER_TOKENS = st.sampled_from([*"0123456789+-.eExXoObBaAfF_ Iinfty", "\u00a0", "\ufeff", "\u2028", "\u180e", "\t",
                                 "\x1c", "Infinity", "0x", "1e"])
NUMBER_LIKE = st.lists(NUMBER_TOKENS, max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False) | st.integers(min_value=-(2**80), max_value=2**80), min_size=1, max_size=50))
def test_numbers_print_as_json_stringify_prints_them(js_oracle: NodeOracle, values: list[float | int]) -> None:
    """Shortest round-trip digits, JS thresholds for exponents, -0 as 0, big integers rounded, inf as null."""
    answer = js_oracle.ask({"op": "number", "values": [repr(v) if isinstance(v, float) else str(v) for v in values]})
    assert [format_number(v) for v in values] == answer["values"]


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBER_LIKE, min_size=1, max_size=40))
def test_is_numeric_and_one_times_value_match_javascript(js_oracle: NodeOracle, texts: list[str]) -> None:
    """The seed's isNumeric(n) and 1 * n agree with node for number-like strings."""
    answer = js_oracle.ask({"op": "numeric", "values": texts})
    ours = [[is_numeric(t), format_number(to_number(t)) if is_numeric(t) else json.dumps(t, ensure_ascii=False)]
            for t in texts]
    theirs = [[flag, text if flag else json.dumps(json.loads(text), ensure_ascii=False)]
              for flag, text in answer["values"]]
    assert ours == theirs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-(9 * 10**15), max_value=9 * 10**15) | st.floats(min_value=-1e16, max_value=1e16),
                min_size=1, max_size=40))
def test_dates_match_new_date_and_to_iso_string(js_oracle: NodeOracle, values: list[int | float]) -> None:
    """new Date(1 * ts): ISO text, UTC year/month/day, and Invalid Date past +-8.64e15 ms."""
    answer = js_oracle.ask({"op": "date", "values": values})
    ours = []
    for v in values:
        ms = time_clip(v)
        ours.append(None if ms is None else [iso_timestamp(ms), *utc_date(ms)])
    assert ours == answer["values"]


JSON_TEXTS = st.one_of(
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=6),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("0123ab_", max_size=3), inner, max_size=4),
        max_leaves=10,
    ).map(json.dumps),
    st.text(st.sampled_from(list('{}[]:,"0123456789.eE-+ntrufalsNIy\\u\t ')), max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON_TEXTS, min_size=1, max_size=30))
def test_json_parse_then_stringify_matches_javascript(js_oracle: NodeOracle, texts: list[str]) -> None:
    """JSON.stringify(JSON.parse(text)): same bytes, and the same texts refused."""
    answer = js_oracle.ask({"op": "roundtrip", "values": texts})
    ours = []
    for text in texts:
        try:
            ours.append(stringify(parse_json(text)))
        except ValueError:
            ours.append(None)
    assert ours == answer["values"]


# --------------------------------------------------------------------------- stringify's orjson route

EDGE_DOUBLES = [0.0, 1.0, 5.0, 1e-7, 1e-6, 1.5e-6, 9.999999999999999e-6, 1e-5, 1e-4, 2.0**53, 2.0**53 + 2, 1e16,
                1.5e16, 1e20, 9.999999999999999e20, 1e21, 1.5e21, 5e-324, 1.7976931348623157e308]
DOUBLES = (st.floats(allow_nan=False)
           | st.sampled_from(EDGE_DOUBLES).flatmap(lambda x: st.sampled_from([x, -x]))
           | st.integers(min_value=-(2**70), max_value=2**70).map(float)
           | st.floats(min_value=1e-6, max_value=1e-5) | st.floats(min_value=1e16, max_value=1e21))


@settings(max_examples=300, deadline=None)
@given(st.lists(DOUBLES, min_size=1, max_size=50))
def test_orjson_prints_a_double_as_number_to_string_exactly_where_efklab_lets_it(
        js_oracle: NodeOracle, values: list[float]) -> None:
    """Every double: orjson's own text is JS's whenever the walk leaves it to orjson, and stringify is JS's."""
    answer = js_oracle.ask({"op": "number", "values": [repr(v) for v in values]})
    for value, js in zip(values, answer["values"], strict=True):
        assert orjson_prints_as_js(value) is (orjson.dumps(value).decode() == js)
        assert stringify([value]) == f"[{js}]"


KEYS = st.sampled_from(["0", "1", "2", "9", "10", "01", "-1", "1.5", "4294967294", "4294967295", "a", "@id", ""])
EXOTIC_TEXTS = st.recursive(
    st.none() | st.booleans() | DOUBLES.filter(math.isfinite) | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(st.sampled_from(["a", "\u2028", "\u2029", "\x7f", "\x1f", "\ud800", "\udfff", "\U0001f600", "é"]),
              max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
).map(lambda value: json.dumps(value, ensure_ascii=True))  # lone surrogates as \\udXXX escapes


@settings(max_examples=300, deadline=None)
@given(st.lists(EXOTIC_TEXTS, min_size=1, max_size=30))
def test_stringify_of_what_orjson_prints_differently_matches_javascript(js_oracle: NodeOracle,
                                                                      texts: list[str]) -> None:
    """Array-index keys in and out of order, integral and tiny floats, -0, big integers, lone surrogates."""
    answer = js_oracle.ask({"op": "roundtrip", "values": texts})
    assert [stringify(parse_json(text)) for text in texts] == answer["values"]


@settings(max_examples=200, deadline=None)
@given(st.lists(NUMBER_LIKE | st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,20})?", fullmatch=True), min_size=1,
                max_size=40))
def test_numeric_value_is_is_numeric_then_one_times_value(js_oracle: NodeOracle, texts: list[str]) -> None:
    """buildSource's one-pass reading of an extracted field: 1 * v exactly where isNumeric(v) holds."""
    answer = js_oracle.ask({"op": "numeric", "values": texts})
    ours = [[value is not None, format_number(value) if value is not None else json.dumps(t, ensure_ascii=False)]
            for t, value in ((t, numeric_value(t)) for t in texts)]
    theirs = [[flag, text if flag else json.dumps(json.loads(text), ensure_ascii=False)]
              for flag, text in answer["values"]]
    assert ours == theirs
