"""Ruby character classes as Python pattern text.

Ruby classes nest (``[a[b]]``), intersect (``[a-z&&[^aeiou]]``), hold negated shorthands
(``[\\Sa]``) and Unicode-aware POSIX brackets (``[[:digit:]]`` matches "٣").  A class is read
into a small predicate tree (set / not / or / and) and written with Python classes, alternation
and look-ahead, which express exactly the same one-character test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from efklab.ruby.chars import char_text, escaped_chars
from efklab.ruby.cursor import Cursor

_WS = "\\t\\n\\x0b\\x0c\\r "
_SHORT_SETS = {"d": "0-9", "w": "a-zA-Z0-9_", "s": _WS, "h": "0-9a-fA-F"}
_GRAPH_NOT = "\\p{White_Space}\\p{Cc}\\p{Cn}\\p{Cs}"
_POSIX = {
    "alnum": "\\p{Alphabetic}\\p{Nd}", "alpha": "\\p{Alphabetic}", "blank": "\\p{Zs}\\t",
    "cntrl": "\\p{Cc}", "digit": "\\p{Nd}", "lower": "\\p{Lowercase}", "upper": "\\p{Uppercase}",
    "punct": "\\p{P}\\$\\+<=>\\^`\\|~", "space": "\\p{White_Space}", "xdigit": "0-9A-Fa-f",
    "word": "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}", "ascii": "\\x00-\\x7f",
}
_PROPERTY_ALIASES = {"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
                     "space", "upper", "xdigit", "word", "ascii"}
_POSIX_RE = re.compile(r"\[:(\^?)([a-z]+):\]")


@dataclass(frozen=True)
class CharSet:
    frags: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    pred: Pred


@dataclass(frozen=True)
class Or:
    preds: tuple[Pred, ...]


@dataclass(frozen=True)
class And:
    preds: tuple[Pred, ...]


Pred = CharSet | Not | Or | And


def emit(pred: Pred) -> str:
    """Python pattern text matching exactly one character satisfying ``pred``."""
    if isinstance(pred, CharSet):
        return "[" + "".join(pred.frags) + "]" if pred.frags else "(?!)"
    if isinstance(pred, Not):
        inner = _flatten(pred.pred)
        if isinstance(inner, CharSet):
            return "[^" + "".join(inner.frags) + "]" if inner.frags else "(?s:.)"
        return "(?:(?!" + emit(inner) + ")(?s:.))"
    if isinstance(pred, Or):
        flat = _flatten(pred)
        if not isinstance(flat, Or):
            return emit(flat)
        return "(?:" + "|".join(emit(p) for p in flat.preds) + ")"
    heads = "".join("(?=" + emit(p) + ")" for p in pred.preds[:-1])
    return "(?:" + heads + emit(pred.preds[-1]) + ")"


def _flatten(pred: Pred) -> Pred:
    """Merge the plain sets of a union into one set; unwrap single-member unions."""
    if not isinstance(pred, Or):
        return pred
    frags: list[str] = []
    others: list[Pred] = []
    for p in pred.preds:
        p = _flatten(p)
        if isinstance(p, CharSet):
            frags.extend(p.frags)
        elif isinstance(p, Or):
            others.extend(p.preds)
        else:
            others.append(p)
    merged: list[Pred] = ([CharSet(tuple(frags))] if frags or not others else []) + others
    return merged[0] if len(merged) == 1 else Or(tuple(merged))


class ClassReader:
    """Reads the character class at the cursor (``[`` ... ``]``) into Python pattern text."""

    def __init__(self, cursor: Cursor) -> None:
        self.p = cursor

    def read(self) -> str:
        return emit(self.read_pred())

    def read_pred(self) -> Pred:
        p = self.p
        src = p.src
        p.i += 1
        negated = src.startswith("^", p.i)
        if negated:
            p.i += 1
        segments: list[list[Pred]] = [[]]
        first = True
        while True:
            if p.i >= len(src):
                raise p.ruby_error("premature end of char-class")
            c = src[p.i]
            if c == "]" and not first:
                p.i += 1
                break
            if c == "]" and src.find("]", p.i + 1) < 0:
                raise p.ruby_error("empty char-class")
            first = False
            if src.startswith("&&", p.i):
                p.i += 2
                segments.append([])
                continue
            segments[-1].append(self.item())
        parts = [Or(tuple(s)) for s in segments if s]
        pred: Pred = parts[0] if len(parts) == 1 else And(tuple(parts)) if parts else CharSet(())
        return Not(pred) if negated else pred

    def item(self) -> Pred:
        p = self.p
        src = p.src
        c = src[p.i]
        if c == "[":
            m = _POSIX_RE.match(src, p.i)
            if m:
                p.i = m.end()
                return _posix(p, m.group(2), bool(m.group(1)))
            return self.read_pred()
        start = p.i
        if c == "\\":
            special = self.class_escape()
            if special is not None:
                return special
            chars = escaped_chars(p, start)
        else:
            chars = [c]
            p.i += 1
        if len(chars) == 1 and src.startswith("-", p.i) and p.i + 1 < len(src) and src[p.i + 1] != "]":
            p.i += 1
            end = self.range_end()
            if ord(end) < ord(chars[0]):
                raise p.ruby_error("empty range in char class")
            return CharSet((char_text(chars[0]) + "-" + char_text(end),))
        return CharSet(tuple(char_text(ch) for ch in chars))

    def range_end(self) -> str:
        p = self.p
        src = p.src
        if src[p.i] == "\\":
            start = p.i
            if src[p.i + 1:p.i + 2] in tuple("dDwWsShHpP"):
                raise p.ruby_error("char-class value at end of range")
            chars = escaped_chars(p, start)
            if len(chars) != 1:
                raise p.ruby_error("char-class value at end of range")
            return chars[0]
        if src[p.i] == "[":
            raise p.ruby_error("char-class value at end of range")
        p.i += 1
        return src[p.i - 1]

    def class_escape(self) -> Pred | None:
        p = self.p
        src = p.src
        if p.i + 1 >= len(src):
            raise p.ruby_error("premature end of char-class")
        e = src[p.i + 1]
        if e.lower() in _SHORT_SETS:
            p.i += 2
            s = CharSet((_SHORT_SETS[e.lower()],))
            return Not(s) if e.isupper() else s
        if e in "pP" and src[p.i + 2:p.i + 3] == "{":
            return _property_pred(p, p.i)
        if e == "b":
            p.i += 2
            return CharSet(("\\x08",))
        return None


def property_text(cur: Cursor, start: int) -> str:
    """The ``\\p{...}``/``\\P{...}`` at ``start`` (outside a class) as Python text; moves the cursor."""
    return emit(_property_pred(cur, start))


def _posix(cur: Cursor, name: str, negated: bool) -> Pred:
    if name in ("graph", "print"):
        cur.needs_regex = True
        pred: Pred = Not(CharSet((_GRAPH_NOT,)))
        if name == "print":
            pred = Or((pred, CharSet(("\\p{Zs}",))))
    elif name in _POSIX:
        cur.needs_regex = cur.needs_regex or "\\p" in _POSIX[name]
        pred = CharSet((_POSIX[name],))
    else:
        raise cur.ruby_error("invalid POSIX bracket type")
    return Not(pred) if negated else pred


def _property_pred(cur: Cursor, start: int) -> Pred:
    src = cur.src
    end = src.find("}", start + 3)
    if end < 0:
        raise cur.ruby_error("invalid character property name")
    name = src[start + 3:end]
    negated = src[start + 1] == "P"
    if name.startswith("^"):
        name, negated = name[1:], not negated
    cur.i = end + 1
    key = re.sub(r"[\s_-]", "", name).lower()
    if key in _PROPERTY_ALIASES:
        pred = _posix(cur, key, False)
    elif re.fullmatch(r"[A-Za-z0-9_ =-]+", name) and _known_property(name):
        cur.needs_regex = True
        pred = CharSet((f"\\p{{{name}}}",))
    else:
        raise cur.ruby_error(f"invalid character property name {{{name}}}")
    return Not(pred) if negated else pred


def _known_property(name: str) -> bool:
    try:
        regex.compile(f"\\p{{{name}}}")
    except regex.error:
        return False
    return True
