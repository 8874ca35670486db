"""Index patterns as OpenSearch matches them: ``*`` globs (``Regex.simpleMatch``) and their overlap.

ISM templates, index templates and Dashboards index patterns all use this simple form, where
``*`` is the only wildcard.  Overlap is what the ISM plugin checks (by intersecting automata)
before it accepts two templates with the same priority.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


def simple_match(pattern: str, name: str) -> bool:
    """OpenSearch ``Regex.simpleMatch``: ``*`` matches any run of characters, everything else is literal."""
    return _compile(pattern).fullmatch(name) is not None


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), flags=re.S)


def patterns_overlap(first: Sequence[str], second: Sequence[str]) -> bool:
    """True when some index name matches a pattern of each list."""
    return any(globs_intersect(a, b) for a in first for b in second)


def globs_intersect(a: str, b: str) -> bool:
    """Whether two ``*``-globs share a match: a walk over both patterns' positions."""
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        star_a = i < len(a) and a[i] == "*"
        star_b = j < len(b) and b[j] == "*"
        if star_a:  # a's star matches nothing more, or swallows b's next character
            stack.append((i + 1, j))
            if j < len(b):
                stack.append((i, j + 1))
        if star_b:
            stack.append((i, j + 1))
            if i < len(a):
                stack.append((i + 1, j))
        if not star_a and not star_b and i < len(a) and j < len(b) and a[i] == b[j]:
            stack.append((i + 1, j + 1))
    return False


def template_pattern_problem(pattern: str) -> str | None:
    """What the ISM plugin's ``validateFormat`` says about a template index pattern, or None."""
    if "#" in pattern:
        return "must not contain a '#'"
    if ":" in pattern:
        return "must not contain a ':'"
    if pattern.startswith("_"):
        return "must not start with '_'"
    bad = [c for c in '\\/?"<>| ,' if c in pattern]
    if bad:
        return f"must not contain the following characters {bad}"
    return None
