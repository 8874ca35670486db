"""How the concat engine renders record values, against real Ruby: ``to_s``, ``Array#join``, ``record_bytesize``.

fluent-plugin-concat joins the ``key`` values with ``Array#join``, interpolates the stream
identity with ``"#{...}"`` and counts ``buffer_limit_size`` in the UTF-8 bytes of every key and
every value's ``to_s``.  Ruby gets the same JSON values and answers for each; ours must agree.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from efklab.fluentd.concat.events import ruby_bytesize, ruby_join, ruby_to_s

pytestmark = [
    pytest.mark.differential,
    pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed (apt-get install ruby)"),
]

_RUBY = r"""
require 'json'
out = JSON.parse($stdin.read).map do |value|
  record = { 'k' => value, 'é' => value }
  { 'to_s' => "#{value}", 'join' => [value, 'x', value].join('|'),
    'bytesize' => record.keys.sum(&:bytesize) + record.values.sum { |v| v.to_s.bytesize } }
end
puts JSON.generate(out)
"""

# Characters assigned since Unicode 3.2 or private: Ruby's and Python's Unicode versions agree on them.
characters = st.characters(codec="utf-8").filter(
    lambda ch: unicodedata.ucd_3_2_0.category(ch) != "Cn" or unicodedata.category(ch) == "Co")
scalars = (st.none() | st.booleans() | st.integers(-(10**20), 10**20)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(characters, max_size=12) | st.sampled_from(["#{x}", "#@a", "a\"b\\c", "\x1b\x7f\x85"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=10)


def ruby_answers(batch: list[Any]) -> list[dict[str, Any]]:
    proc = subprocess.run(["ruby", "-W0", "-e", _RUBY], input=json.dumps(batch), capture_output=True, text=True,
                          encoding="utf-8", check=True)
    return json.loads(proc.stdout)


def ours(value: Any) -> dict[str, Any]:
    return {"to_s": ruby_to_s(value), "join": ruby_join([value, "x", value], "|"),
            "bytesize": ruby_bytesize({"k": value, "é": value})}


CURATED = [None, True, 0, -7, 10**19, 1.0, -0.0, 1e15, 1e16, 1e-4, 1e-5, 123456789.123456789, 2.5e-300, "plain",
           "é ✓ 결제", ["a", ["b", None], 1], [], [[]], {"k": [1, None]}, {"a": {"b": "c\n"}}, "\u00a0\u2028\u200b\x01",
           ["#{x}", "a\tb", "\u00a0\u2028\u2029\u200b\x01\x85\ue000\U000f0000"]]


def test_curated_values_render_as_ruby_renders_them() -> None:
    """Floats at the notation switch, nested arrays, hashes, nil, escapes: identical to Ruby."""
    assert [ours(v) for v in CURATED] == ruby_answers(CURATED)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(values, min_size=1, max_size=60))
def test_generated_json_values_render_as_ruby_renders_them(batch: list[Any]) -> None:
    """Any JSON value a record may hold: the same to_s, join and bytesize as Ruby."""
    assert [ours(v) for v in batch] == ruby_answers(batch)
