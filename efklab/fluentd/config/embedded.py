"""Embedded Ruby in double-quoted values: the environment lookups stock configs use, evaluated.

fluentd evaluates ``#{...}`` only inside double-quoted values (``literal_parser.rb``
``scan_double_quoted_string`` -> ``eval_embedded_code``); single-quoted and unquoted values keep
the text as written.  The DaemonSet images' configs use it for environment defaults:
``"#{ENV['FLUENT_CONTAINER_TAIL_PARSER_TYPE'] || 'json'}"``.  :func:`evaluate_config` evaluates
that small language (``ENV['X']``, ``ENV.fetch('X'[, 'd'])``, string literals, ``||``,
``use_default``, ``use_nil``, ``nil``) with the given environment and the written defaults,
and says which value it assumed for each parameter.  Any other Ruby is left as written, per
parameter, with a note: the parameter stays unknown, the rest of the config is used.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from efklab.fluentd.config.model import Config, Directive, Param

_TERM = re.compile(r"""\s*(?:
    ENV\[\s*(?P<q1>['"])(?P<index>\w+)(?P=q1)\s*\]
  | ENV\.fetch\(\s*(?P<q2>['"])(?P<fetch>\w+)(?P=q2)\s*(?:,\s*(?P<q3>['"])(?P<fallback>[^'"\\]*)(?P=q3)\s*)?\)
  | (?P<q4>['"])(?P<literal>[^'"\\#]*)(?P=q4)
  | (?P<word>use_default|use_nil|nil)
)\s*""", re.VERBOSE)
_EMBEDDED = re.compile(r"#\{([^{}]*)\}")
DEFAULT = object()  # ``use_default``: the parameter is left unset, the plugin's default applies


class NotEvaluated(ValueError):
    """Ruby the evaluator does not know, or an ``ENV.fetch`` of an unset variable without a default."""


@dataclass(frozen=True, slots=True)
class Assumption:
    """One evaluated parameter: where it is, what it became, and which variables decided it."""

    file: str
    line: int
    name: str
    value: str | None  # None: unset (use_default / use_nil), the parameter is dropped
    why: str  # e.g. "FLUENT_CONTAINER_TAIL_PARSER_TYPE unset: default 'json'"


def evaluate_code(code: str, env: Mapping[str, str]) -> tuple[object, list[str]]:
    """Value of one ``#{code}`` (a str, None for nil, or DEFAULT) and how it was decided.

    Ruby's ``||`` takes the first operand that is not nil (an empty string counts as a value).
    """
    reasons: list[str] = []
    for part in _split_or(code):
        m = _TERM.fullmatch(part)
        if m is None:
            raise NotEvaluated(f"embedded Ruby #{{{code.strip()}}} is not evaluated (only ENV lookups with "
                               "literal defaults are)")
        name = m.group("index") or m.group("fetch")
        if name is not None:
            if name in env:
                reasons.append(f"{name}={env[name]!r}")
                return env[name], reasons
            if m.group("fetch") is not None:
                if m.group("q3") is not None:
                    reasons.append(f"{name} unset: default {m.group('fallback')!r}")
                    return m.group("fallback"), reasons
                raise NotEvaluated(f"ENV.fetch('{name}') needs {name} (fluentd refuses to start without it); "
                                   f"give --env {name}=VALUE")
            reasons.append(f"{name} unset")
            continue
        if m.group("q4") is not None:
            reasons.append(f"default {m.group('literal')!r}")
            return m.group("literal"), reasons
        word = m.group("word")
        if word == "use_default":
            reasons.append("use_default")
            return DEFAULT, reasons
        reasons.append(f"{word}: nil")
    return None, reasons


def _split_or(code: str) -> list[str]:
    """``a || b || c`` split at ``||`` outside quotes."""
    parts, quote, start = [], "", 0
    i = 0
    while i < len(code):
        c = code[i]
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif code.startswith("||", i):
            parts.append(code[start:i])
            start = i + 2
            i += 1
        i += 1
    return [*parts, code[start:]]


def evaluate_param(param: Param, env: Mapping[str, str]) -> tuple[object, str]:
    """The value fluentd gives a double-quoted parameter with embedded code, and why (NotEvaluated)."""
    reasons: list[str] = []
    unset: object = None

    def value(m: re.Match[str]) -> str:
        nonlocal unset
        result, why = evaluate_code(m.group(1), env)
        reasons.extend(why)
        if result is None or result is DEFAULT:
            unset = unset or result or "nil"
            return ""
        return str(result)

    text = _EMBEDDED.sub(value, param.value)
    if unset is not None:  # a nil or use_default anywhere makes the whole value nil / the default
        return (DEFAULT if unset is DEFAULT else None), "; ".join(reasons)
    return text, "; ".join(reasons)


def evaluate_config(config: Config, env: Mapping[str, str]) -> tuple[Config, list[Assumption], list[str]]:
    """``config`` with every evaluable embedded-Ruby parameter replaced by its value.

    Returns the new config, what was assumed (one per parameter), and notes for the
    parameters left as written (``file:line name: why``).  Parameters that evaluate to
    ``use_default`` or nil are dropped, so the plugin's default applies.
    """
    assumed: list[Assumption] = []
    notes: list[str] = []

    def fix(d: Directive) -> Directive:
        params = []
        changed = False
        for p in d.params:
            if p.quote != '"' or not p.embedded:
                params.append(p)
                continue
            try:
                result, why = evaluate_param(p, env)
            except NotEvaluated as exc:
                notes.append(f"{d.file}:{p.line} {p.name}: {exc}")
                params.append(p)
                continue
            changed = True
            shown = result if isinstance(result, str) else None
            assumed.append(Assumption(d.file, p.line, p.name, shown, why))
            if isinstance(result, str):
                params.append(replace(p, value=result))
        children = tuple(fix(c) for c in d.children)
        if not changed and all(a is b for a, b in zip(children, d.children, strict=True)):
            return d
        return replace(d, params=tuple(params), children=children)

    units = tuple(fix(u) for u in config.units)
    if all(a is b for a, b in zip(units, config.units, strict=True)):
        return config, assumed, notes
    roots = tuple(c for u in units for c in u.children)
    return replace(config, roots=roots, units=units), assumed, notes


def describe_assumptions(assumed: list[Assumption]) -> list[str]:
    """One line per decision and parameter, places grouped:
    ``FLUENT_CONTAINER_TAIL_PARSER_TYPE unset: default 'json' -> @type at fluent.conf:10``."""
    places: dict[tuple[str, str, bool], list[str]] = {}
    for a in assumed:
        at = places.setdefault((a.why, a.name, a.value is None), [])
        at.append(f"{a.file}:{a.line}" if not at else str(a.line))
    return [f"{why} -> {name}" + (" unset (the plugin's default)" if unset else "") + f" at {', '.join(at)}"
            for (why, name, unset), at in places.items()]
