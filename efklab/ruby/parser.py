"""Ruby (Onigmo, Ruby syntax) regexp source -> a Python pattern with the same matches.

A recursive-descent reader of Ruby's regexp grammar that writes an equivalent pattern for
Python's ``re`` (or the ``regex`` package where ``re`` has no equivalent: Unicode properties,
POSIX brackets, ``\\X``, full case folding).  Widths are tracked so that look-behind is checked
as Ruby checks it.  Errors: Ruby's RegexpError text for invalid patterns, "cannot translate"
with the construct and its offset for valid Ruby that Python cannot run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from efklab.errors import RuleError
from efklab.ruby.charclass import ClassReader
from efklab.ruby.chars import char_text, check_escapes
from efklab.ruby.escapes import EscapeReader
from efklab.ruby.scan import (
    INF,
    INTERVAL,
    Flags,
    Piece,
    is_unit,
    multiply,
    prescan_groups,
    prescan_names,
    valid_interval,
)

_OPTIONS = re.compile(r"([imxadlu]*)(?:-([imx]*))?([:)])")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# outer greedy repeat -> {inner greedy repeat -> the single repeat Onigmo reduces the pair to}
_REDUCE = {"?": {"?": "?", "*": "*", "+": "*"}, "*": {"?": "*", "*": "*", "+": "*"},
           "+": {"?": "*", "*": "*", "+": "+"}}


@dataclass(frozen=True)
class Translation:
    """The Python pattern and whether it needs the ``regex`` package."""

    pattern: str
    needs_regex: bool


def translate(source: str, *, origin: str | None = None, position: int | str | None = None) -> Translation:
    """Translate a Ruby regexp source; RuleError (Ruby's message or "cannot translate")."""
    parser = _Parser(source, origin, position)
    pattern = parser.parse()
    return Translation(pattern, parser.needs_regex)


class _Parser:
    """The grammar; it is the :class:`~efklab.ruby.cursor.GroupCursor` its class and escape readers work on."""

    def __init__(self, src: str, origin: str | None, position: int | str | None) -> None:
        self.src = src
        self.i = 0
        self.origin = origin
        self.position = position
        self.needs_regex = False
        self.names = prescan_names(src)
        self.capturing = 0
        self.total_groups = prescan_groups(src)
        self.defined_names: set[str] = set()
        self.deferred: list[tuple[int, str, int]] = []  # (rank, message, offset)
        self.lookbehinds = 0  # depth of look-behind groups being read
        self.classes = ClassReader(self)
        self.escapes = EscapeReader(self)

    # errors -----------------------------------------------------------------------------
    def ruby_error(self, message: str) -> RuleError:
        shown = self.src.replace("/", "\\/")
        return RuleError(f"{message}: /{shown}/", source=self.origin, position=self.position)

    def cannot(self, construct: str, at: int, why: str = "Python has no equivalent") -> RuleError:
        return RuleError(f"cannot translate {construct} at offset {at} of /{self.src}/: {why}",
                         source=self.origin, position=self.position)

    # grammar ----------------------------------------------------------------------------
    def parse(self) -> str:
        try:
            check_escapes(self.src)
        except RuleError as exc:
            raise self.ruby_error(exc.reason) from None
        alts = self.alternatives(Flags())
        if self.i < len(self.src) and self.src[self.i] == ")":
            raise self.ruby_error("unmatched close parenthesis")
        if self.deferred:  # checks Onigmo makes once the whole pattern has parsed
            rank, message, at = min(self.deferred, key=lambda d: (d[0], d[2]))
            raise self.ruby_error(message) if rank < 2 else self.cannot(message, at, "Python refuses it")
        return "|".join(p.text for p in alts)

    def alternatives(self, flags: Flags) -> list[Piece]:
        alts = [self.sequence(flags)]
        while self.i < len(self.src) and self.src[self.i] == "|":
            self.i += 1
            alts.append(self.sequence(flags))
        return alts

    def sequence(self, flags: Flags) -> Piece:
        parts: list[Piece] = []
        while True:
            self.skip_extended(flags)
            if self.i >= len(self.src) or self.src[self.i] in "|)":
                break
            isolated = self.isolated_options(flags)
            if isolated is not None:
                parts.append(isolated)
                break
            atom = self.atom(flags)
            parts.append(self.quantified(atom, flags))
        lo = sum(p.lo for p in parts)
        hi = min(INF, sum(p.hi for p in parts))
        return Piece("".join(p.text for p in parts), lo, hi, all(p.assertion for p in parts) and bool(parts))

    def skip_extended(self, flags: Flags) -> None:
        if not flags.x:
            return
        while self.i < len(self.src):
            c = self.src[self.i]
            if c in " \t\n\r\f\v":
                self.i += 1
            elif c == "#":
                end = self.src.find("\n", self.i)
                self.i = len(self.src) if end < 0 else end + 1
            else:
                return

    def isolated_options(self, flags: Flags) -> Piece | None:
        """``(?imx-imx)``: Onigmo applies it to the rest of the enclosing group, alternatives included."""
        if not self.src.startswith("(?", self.i):
            return None
        m = _OPTIONS.match(self.src, self.i + 2)
        if m is None or m.group(3) != ")" or m.group(0) == ")":  # "(?)" is an error, raised by group()
            return None
        start = self.i
        new = self.options(m, flags, start)
        self.i = m.end()
        alts = self.alternatives(new)
        inner = "|".join(p.text for p in alts)
        return Piece(self.scoped(flags, new, inner), min(p.lo for p in alts), max(p.hi for p in alts))

    def options(self, m: re.Match[str], flags: Flags, start: int) -> Flags:
        on, off = m.group(1), m.group(2) or ""
        for letter in on:
            if letter in "adlu":
                raise self.cannot(f"the option (?{letter})", start, "character-set options are not supported")
        return Flags(i=("i" in on or flags.i) and "i" not in off, m=("m" in on or flags.m) and "m" not in off,
                     x=("x" in on or flags.x) and "x" not in off)

    def scoped(self, outer: Flags, inner: Flags, text: str) -> str:
        if inner.i:
            self.needs_regex = True  # Ruby folds case fully ("ß" matches /ss/i): regex's FULLCASE does too
        if inner.i == outer.i:
            return f"(?:{text})"
        return f"(?i:{text})" if inner.i else f"(?-i:{text})"

    def atom(self, flags: Flags) -> Piece:
        src, start = self.src, self.i
        c = src[start]
        if c == "(":
            return self.group(flags)
        if c == "[":
            return Piece(self.classes.read(), 1, 1)
        if c == ".":
            self.i += 1
            return Piece("(?s:.)" if flags.m else ".", 1, 1)
        if c == "^":
            self.i += 1
            return Piece("^(?:(?!\\Z)|\\A)", 0, 0, True)  # re.M ^, but not after a final newline
        if c == "$":
            self.i += 1
            return Piece("$", 0, 0, True)
        if c == "\\":
            return self.escapes.escape()
        if c in "*+?" or (c == "{" and valid_interval(src, start)):
            raise self.ruby_error("target of repeat operator is not specified")
        self.i += 1
        return Piece(char_text(c), 1, 1)

    def quantified(self, atom: Piece, flags: Flags) -> Piece:
        piece = atom
        quantified = False
        simple: tuple[str, str, Piece] | None = None  # (body, greedy op, unquantified atom)
        while True:
            self.skip_extended(flags)
            q = self.quantifier()
            if q is None:
                return piece
            lo, hi, suffix, text = q
            if piece.assertion:
                piece = Piece("", 0, 0, True) if lo == 0 else piece
                continue
            if simple is not None and text in _REDUCE and not suffix:
                # Onigmo reduces stacked greedy repeats (a+* is a*); Python would backtrack exponentially
                body, op, base = simple
                op = _REDUCE[text].get(op, op)
                lo, hi = {"*": (0, INF), "+": (1, INF), "?": (0, 1)}[op]
                piece = Piece(f"{body}{op}", base.lo * lo, multiply(base.hi, hi))
                simple = (body, op, base)
                continue
            wrap = quantified or (len(piece.text) > 1 and not is_unit(piece.text))
            body = f"(?:{piece.text})" if wrap else piece.text
            if suffix == "optional":  # Ruby's {n}? is "{n}, optionally", not lazy
                piece = Piece(f"(?:{body}{text})?", 0, multiply(piece.hi, hi))
                simple = None
            else:
                simple = (body, text, piece) if text in _REDUCE and not suffix and not quantified else None
                piece = Piece(f"{body}{text}{suffix}", piece.lo * lo, multiply(piece.hi, hi))
            quantified = True

    def quantifier(self) -> tuple[int, int, str, str] | None:
        src, i = self.src, self.i
        if i >= len(src):
            return None
        c = src[i]
        if c in "*+?":
            lo, hi = {"*": (0, INF), "+": (1, INF), "?": (0, 1)}[c]
            self.i += 1
            suffix = ""
            if self.i < len(src) and src[self.i] in "?+":
                suffix = src[self.i]
                self.i += 1
            return lo, hi, suffix, c
        m = INTERVAL.match(src, i) if c == "{" else None
        if m is None or not valid_interval(src, i):
            return None
        low, comma, high = m.group(1), m.group(2), m.group(3)
        lo = int(low) if low else 0
        hi = (int(high) if high else INF) if comma else lo
        if hi < lo:
            raise self.ruby_error("upper is smaller than lower in repeat range")
        self.i = m.end()
        text = f"{{{lo}}}" if not comma else f"{{{lo},{'' if hi == INF else hi}}}"
        suffix = ""
        if self.i < len(src) and src[self.i] == "?":
            self.i += 1
            suffix = "?" if comma else "optional"
        return lo, hi, suffix, text

    def group(self, flags: Flags) -> Piece:
        src, start = self.src, self.i
        self.i += 1
        if not src.startswith("?", self.i):
            self.capturing += 1
            open_text = "(?:" if self.names else "("
            return self.close_group(open_text, flags, flags, start)
        rest = src[self.i + 1:self.i + 3]
        if rest.startswith(":"):
            self.i += 2
            return self.close_group("(?:", flags, flags, start)
        if rest[:1] in ("=", "!", ">") and self.lookbehinds:
            self.deferred.append((1, "invalid pattern in look-behind", start))
        if rest.startswith("=") or rest.startswith("!"):
            self.i += 2
            inner = self.close_group("(?" + rest[0], flags, flags, start)
            return Piece(inner.text, 0, 0, True)
        if rest.startswith(">"):
            self.i += 2
            return self.close_group("(?>", flags, flags, start)
        if rest in ("<=", "<!"):
            self.i += 3
            return self.lookbehind(rest[1] == "=", flags, start)
        if rest.startswith("#"):
            end = src.find(")", self.i)
            if end < 0:
                raise self.ruby_error("end pattern in group")
            self.i = end + 1
            return Piece("", 0, 0, True)
        if rest.startswith("<") or rest.startswith("'"):
            return self.named_group(flags, start)
        if rest.startswith("~"):
            raise self.cannot("the absent operator (?~...)", start)
        if rest.startswith("("):
            raise self.cannot("a conditional group (?(...)...)", start)
        m = _OPTIONS.match(src, self.i + 1)
        if m is None or m.group(0) == ")":
            letters = re.match(r"[imxadlu-]*", src[self.i + 1:])
            if self.i + 1 + (letters.end() if letters else 0) >= len(src):
                raise self.ruby_error("end pattern in group")
            raise self.ruby_error("undefined group option")
        new = self.options(m, flags, start)
        self.i = m.end()
        alts = self.alternatives(new)
        self.expect_close()
        body = "|".join(p.text for p in alts)
        return Piece(self.scoped(flags, new, body), min(p.lo for p in alts), max(p.hi for p in alts))

    def named_group(self, flags: Flags, start: int) -> Piece:
        close = ">" if self.src[self.i + 1] == "<" else "'"
        end = self.src.find(close, self.i + 2)
        name = self.src[self.i + 2:end] if end >= 0 else self.src[self.i + 2:]
        if end < 0 or not _NAME.fullmatch(name):
            raise self.ruby_error(f"invalid group name <{name}>")
        if name in self.defined_names:
            raise self.cannot(f"the duplicate group name <{name}>", start)
        self.defined_names.add(name)
        self.capturing += 1
        self.i = end + 1
        return self.close_group(f"(?P<{name}>", flags, flags, start)

    def close_group(self, open_text: str, outer: Flags, flags: Flags, start: int) -> Piece:
        alts = self.alternatives(flags)
        self.expect_close()
        text = open_text + "|".join(p.text for p in alts) + ")"
        return Piece(text, min(p.lo for p in alts), max(p.hi for p in alts))

    def expect_close(self) -> None:
        if self.i >= len(self.src) or self.src[self.i] != ")":
            raise self.ruby_error("end pattern with unmatched parenthesis")
        self.i += 1

    def lookbehind(self, positive: bool, flags: Flags, start: int) -> Piece:
        self.lookbehinds += 1
        alts = self.alternatives(flags)
        self.lookbehinds -= 1
        self.expect_close()
        if any(p.lo != p.hi for p in alts):  # Onigmo checks this once the whole pattern parsed
            self.deferred.append((1, "invalid pattern in look-behind", start))
        kind = "=" if positive else "!"
        if len({p.lo for p in alts}) == 1:
            return Piece(f"(?<{kind}" + "|".join(p.text for p in alts) + ")", 0, 0, True)
        parts = [f"(?<{kind}{p.text})" for p in alts]
        return Piece("(?:" + "|".join(parts) + ")" if positive else "".join(parts), 0, 0, True)
