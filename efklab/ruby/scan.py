"""Small scans over Ruby regexp text: group pre-scan, interval syntax, repeat widths.

Helpers of :mod:`efklab.ruby.parser`: what Ruby decides before parsing (whether named
groups exist, how many groups capture) and the width arithmetic look-behind checks need.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

INF = 1 << 30
INTERVAL = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")


@dataclass(frozen=True)
class Piece:
    """A translated fragment: Python text, min/max width in chars, and whether it is zero-width."""

    text: str
    lo: int
    hi: int
    assertion: bool = False


@dataclass(frozen=True)
class Flags:
    """Ruby's options in force: i (ignore case), m (dot matches newline), x (extended)."""

    i: bool = False
    m: bool = False
    x: bool = False


def multiply(a: int, b: int) -> int:
    return INF if a >= INF or b >= INF else min(INF, a * b)


def is_unit(text: str) -> bool:
    """True when a translated atom can take a quantifier without a wrapping group."""
    if text.startswith("(") and _balanced_group(text):
        return True
    if text.startswith("[") and text.endswith("]") and _single_class(text):
        return True
    return bool(re.fullmatch(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|.)", text))


def _balanced_group(text: str) -> bool:
    depth = 0
    i = 0
    in_class = False
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if text.startswith("[^]", i) or text.startswith("[]", i):
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
        i += 1
    return depth == 0


def _single_class(text: str) -> bool:
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "]":
            return i == len(text) - 1
        i += 1
    return False


def valid_interval(src: str, i: int) -> bool:
    m = INTERVAL.match(src, i)
    return m is not None and bool(m.group(1) or m.group(3))  # "{,}" is a literal in Ruby


def _skip_class(src: str, i: int) -> int:
    """Offset after the character class starting at ``src[i] == '['`` (for pre-scans)."""
    depth = 0
    i += 1
    if src.startswith("^", i):
        i += 1
    if src.startswith("]", i):
        i += 1
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            if depth == 0:
                return i + 1
            depth -= 1
        i += 1
    return i


def _scan_groups(src: str) -> list[str | None]:
    """Capturing groups in order: their names, or None for unnamed ones."""
    out: list[str | None] = []
    i = 0
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _skip_class(src, i)
            continue
        if c == "(":
            if not src.startswith("?", i + 1):
                out.append(None)
            else:
                m = re.match(r"\(\?(?:<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')", src[i:])
                if m:
                    out.append(m.group(1) or m.group(2))
        i += 1
    return out


def prescan_names(src: str) -> set[str]:
    return {n for n in _scan_groups(src) if n is not None}


def prescan_groups(src: str) -> int:
    groups = _scan_groups(src)
    named = [g for g in groups if g is not None]
    return len(named) if named else len(groups)
