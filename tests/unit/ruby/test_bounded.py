"""Every evaluation of a user regexp is bounded: the fast engine only where the work is provably small,
the ``regex`` engine with a timeout everywhere else, and both answer alike."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.errors import RegexpTimeoutError, RuleError
from efklab.ruby.backtrack import analyze
from efklab.ruby.bounded import locate_subject
from efklab.ruby.regexp import compile_ruby

CASES = Path(__file__).parent / "cases"
TRANSLATION = yaml.safe_load((CASES / "translation.yaml").read_text())
LINE = "a" * 100 + "!"

EXPONENTIAL = [r"(a+)+$", r"^(a|a)*$", r"(a|aa)+$", r"(\w+\s?)+$", r"(.*,)+x", r"(a*)*b", r"((a|a)+)\1"]
LINEAR_TWINS = [r"a+$", r"^a*$", r"(ab|ac)+$", r"(\w+\s)+$", r"([^,]*,)+x", r"(a++)+$", r"(?>a+)+$", r"(\d+\.)*\d",
                r"(?:[^\"\\]|\\.)*\"", r"\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]", r"^\s+at\s"]


@pytest.mark.parametrize("case", TRANSLATION, ids=[c["name"] for c in TRANSLATION])
def test_the_bounded_engine_matches_as_ruby_does(case: dict[str, Any]) -> None:
    """The regex engine run with a timeout accepts and refuses exactly the texts Ruby's match? does."""
    rx = compile_ruby(case["source"]).compiled
    assert [t for t in case["match"] if rx.bounded_search(t) is None] == []
    assert [t for t in case["no_match"] if rx.bounded_search(t) is not None] == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=list("ab()[]{}*+?|^$.\\-:,dswSW0123 \n"), max_size=12),
       st.text(alphabet=list("ab ,:-0123\n(["), max_size=30))
def test_both_engines_agree_on_any_pattern_and_line(source: str, text: str) -> None:
    """Where a pattern compiles, the fast and the bounded engine give the same match span and groups."""
    try:
        rx = compile_ruby(source).compiled
    except RuleError:
        return
    try:
        slow = rx.bounded_search(text)
    except RegexpTimeoutError:
        return
    fast = rx.search(text)
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert (fast.span(), fast.groups()) == (slow.span(), slow.groups())


@pytest.mark.parametrize("source", EXPONENTIAL)
def test_exponential_constructs_are_named(source: str) -> None:
    """Nested quantifiers, overlapping alternatives under a repeat and back-references are hazards."""
    growth = analyze(compile_ruby(source).python_pattern, re.M)
    assert growth is not None and growth.hazards


@pytest.mark.parametrize("source", LINEAR_TWINS)
def test_their_unambiguous_twins_are_not(source: str) -> None:
    """A repeat whose splits are unique (disjoint first characters, possessive, atomic) is no hazard."""
    growth = analyze(compile_ruby(source).python_pattern, re.M)
    assert growth is not None and growth.hazards == ()


@pytest.mark.parametrize("source", [r"^(a|a)*$", r"(a|aa)+$"])
def test_a_catastrophic_search_ends_with_an_error_naming_pattern_line_and_fluentd(source: str) -> None:
    """On a 100-character line the search stops at the bound with what fluentd would do."""
    rx = compile_ruby(source, origin="fluent.conf", position=7)
    with pytest.raises(RegexpTimeoutError) as caught:
        rx.search(LINE)
    message = str(caught.value)
    assert f"/{source}/" in message and "fluent.conf:7" in message and "101 characters" in message
    assert "Ruby before 3.2 hangs" in message and "Ruby 3.2+" in message
    assert caught.value.subject is LINE


def test_a_back_reference_is_said_to_hang_fluentd_on_every_ruby() -> None:
    """Ruby 3.2+'s match cache does not cover back-references."""
    rx = compile_ruby(r"^((a|a)+)\1$")
    with pytest.raises(RegexpTimeoutError, match="on every Ruby version"):
        rx.search("a" * 60 + "!")


@pytest.mark.parametrize("source", [r"(a+)+$", r"(\w+\s?)+$"])
def test_patterns_the_bounded_engine_resolves_answer_as_ruby_would(source: str) -> None:
    """Nested quantifiers the regex engine handles in time give Ruby's answer (no match), not an error."""
    assert compile_ruby(source).search(LINE) is False


def test_plain_patterns_run_short_lines_on_the_fast_engine_only() -> None:
    """The seed's start regexp has no hazard: lines up to its safe length skip the timeout machinery."""
    rx = compile_ruby(r"\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]").compiled
    assert rx.safe_length > 1000
    assert compile_ruby(r"(a|aa)+$").compiled.safe_length == -1


def test_the_error_is_placed_at_the_line_holding_the_text() -> None:
    """A caller with the records finds the line by the very text object the search ran on."""

    class Rec:
        def __init__(self, record: dict[str, Any], lineno: int) -> None:
            self.record, self.source, self.lineno = record, "app.log", lineno

    text = "".join(["x"] * 10)
    error = RegexpTimeoutError("regexp /x/ did not finish", subject=text)
    located = locate_subject(error, [Rec({"log": "x" * 10}, 1), Rec({"log": text}, 2)])
    assert str(located).startswith("app.log:2: regexp /x/")
