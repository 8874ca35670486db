"""How a backtracking matcher's work on one line can grow: the static half of the regexp time bound.

Python's ``re`` (like Onigmo before Ruby 3.2) backtracks.  Two shapes make its work on one line
grow exponentially with the line's length: a variable-length piece inside a repeated group
whose repetitions can split the same text in more than one way (``(a+)+``, ``(\\w+\\s?)+``,
``(.*,)+``: a *nested quantifier*), and an alternation under a repeat whose branches can start
with the same character (``(a|a)*``, ``(a|aa)+``: an *overlapping alternation*).  Back-references
(``\\1``) are also unbounded.  :func:`analyze` finds these on the parse tree of the translated
Python pattern and, for the other patterns, bounds the work as a polynomial in the line length,
so :mod:`efklab.ruby.bounded` can run short lines on the fast engine and everything else with a
timeout.  First characters are compared over a probe alphabet (ASCII and a few non-ASCII
letters, digits and spaces), enough to tell ``\\w`` from ``\\s`` or ``[^"]`` from ``"``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

# CPython's own regexp parser: the tree ``re`` compiles (opcodes are compared by name).
_SRE: Any = importlib.import_module("re._parser")
_MAXREPEAT: int = _SRE.MAXREPEAT
_IGNORECASE, _DOTALL = 2, 16  # the re module's SRE_FLAG_IGNORECASE and SRE_FLAG_DOTALL
_LOOP = 10  # a repeat of more than this many iterations lets choices multiply without limit

PROBES = frozenset([chr(c) for c in range(128)] + list("éßЖ中\u00a0\u2028٣K\U0001f600ı"))
_ANY_BUT_NEWLINE = PROBES - {"\n"}


@dataclass(frozen=True, slots=True)
class Hazard:
    """A construct that lets the work on one line grow exponentially."""

    kind: str  # "nested quantifier" | "overlapping alternation" | "back-reference"
    detail: str


@dataclass(frozen=True, slots=True)
class Growth:
    """What :func:`analyze` found: hazards, or else a polynomial bound ``factor * n**degree`` on the ways to
    match at one position (``plain`` patterns only: no repeat of more than one iteration around a choice)."""

    hazards: tuple[Hazard, ...]
    plain: bool
    factor: int
    degree: int
    backreference: bool
    lookaround: bool
    atomic: bool

    def safe_length(self, budget: int, size: int) -> int:
        """The longest line whose worst-case work stays within ``budget`` steps (-1: none, always bound it).

        Work <= start positions (n + 1) * ways * steps per way (n + 1 + size of the pattern)."""
        if self.hazards or not self.plain:
            return -1

        def work(n: int) -> int:
            return int(self.factor * (n + 1) ** (self.degree + 1) * (n + 1 + size))

        if work(0) > budget:
            return -1
        lo, hi = 0, 1
        while work(hi) <= budget and hi < 1 << 40:
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if work(mid) <= budget else (lo, mid)
        return lo


def analyze(pattern: str, flags: int = 0) -> Growth | None:
    """The growth of ``pattern`` (a Python ``re`` pattern), or None when ``re`` cannot parse it (regex-only syntax)."""
    try:
        tree = _SRE.parse(pattern, flags)
    except Exception:  # re.error and the parser's internal errors: not an re pattern
        return None
    walker = _Walker()
    walker.walk(list(tree.data), frozenset(), False, bool(flags & _IGNORECASE), bool(flags & _DOTALL))
    plain = not walker.hazards and not walker.loop_choice and not walker.backreference
    factor, degree = _ways(list(tree.data)) if plain else (1, 0)
    return Growth(tuple(dict.fromkeys(walker.hazards)), plain, factor, degree, walker.backreference,
                  walker.lookaround, walker.atomic)


def _name(op: Any) -> str:
    return str(getattr(op, "name", op))


class _Walker:
    """One pass over the tree: hazards, back-references, look-around, atomic groups, loops around choices."""

    def __init__(self) -> None:
        self.hazards: list[Hazard] = []
        self.backreference = self.lookaround = self.atomic = self.loop_choice = False

    def walk(self, seq: list[Any], follow: frozenset[str], in_loop: bool, fold: bool, dotall: bool) -> None:
        afters: list[frozenset[str]] = []  # what can follow each item: computed right to left, in one pass
        rest_first, rest_empty = frozenset[str](), True
        for op, av in reversed(seq):
            afters.append(rest_first | follow if rest_empty else rest_first)
            first, empty = _first_item(op, av, fold, dotall)
            rest_first, rest_empty = (first | rest_first, rest_empty) if empty else (first, False)
        afters.reverse()
        for (op, av), after in zip(seq, afters, strict=True):
            name = _name(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                self._repeat(name, av, after, in_loop, fold, dotall)
            elif name == "BRANCH":
                self._branch(av[1], after, in_loop, fold, dotall)
            elif name == "SUBPATTERN":
                add, drop = av[1], av[2]
                self.walk(list(av[3].data), after, in_loop, _flag(fold, add, drop, _IGNORECASE),
                          _flag(dotall, add, drop, _DOTALL))
            elif name == "ATOMIC_GROUP":
                self.atomic = True
                self.walk(list(av.data), after, False, fold, dotall)
            elif name in ("ASSERT", "ASSERT_NOT"):
                self.lookaround = True
                if _has(list(av[1].data), ("MAX_REPEAT", "MIN_REPEAT", "BRANCH")):
                    self.loop_choice = True  # look-around work is not in the polynomial bound
                self.walk(list(av[1].data), frozenset(), False, fold, dotall)
            elif name in ("GROUPREF", "GROUPREF_EXISTS"):
                self.backreference = True
                self.hazards.append(Hazard("back-reference", "a back-reference makes matching search all splits"))
                if name == "GROUPREF_EXISTS":
                    for branch in av[1:]:
                        if branch is not None:
                            self.walk(list(branch.data), after, in_loop, fold, dotall)

    def _repeat(self, name: str, av: Any, after: frozenset[str], in_loop: bool, fold: bool, dotall: bool) -> None:
        lo, hi, body = av[0], av[1], list(av[2].data)
        body_first, _ = _first(body, fold, dotall)
        if in_loop and hi > lo and name != "POSSESSIVE_REPEAT" and body_first & after:
            self.hazards.append(Hazard("nested quantifier", "a repeat inside a repeated group can end where the "
                                       "next repetition starts, so the group splits a line in exponentially many ways"))
        loops = hi > _LOOP
        if hi > 1 and _has(body, ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT", "BRANCH", "GROUPREF")):
            self.loop_choice = True
        if name == "POSSESSIVE_REPEAT":
            self.atomic = True
            self.walk(body, frozenset(), False, fold, dotall)  # never backtracked into
            return
        inner_follow = after | body_first if hi > 1 else after
        self.walk(body, inner_follow, in_loop or loops, fold, dotall)

    def _branch(self, alternatives: list[Any], after: frozenset[str], in_loop: bool, fold: bool, dotall: bool) -> None:
        firsts = [_first(list(alt.data), fold, dotall) for alt in alternatives]
        if in_loop:
            seen: frozenset[str] = frozenset()
            overlap = sum(empty for _, empty in firsts) > 1  # two ways to match nothing
            for first, empty in firsts:
                overlap = overlap or bool(first & seen) or (empty and bool(after & _union(firsts)))
                seen |= first
            if overlap:
                self.hazards.append(Hazard("overlapping alternation", "alternatives under a repeat can match the "
                                           "same text, so each repetition may try every one of them"))
        for alt in alternatives:
            self.walk(list(alt.data), after, in_loop, fold, dotall)


def _union(firsts: list[tuple[frozenset[str], bool]]) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for first, _ in firsts:
        out |= first
    return out


def _flag(current: bool, add: int, drop: int, bit: int) -> bool:
    return (current or bool(add & bit)) and not drop & bit


def _has(seq: list[Any], names: tuple[str, ...]) -> bool:
    """Whether any node of ``seq`` (at any depth) is one of ``names``."""
    for op, av in seq:
        if _name(op) in names:
            return True
        for child in _children(op, av):
            if _has(child, names):
                return True
    return False


def _children(op: Any, av: Any) -> list[list[Any]]:
    name = _name(op)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        return [list(av[2].data)]
    if name == "SUBPATTERN":
        return [list(av[3].data)]
    if name == "ATOMIC_GROUP":
        return [list(av.data)]
    if name in ("ASSERT", "ASSERT_NOT"):
        return [list(av[1].data)]
    if name == "BRANCH":
        return [list(alt.data) for alt in av[1]]
    if name == "GROUPREF_EXISTS":
        return [list(b.data) for b in av[1:] if b is not None]
    return []


def _first(seq: list[Any], fold: bool, dotall: bool) -> tuple[frozenset[str], bool]:
    """The probe characters a match of ``seq`` can start with, and whether it can match the empty text."""
    out: frozenset[str] = frozenset()
    for op, av in seq:
        first, empty = _first_item(op, av, fold, dotall)
        out |= first
        if not empty:
            return out, False
    return out, True


def _first_item(op: Any, av: Any, fold: bool, dotall: bool) -> tuple[frozenset[str], bool]:
    name = _name(op)
    if name == "LITERAL":
        return _folded(frozenset([chr(av)]), fold), False
    if name == "NOT_LITERAL":
        return PROBES - _folded(frozenset([chr(av)]), fold), False
    if name == "ANY":
        return (PROBES if dotall else _ANY_BUT_NEWLINE), False
    if name == "IN":
        return _folded(frozenset(c for c in PROBES if _in_class(av, c)), fold), False
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        first, empty = _first(list(av[2].data), fold, dotall)
        return first, empty or av[0] == 0
    if name == "SUBPATTERN":
        return _first(list(av[3].data), _flag(fold, av[1], av[2], _IGNORECASE), _flag(dotall, av[1], av[2], _DOTALL))
    if name == "ATOMIC_GROUP":
        return _first(list(av.data), fold, dotall)
    if name == "BRANCH":
        firsts = [_first(list(alt.data), fold, dotall) for alt in av[1]]
        return _union(firsts), any(empty for _, empty in firsts)
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return frozenset(), True
    return PROBES, True  # back-references and anything unknown: could start with anything, or be empty


def _folded(chars: frozenset[str], fold: bool) -> frozenset[str]:
    if not fold:
        return chars
    return chars | frozenset(c.swapcase() for c in chars if len(c.swapcase()) == 1) & PROBES


def _in_class(items: list[Any], char: str) -> bool:
    """Whether ``char`` is in a parsed character class."""
    negate = False
    hit = False
    code = ord(char)
    for op, av in items:
        name = _name(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or code == av
        elif name == "NOT_LITERAL":
            hit = hit or code != av
        elif name == "RANGE":
            hit = hit or av[0] <= code <= av[1]
        elif name == "CATEGORY":
            hit = hit or _in_category(_name(av), char)
        else:
            hit = True  # unknown: assume it may contain the character
    return hit != negate


def _in_category(category: str, char: str) -> bool:
    tests = {
        "CATEGORY_DIGIT": char.isdecimal(), "CATEGORY_NOT_DIGIT": not char.isdecimal(),
        "CATEGORY_SPACE": char.isspace(), "CATEGORY_NOT_SPACE": not char.isspace(),
        "CATEGORY_WORD": char.isalnum() or char == "_", "CATEGORY_NOT_WORD": not (char.isalnum() or char == "_"),
    }
    base = category.replace("CATEGORY_UNI_", "CATEGORY_").replace("CATEGORY_LOC_", "CATEGORY_")
    return tests.get(base, True)


def _ways(seq: list[Any]) -> tuple[int, int]:
    """``(factor, degree)``: at most ``factor * n**degree`` ways to match ``seq`` at one position (plain patterns)."""
    factor, degree = 1, 0
    for op, av in seq:
        f, d = _ways_item(op, av)
        factor, degree = factor * f, degree + d
    return factor, degree


def _ways_item(op: Any, av: Any) -> tuple[int, int]:
    name = _name(op)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        lo, hi, body = av[0], av[1], list(av[2].data)
        f, d = _ways(body)
        if hi == _MAXREPEAT:
            return f, d + 1
        return f * (hi - lo + 1), d
    if name == "SUBPATTERN":
        return _ways(list(av[3].data))
    if name == "ATOMIC_GROUP":
        return _ways(list(av.data))
    if name in ("ASSERT", "ASSERT_NOT"):
        f, d = _ways(list(av[1].data))
        return f * (d + 1), 0  # a look-around is tried once per position; its own work is counted as a factor
    if name == "BRANCH":
        ways = [_ways(list(alt.data)) for alt in av[1]]
        return sum(f for f, _ in ways), max(d for _, d in ways)
    return 1, 0
