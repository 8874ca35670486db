"""Our Ruby-regexp translation against real Ruby: same match? result on every pattern x text pair.

Ruby runs ``Regexp.compile(value[1..-2]).match?(text)`` exactly as fluent-plugin-concat does;
we run ``compile_concat_param(value).search(text)``.  Invalid patterns must fail on both sides
with Ruby's own message; patterns we cannot translate must be valid Ruby (never a silent guess).
"""
from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from efklab.errors import RuleError
from efklab.ruby.regexp import RubyRegexp, compile_concat_param
from tests.conftest import FLUENTD_CORPUS

pytestmark = [
    pytest.mark.differential,
    pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed (apt-get install ruby)"),
]

CASES = Path(__file__).parent / "cases" / "ruby_regexps.json"

_RUBY = r"""
require 'json'
out = JSON.parse($stdin.read).map do |value, texts|
  begin
    re = Regexp.compile(value[1..-2])
    { 'ok' => texts.map { |t| re.match?(t) } }
  rescue RegexpError, TypeError => e
    { 'error' => e.message }
  end
end
puts JSON.generate(out)
"""


def run_ruby(pairs: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    """Ask real Ruby for the match? results of every (config value, texts) pair."""
    proc = subprocess.run(["ruby", "-W0", "-e", _RUBY], input=json.dumps(pairs), capture_output=True,
                          text=True, encoding="utf-8", check=True)
    return json.loads(proc.stdout)


@functools.cache
def compiled(value: str) -> RubyRegexp | str:
    """Our compiled regexp for a config value, or the reason we refuse it."""
    try:
        return compile_concat_param(value)
    except RuleError as exc:
        return exc.reason


def run_ours(value: str, texts: list[str]) -> dict[str, Any]:
    rx = compiled(value)
    if isinstance(rx, str):
        return {"error": rx}
    return {"ok": [rx.search(t) for t in texts]}


def corpus_values() -> list[str]:
    """Every concat regexp value of the shared fluentd corpus (empty when it is absent)."""
    expected = FLUENTD_CORPUS / "EXPECTED.json"
    if not expected.exists():
        return []
    values = []
    for f in json.loads(expected.read_text())["files"]:
        for flt in f["concat_filters"]:
            for k, v in flt["params"].items():
                if k.endswith("_regexp") and v.startswith("/"):
                    values.append(v)
    return sorted(set(values))


def load_cases() -> dict[str, Any]:
    return json.loads(CASES.read_text(encoding="utf-8"))


def compare(pairs: list[tuple[str, list[str]]]) -> list[str]:
    """Mismatches between Ruby and us, as readable lines (empty when identical)."""
    ruby = run_ruby(pairs)
    problems = []
    for (value, texts), theirs in zip(pairs, ruby, strict=True):
        ours = run_ours(value, texts)
        if "error" in theirs:
            if ours.get("error") != theirs["error"]:
                problems.append(f"{value!r}: ruby error {theirs['error']!r}, ours {ours}")
            continue
        if "error" in ours:
            if not ours["error"].startswith("cannot translate"):
                problems.append(f"{value!r}: ruby accepts it, we raise {ours['error']!r}")
            continue
        for text, r, o in zip(texts, theirs["ok"], ours["ok"], strict=True):
            if r != o:
                problems.append(f"{value!r} on {text!r}: ruby {r}, ours {o}")
    return problems


def test_curated_patterns_match_ruby_on_curated_texts() -> None:
    """Every curated construct gives Ruby's match? result on every curated text."""
    cases = load_cases()
    values = cases["patterns"] + corpus_values()
    pairs = [(v, cases["texts"]) for v in values]
    assert len(pairs) * len(cases["texts"]) >= 500
    assert compare(pairs) == []


def test_invalid_patterns_raise_rubys_message() -> None:
    """Patterns Ruby refuses are refused with the same RegexpError text fluentd would log."""
    cases = load_cases()
    pairs = [(v, []) for v in cases["invalid"]]
    ruby = run_ruby(pairs)
    assert all("error" in r for r in ruby), "every 'invalid' case must really be invalid Ruby"
    assert compare(pairs) == []


def test_untranslatable_patterns_are_valid_ruby_and_named() -> None:
    """What we refuse to translate is valid Ruby, and the error names the construct."""
    cases = load_cases()
    ruby = run_ruby([(v, ["x"]) for v in cases["untranslatable"]])
    for value, theirs in zip(cases["untranslatable"], ruby, strict=True):
        assert "ok" in theirs, value
        ours = run_ours(value, ["x"])
        assert ours.get("error", "").startswith("cannot translate"), (value, ours)


_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("aAbB019 \t\n\r()[]:-/.,_éß٣\u00a0\u3000\u2028ＡDETI")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=24,
)


def assigned_in_ruby(texts: list[str]) -> list[str]:
    """The texts without characters Ruby 3.1's Unicode 13 tables do not know (see the xfail below)."""
    script = "require 'json'; puts JSON.generate(JSON.parse($stdin.read).map { |t| t.gsub(/\\P{Assigned}/, '') })"
    proc = subprocess.run(["ruby", "-e", script], input=json.dumps(texts), capture_output=True, text=True,
                          encoding="utf-8", check=True)
    return json.loads(proc.stdout)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
@given(texts=st.lists(_TEXT, min_size=20, max_size=20))
def test_generated_texts_match_ruby(texts: list[str]) -> None:
    """Hypothesis-made texts (unicode, newlines, other-script digits, NBSP) agree with Ruby."""
    cases = load_cases()
    values = cases["patterns"] + corpus_values()
    known = assigned_in_ruby(texts)
    assert compare([(v, known) for v in values]) == []


@pytest.mark.xfail(strict=True, reason="Unicode properties follow the regex package's tables, newer than "
                                       "Ruby 3.1's Unicode 13.0: characters assigned later classify differently")
def test_characters_assigned_after_unicode_13_classify_as_in_ruby() -> None:
    """U+18D80 (Khitan, Unicode 14) is not alphabetic for Ruby 3.1."""
    assert compare([("/\\p{Alpha}/", ["\U00018d80"])]) == []


_SOURCE = st.lists(st.sampled_from([
    *"ab()[]{}*+?|^$.\\-:,<>=!#'&dswhpPkgxuc0123456789 \n",
    "(?:", "(?<n>", "\\k<n>", "[[:alpha:]]", "(?m)", "{2,3}", "\\p{L}", "(?=", "(?<=", "(?!", "\\A", "\\z", "\\Z"]),
    min_size=1, max_size=10).map("".join)
_PROBES = ["", "a", "ab", "aab\n", "b\na", "12", "a-b", "(x)", "[y]", "{2}", "é", "A B", "\n", "x:y", "kn"]


def run_ruby_sources(sources: list[str]) -> list[dict[str, Any]]:
    """Ruby's verdict on raw regexp sources: match? results on the probe texts, or its error."""
    return run_ruby([("/" + s + "/", _PROBES) for s in sources])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
@given(sources=st.lists(_SOURCE, min_size=100, max_size=100))
def test_random_sources_are_accepted_refused_and_matched_as_ruby_does(sources: list[str]) -> None:
    """Random regexp soup: valid for Ruby => same matches (or an explicit refusal); invalid => refused."""
    problems = []
    for source, theirs in zip(sources, run_ruby_sources(sources), strict=True):
        ours = run_ours("/" + source + "/", _PROBES)
        if "error" in theirs and "error" not in ours:
            problems.append(f"{source!r}: ruby refuses it ({theirs['error']}), we accept it")
        elif "error" not in theirs and "error" in ours and not ours["error"].startswith("cannot translate"):
            problems.append(f"{source!r}: ruby accepts it, we refuse it ({ours['error']})")
        elif "ok" in theirs and "ok" in ours and theirs["ok"] != ours["ok"]:
            problems.append(f"{source!r}: ruby {theirs['ok']}, ours {ours['ok']}")
    assert problems == []
