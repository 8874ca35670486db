"""Ruby regexps as fluent-plugin-concat compiles and matches them, translated to Python."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from efklab.errors import RuleError
from efklab.fluentd.config.find import parse_config_text
from efklab.ruby.regexp import compile_concat_param, compile_ruby, concat_regexp_source, lint_concat_regexp

CASES = Path(__file__).parent / "cases"


def load(name: str, keys: set[str]) -> list[dict[str, Any]]:
    rows = yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    for row in rows:
        assert set(row) <= keys, f"{name}: unknown keys {set(row) - keys} in {row}"
    return rows


TRANSLATION = load("translation.yaml", {"name", "source", "match", "no_match"})
ERRORS = load("errors.yaml", {"source", "error"})
UNTRANSLATABLE = load("untranslatable.yaml", {"source", "construct"})
LINTS = load("lints.yaml", {"name", "line", "lints"})


@pytest.mark.parametrize("case", TRANSLATION, ids=[c["name"] for c in TRANSLATION])
def test_translated_regexp_matches_as_ruby_does(case: dict[str, Any]) -> None:
    """The translation accepts and refuses exactly the texts Ruby's match? does."""
    rx = compile_ruby(case["source"])
    assert [t for t in case["match"] if not rx.search(t)] == []
    assert [t for t in case["no_match"] if rx.search(t)] == []


@pytest.mark.parametrize("case", ERRORS, ids=[c["source"] for c in ERRORS])
def test_invalid_regexp_fails_with_rubys_message(case: dict[str, Any]) -> None:
    """An invalid pattern raises RuleError with Ruby's RegexpError text, at the config position."""
    with pytest.raises(RuleError) as info:
        compile_ruby(case["source"], origin="fluent.conf", position=12)
    assert (info.value.reason, info.value.source, info.value.position) == (case["error"], "fluent.conf", 12)


@pytest.mark.parametrize("case", UNTRANSLATABLE, ids=[c["source"] for c in UNTRANSLATABLE])
def test_untranslatable_construct_is_named_with_its_offset(case: dict[str, Any]) -> None:
    """Valid Ruby without a faithful Python equivalent is refused, naming the construct."""
    with pytest.raises(RuleError) as info:
        compile_ruby(case["source"])
    assert info.value.reason.startswith(f"cannot translate {case['construct']}")


@pytest.mark.parametrize(("value", "source"), [("/^\\S/", "^\\S"), ("/^start/i", "^start/"), ("^ab", "a"),
                                               ("ab", ""), ("a", "")])
def test_concat_compiles_the_value_without_first_and_last_char(value: str, source: str) -> None:
    """concat compiles value[1..-2]: flags become literal text, unslashed patterns lose two chars."""
    assert concat_regexp_source(value) == source


def test_empty_value_fails_like_regexp_compile_nil() -> None:
    """``""[1..-2]`` is nil in Ruby; Regexp.compile(nil) fails at startup."""
    with pytest.raises(RuleError, match="no implicit conversion of nil into String"):
        compile_concat_param("")


@given(st.text(min_size=2))
def test_slice_drops_exactly_one_char_at_each_end(value: str) -> None:
    """For any value of two or more characters the compiled source is value[1:-1]."""
    assert concat_regexp_source(value) == value[1:-1]


@given(st.text(alphabet=list("ab()[]{}*+?|^$.\\-:,<>=!#'&dswhpPkgxuc0123456789 \n"), max_size=16))
def test_any_source_compiles_or_raises_rule_error(source: str) -> None:
    """Whatever the text, the translator returns a regexp or a RuleError, never another exception."""
    try:
        rx = compile_ruby(source)
    except RuleError:
        return
    rx.search("ab12 (x)\n[y]")


@pytest.mark.parametrize("case", LINTS, ids=[c["name"] for c in LINTS])
def test_lint_names_each_trap_in_how_the_regexp_is_written(case: dict[str, Any]) -> None:
    """Each trap (lost flag, missing slashes, quoting, cut comment, embedded Ruby) gets a warning."""
    param = parse_config_text(f"<filter **>\n  {case['line']}\n</filter>\n").roots[0].params[0]
    warnings = lint_concat_regexp(param)
    if not case["lints"]:
        assert warnings == []
    for expected in case["lints"]:
        assert any(expected in w for w in warnings), (expected, warnings)
