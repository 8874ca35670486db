"""JSON.stringify by orjson: the values it would print unlike JavaScript are replaced first, the rest is orjson's.

The exact Python walk (``stringify_exact``) is the reference; tests/differential/test_js_node.py
checks both against node itself.
"""
from __future__ import annotations

import copy
import math
from collections import OrderedDict
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.js.jsontext import js_ready, orjson_prints_as_js, stringify, stringify_exact
from efklab.js.numbers import format_number

EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 5.0, 1e-7, 1e-6, 1.5e-6, 9.999999999999999e-6, 1e-5, 1e-4, 0.1, 2.0**53,
               2.0**53 + 2, 1e16, 1.5e16, 1e20, 9.999999999999999e20, 1e21, 1.5e21, 5e-324, 1.7976931348623157e308]

doubles = (st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(EDGE_FLOATS).flatmap(lambda x: st.sampled_from([x, -x]))
           | st.integers(min_value=-(2**70), max_value=2**70).map(float)
           | st.floats(min_value=1e-6, max_value=1e-5) | st.floats(min_value=1e16, max_value=1e21))
keys = st.sampled_from(["0", "1", "2", "10", "01", "-1", "4294967294", "4294967295", "a", "b", "@id", ""])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | doubles
    | st.text(st.sampled_from(["a", "\u2028", "\x00", '"', "\\", "é", "\ud800", "\udc00", "\U0001f600"]), max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=16,
)


@given(json_values)
def test_stringify_prints_what_the_exact_walk_prints(value: Any) -> None:
    """Floats, integers past 2**53, array-index keys, lone surrogates: orjson's route gives the same bytes."""
    assert stringify(value) == stringify_exact(value)


@given(json_values)
def test_stringify_leaves_its_argument_as_it_was(value: Any) -> None:
    """Replacements go into copies of the containers that change; the caller's value is never touched."""
    before = copy.deepcopy(value)
    stringify(value)
    assert repr(value) == repr(before)


@given(doubles | st.sampled_from([math.inf, -math.inf]))
def test_orjson_prints_a_double_as_javascript_exactly_when_the_predicate_says_so(value: float) -> None:
    """The predicate the walk inlines is the whole truth about orjson's float text (format_number is JS's)."""
    assert orjson_prints_as_js(value) is (orjson.dumps(value).decode() == format_number(value))


def test_non_finite_numbers_print_as_null() -> None:
    """JSON.parse never yields them, but buildSource's numbers pass through the same printer."""
    assert stringify([math.nan, math.inf, -math.inf]) == "[null,null,null]"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "2": 2, "a": 3, "1": 4}, '{"1":4,"2":2,"b":1,"a":3}'),
        ({"0": 1, "id": 2, "1": 3}, '{"0":1,"1":3,"id":2}'),
        ({"4294967295": 1, "4294967294": 2}, '{"4294967294":2,"4294967295":1}'),
        ({"x": [1.0, -0.0, 1e-6, 1e16, 1e21, 1e-7, 0.5]}, '{"x":[1,0,0.000001,10000000000000000,1e+21,1e-7,0.5]}'),
        ({"trace": 2**62 + 1, "safe": 2**53 - 1}, '{"trace":4611686018427388000,"safe":9007199254740991}'),
        ({"big": 10**400}, '{"big":null}'),
        (("a", 1.0), '["a",1]'),
        (OrderedDict([("2", 1.5), ("1", True)]), '{"1":true,"2":1.5}'),
        ({"s": "\u2028\ud800"}, '{"s":"\u2028\\ud800"}'),
    ],
)
def test_values_javascript_prints_its_own_way(value: Any, text: str) -> None:
    """Key order, number layout, big integers, tuples and subclasses, U+2028 raw and lone surrogates escaped."""
    assert stringify(value) == text == stringify_exact(value)


def test_plain_values_need_no_replacement() -> None:
    """Strings, safe integers, booleans, null and floats orjson already prints right leave nothing to replace."""
    assert js_ready({"0": {"1": 2}, "a": ["x", 1, True, None, 0.25, 1e-7, 1e22]}) is None


@pytest.mark.parametrize("value", [{1: 2}, {0: "a"}, {"a": object()}, [{1, 2}], b"bytes"])
def test_what_is_not_a_json_value_is_a_type_error(value: Any) -> None:
    """Non-string keys and non-JSON types are refused, as by the exact walk."""
    with pytest.raises(TypeError):
        stringify(value)
