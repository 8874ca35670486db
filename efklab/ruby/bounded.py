"""Every evaluation of a user regexp ends within a time bound.

A config from a pull request must never hang a command or CI, yet Python's ``re`` backtracks
like Onigmo did before Ruby 3.2: ``/(a|aa)+$/`` against a 100-character line runs for ages.
:class:`BoundedPattern` gives each compiled Ruby regexp one ``search`` that is bounded either way:

* the fast engine (``re``, or ``regex`` without a timeout) only on lines whose worst-case work
  is provably small: the pattern has no exponential construct and ``factor * n**degree`` steps
  (:mod:`efklab.ruby.backtrack`) stay under :data:`STEP_BUDGET` for lines up to ``safe_length``;
* everything else (longer lines, nested quantifiers, alternations under a repeat, look-around
  around repeats, back-references, patterns only ``regex`` parses) on the ``regex`` module with
  ``timeout=`` :data:`EVALUATION_TIMEOUT`.

The length check is the only cost on the common path.  A timeout raises
:class:`~efklab.errors.RegexpTimeoutError` naming the pattern, where it was written, the line
and what fluentd would do; the caller that knows the line's ``file:line`` re-raises it ``at`` it
(:func:`locate_subject`).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import regex

from efklab.errors import RegexpTimeoutError
from efklab.ruby.backtrack import Growth

EVALUATION_TIMEOUT = 1.0  # seconds one pattern may spend on one line
STEP_BUDGET = 10_000_000  # worst-case matcher steps allowed on the fast engine (well under a second)
_PREVIEW = 40
# Ruby regexp source read left to right: an escape pair, a group opening, or one character.
_RUBY_TOKEN = re.compile(r"\\(?:k[<']|.)|\(\?(?:<[=!]|[=!>])|.", re.S)
_BACKREFERENCE = re.compile(r"\\(?:[1-9]|k[<'])")


class BoundedPattern:
    """A compiled pattern whose ``search(text)`` (a Match or None) always ends within the time bound."""

    __slots__ = ("bounded_search", "growth", "pattern", "safe_length", "search")

    def __init__(self, pattern: str, fast: Any, slow: Any, growth: Growth | None,
                 describe: Callable[[str], str]) -> None:
        self.pattern = pattern
        self.growth = growth
        self.safe_length = growth.safe_length(STEP_BUDGET, len(pattern)) if growth is not None else -1
        self.search: Callable[[str], Any] = _bounded_search(fast.search, slow.search, self.safe_length, describe)
        # the timeout-bounded engine whatever the line's length (tests compare it with the fast one)
        self.bounded_search: Callable[[str], Any] = _bounded_search(fast.search, slow.search, -1, describe)


def _bounded_search(fast: Callable[[str], Any], slow: Callable[..., Any], safe_length: int,
                    describe: Callable[[str], str]) -> Callable[[str], Any]:
    timeout = EVALUATION_TIMEOUT

    def search(text: str) -> Any:
        if len(text) <= safe_length:
            return fast(text)
        try:
            return slow(text, timeout=timeout)
        except TimeoutError:
            raise RegexpTimeoutError(describe(text), subject=text) from None

    return search


def compile_slow(pattern: str, flags: int) -> Any:
    """The ``regex`` engine for a pattern, to run with a timeout."""
    return regex.compile(pattern, flags)


def timeout_reason(source: str, literal: str, where: str | None, growth: Growth | None, text: str) -> str:
    """What a timed-out evaluation tells the user: the pattern, the line, why, and what fluentd would do."""
    shown = text[:_PREVIEW] + ("..." if len(text) > _PREVIEW else "")
    why = ", ".join(dict.fromkeys(h.kind for h in growth.hazards)) if growth and growth.hazards else \
        "catastrophic backtracking"
    placed = f" (written at {where})" if where else ""
    return (f"regexp {literal}{placed} did not finish within {EVALUATION_TIMEOUT:g} s on a line of "
            f"{len(text):,} characters ({shown!r}): {why}. {fluentd_behaviour(source)}. Rewrite it without "
            "nested quantifiers or overlapping alternatives (efklab doctor flags them: regexp-backtracking)")


def fluentd_behaviour(source: str) -> str:
    """What fluentd does with a pattern (its Ruby source) on such a line, by Ruby version: fluentd sets no
    Regexp.timeout; Ruby 3.2 added a match cache that makes matching linear except with back-references,
    and 3.3 extended it to look-around and atomic groups."""
    tokens = _RUBY_TOKEN.findall(source)
    if any(_BACKREFERENCE.fullmatch(t) for t in tokens):
        return ("fluentd hangs on such a line on every Ruby version: a back-reference keeps Ruby 3.2+'s match cache "
                "off (Regexp.linear_time? is false) and fluentd sets no Regexp.timeout")
    if any(t in ("(?=", "(?!", "(?<=", "(?<!", "(?>") for t in tokens):
        return ("fluentd on Ruby before 3.3 hangs on such a line the same way (it sets no Regexp.timeout); "
                "Ruby 3.3+ memoizes look-around and atomic groups too and matches it in linear time")
    return ("fluentd on Ruby before 3.2 hangs on such a line the same way (it sets no Regexp.timeout); Ruby 3.2+ "
            "memoizes such patterns (its match cache, Regexp.linear_time?) and matches it in linear time")


def locate_subject(exc: RegexpTimeoutError, records: Iterable[Any]) -> RegexpTimeoutError:
    """``exc`` placed at the ``source:lineno`` of the record holding the very text it timed out on, if any.

    ``records`` are objects with ``record`` (a dict), ``source`` and ``lineno`` (or ``file`` and ``line``)."""
    if exc.source is not None:
        return exc
    for item in records:
        record = getattr(item, "record", None)
        if isinstance(record, dict) and any(value is exc.subject for value in record.values()):
            source = getattr(item, "source", None) or getattr(item, "file", None)
            line = getattr(item, "lineno", None) or getattr(item, "line", None)
            if source is not None:
                return exc.at(source, line)
    return exc
