"""Ruby (Onigmo) regexps as fluent-plugin-concat compiles them, translated to Python faithfully.

concat declares its regexp parameters as strings and compiles ``value[1..-2]`` with no options;
matching is ``Regexp#match?``, an unanchored search.  :func:`compile_ruby` translates Ruby's
syntax and meaning (line anchors, ASCII ``\\d\\w\\s\\h``, Unicode POSIX brackets, Onigmo's
option scoping, ``{n}?``...) and raises a :class:`RuleError` naming the construct and offset
for anything it cannot reproduce; invalid patterns raise Ruby's own RegexpError message.
The translation itself lives in :mod:`efklab.ruby.parser`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import regex

from efklab.errors import RuleError
from efklab.ruby.backtrack import analyze
from efklab.ruby.bounded import BoundedPattern, compile_slow, timeout_reason
from efklab.ruby.parser import Translation, translate

_PY_FLAGS = re.MULTILINE
# regex applies full case folding ("ß" ~ "ss") reliably only under a global IGNORECASE, so the
# whole pattern runs as (?-i:...) and Ruby's (?i) scopes switch it back on inside.
_REGEX_FLAGS = regex.V0 | regex.MULTILINE | regex.FULLCASE | regex.IGNORECASE
MAX_SOURCE = 100_000  # characters of Ruby regexp source efklab translates (fluentd configs hold far less)
_SLOW_FLAGS = regex.V0 | regex.MULTILINE  # an re pattern on the regex engine, for its timeout


@dataclass(frozen=True)
class RubyRegexp:
    """A compiled Ruby regexp: its Ruby source, the Python pattern, and the engine that runs it (time-bounded)."""

    source: str
    python_pattern: str
    engine: str = "re"  # "re" or "regex" (Unicode properties, POSIX brackets, case folding)
    compiled: Any = field(default=None, repr=False, compare=False)

    def search(self, text: str) -> bool:
        """Ruby's ``Regexp#match?``: an unanchored search anywhere in ``text``."""
        return self.compiled.search(text) is not None


def concat_regexp_source(value: str) -> str:
    """What concat compiles from a parameter value: Ruby's ``value[1..-2]``.

    Ruby yields nil for an empty value (``Regexp.compile(nil)`` then fails at startup), ""
    for one or two characters, else the value without its first and last characters.
    """
    if value == "":
        raise RuleError("no implicit conversion of nil into String")
    return value[1:-1] if len(value) > 2 else ""


def compile_ruby(source: str, *, origin: str | None = None, position: int | str | None = None) -> RubyRegexp:
    """Compile a Ruby regexp source (no delimiters, no options) the way Ruby would match it.

    Its ``compiled.search`` is bounded in time (:mod:`efklab.ruby.bounded`); so is compiling: a source
    longer than :data:`MAX_SOURCE` characters is refused (translating one takes seconds per 100,000)."""
    if len(source) > MAX_SOURCE:
        raise RuleError(f"cannot translate a regexp of {len(source):,} characters: efklab translates at most "
                        f"{MAX_SOURCE:,}", source=origin, position=position)
    result: Translation = translate(source, origin=origin, position=position)
    pattern = f"(?-i:{result.pattern})" if result.needs_regex else result.pattern
    try:
        if result.needs_regex:
            fast: Any = regex.compile(pattern, _REGEX_FLAGS)
            slow: Any = fast
        else:
            fast = re.compile(pattern, _PY_FLAGS)
            slow = compile_slow(pattern, _SLOW_FLAGS)
    except (re.error, regex.error) as exc:  # translation produced something Python refuses
        raise RuleError(f"cannot translate /{source}/ to Python: {exc}", source=origin, position=position) from exc
    growth = analyze(pattern, _PY_FLAGS)
    where = ":".join(str(p) for p in (origin, position) if p is not None and p != "") or None

    def describe(text: str) -> str:
        return timeout_reason(source, ruby_literal(source), where, growth, text)

    compiled = BoundedPattern(pattern, fast, slow, growth, describe)
    return RubyRegexp(source, pattern, "regex" if result.needs_regex else "re", compiled)


def compile_concat_param(value: str, *, origin: str | None = None, position: int | str | None = None) -> RubyRegexp:
    """``Regexp.compile(value[1..-2])`` for a concat regexp parameter's value."""
    try:
        source = concat_regexp_source(value)
    except RuleError as exc:
        raise RuleError(exc.reason, source=origin, position=position) from exc
    return compile_ruby(source, origin=origin, position=position)


_FLAGGED = re.compile(r"\A/(?P<body>.*)/(?P<flags>[a-z]+)\Z", re.S)


def lint_concat_regexp(param: Any) -> list[str]:
    """Traps in how a concat regexp parameter is written; each a message for the user."""
    name, value, raw, quote = param.name, param.value, param.raw, param.quote
    notes: list[str] = []
    if value == "":
        return [f"{name} is empty: concat fails at startup (Regexp.compile(nil))"]
    source = concat_regexp_source(value)
    if getattr(param, "embedded", ()) or ("#{" in value and quote == '"'):
        notes.append(f"{name} uses embedded Ruby ({value}): its pattern is only known at runtime; "
                     "efklab cannot check it")
        return notes
    flagged = _FLAGGED.match(value)
    if flagged:
        flags = flagged.group("flags")
        notes.append(f"{name} {value}: the flag(s) '{flags}' are NOT applied: concat compiles value[1..-2], "
                     f"the pattern {ruby_literal(source)}, where the closing '/' is a literal character; "
                     f"write the option inline instead: /(?{_inline(flags)}){flagged.group('body')}/")
    elif not (value.startswith("/") and value.endswith("/") and len(value) >= 2):
        notes.append(f"{name} {value}: not written as /.../: concat drops the first and last characters "
                     f"anyway, so the pattern is {ruby_literal(source)}")
    if quote == '"' and raw[1:-1] != value:
        notes.append(f"{name} is double-quoted: fluentd processed its escapes, so the pattern is "
                     f"{ruby_literal(source)} (written {raw}); unquoted, backslashes are kept as written")
    if quote == "'" and raw[1:-1] != value:
        notes.append(f"{name} is single-quoted: \\\\ and \\' were unescaped, so the pattern is {ruby_literal(source)}")
    comment = getattr(param, "trailing_comment", None)
    if quote == "" and comment:
        notes.append(f"{name}: an unquoted value ends at whitespace before '#': '{comment}' is a comment, "
                     f"not part of the pattern {ruby_literal(source)}")
    return notes


def ruby_literal(source: str) -> str:
    """How Ruby shows a regexp source: between slashes, inner slashes escaped."""
    return "/" + source.replace("/", "\\/") + "/"


def _inline(flags: str) -> str:
    return "".join(f for f in flags if f in "imx") or flags
