"""Ruby regexp escapes: shorthands, anchors, backreferences and character escapes.

A mixin of the regexp parser (:mod:`efklab.ruby.parser`) and used by its class reader:
``\\d``-style shorthands are ASCII-only as in Ruby, ``\\k<name>``/``\\1`` follow Onigmo's rules
(numbered references are refused once named groups exist), and ``\\x``, ``\\u{...}``, octal and
control escapes give the characters Ruby gives, with Ruby's error text when malformed.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from efklab.errors import RuleError
from efklab.ruby.charclass import char_text
from efklab.ruby.scan import INF, Piece

if TYPE_CHECKING:
    from efklab.ruby.charclass import ClassReader

_SHORTHAND = {"d": "[0-9]", "D": "[^0-9]", "w": "[a-zA-Z0-9_]", "W": "[^a-zA-Z0-9_]",
              "s": "[\\t\\n\\x0b\\x0c\\r ]", "S": "[^\\t\\n\\x0b\\x0c\\r ]",
              "h": "[0-9a-fA-F]", "H": "[^0-9a-fA-F]"}
# Characters \\b and \\B count as word: Onigmo's Unicode word class plus six Latin-1 digits/fractions
# its single-byte table marks as word (verified over every code point against ruby 3.1).
_WORD = "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\xb2\\xb3\\xb9\\xbc-\\xbe]"
_ASSERTS = {"A": "\\A", "z": "\\Z", "Z": "(?=\\n?\\Z)", "G": "\\A", "K": "",
            "b": f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))",
            "B": f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))"}
_LINEBREAK = "(?>\\r\\n|[\\n\\x0b\\x0c\\r\\x85\\u2028\\u2029])"
_SIMPLE = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "e": "\x1b"}


class EscapeMixin:
    """Escape handling for the parser (it provides src, i, names, groups and the error makers)."""

    src: str
    i: int
    names: set[str]
    total_groups: int
    capturing: int
    needs_regex: bool
    classes: ClassReader
    defined_names: set[str]
    deferred: list[tuple[int, str, int]]
    lookbehinds: int

    def ruby_error(self, message: str) -> RuleError:
        raise NotImplementedError

    def cannot(self, construct: str, at: int, why: str = "Python has no equivalent") -> RuleError:
        raise NotImplementedError

    def escape(self) -> Piece:
        src, start = self.src, self.i
        if start + 1 >= len(src):
            raise self.ruby_error("too short escape sequence")
        e = src[start + 1]
        if e in _SHORTHAND:
            self.i += 2
            return Piece(_SHORTHAND[e], 1, 1)
        if e in _ASSERTS:
            if e in "zZ" and self.lookbehinds:  # end-of-string anchors are refused in look-behind
                self.deferred.append((1, "invalid pattern in look-behind", start))
            self.needs_regex = self.needs_regex or e in "bB"  # Unicode word classes need regex
            self.i += 2
            return Piece(_ASSERTS[e], 0, 0, True)
        if e == "R":
            self.i += 2
            return Piece(_LINEBREAK, 1, 2)
        if e == "X":
            self.i += 2
            self.needs_regex = True
            return Piece("\\X", 1, INF)
        if e == "k" and src[start + 2:start + 3] in ("<", "'"):
            return self.backref_by_name(start)
        if e == "g" and src[start + 2:start + 3] in ("<", "'"):
            raise self.cannot("a subexpression call \\g<...>", start)
        if e in "pP" and src[start + 2:start + 3] == "{":
            return Piece(self.classes.property_text(start), 1, 1)
        if e.isdigit() and e != "0":
            backref = self.numbered_backref(start)
            if backref is not None:
                return backref
        chars = self.escaped_chars(start)
        return Piece("".join(char_text(c) for c in chars), len(chars), len(chars))

    def numbered_backref(self, start: int) -> Piece | None:
        digits = re.match(r"\d+", self.src[start + 1:])
        assert digits is not None
        n = int(digits.group(0))
        if n > self.total_groups and n >= 10:
            if digits.group(0)[0] in "89":
                self.i = start + 2
                return Piece(char_text(digits.group(0)[0]), 1, 1)
            return None  # an octal escape
        self.i = start + 1 + len(digits.group(0))
        return self.numbered_ref(n, start)

    def numbered_ref(self, n: int, start: int) -> Piece:
        """A reference to group ``n``; Onigmo checks these only after the whole pattern parsed."""
        if self.names:
            self.deferred.append((0, "numbered backref/call is not allowed. (use name)", start))
        elif n < 1 or n > self.total_groups:
            self.deferred.append((1, "invalid backref number/name", start))
        elif n > self.capturing:  # valid Ruby (it never matches), but Python refuses it
            self.deferred.append((2, f"a forward reference to group {n}", start))
        return Piece(f"(?:\\{n})", 0, INF)

    def backref_by_name(self, start: int) -> Piece:
        close = ">" if self.src[start + 2] == "<" else "'"
        end = self.src.find(close, start + 3)
        ref = self.src[start + 3:end] if end >= 0 else ""
        self.i = end + 1 if end >= 0 else len(self.src)
        if re.fullmatch(r"-?\d+", ref):
            n = int(ref)
            return self.numbered_ref(self.capturing + 1 + n if n < 0 else n, start)
        if ref not in self.defined_names:  # a name is known from its group's start on
            raise self.ruby_error(f"undefined name <{ref}> reference")
        return Piece(f"(?P={ref})", 0, INF)

    def escaped_chars(self, start: int) -> list[str]:
        """The character(s) an escape at ``start`` stands for; advances the parser."""
        src = self.src
        if start + 1 >= len(src):
            raise self.ruby_error("too short escape sequence")
        e = src[start + 1]
        self.i = start + 2
        if e in _SIMPLE:
            return [_SIMPLE[e]]
        if e in "01234567x":
            try:
                chars, self.i = decode_byte_escapes(src, start)
            except RuleError as exc:
                raise self.ruby_error(exc.reason) from None
            return chars
        if e == "u":
            return self.unicode_escape(start)
        if e in "cC":
            return [self.control_escape(start, e)]
        if e == "M":
            raise self.ruby_error("too short meta escape" if src[start + 2:start + 3] != "-"
                              else "too short escaped multibyte character")
        return [e]

    def unicode_escape(self, start: int) -> list[str]:
        src = self.src
        if src.startswith("{", start + 2):
            end = src.find("}", start + 3)
            body = src[start + 3:end] if end >= 0 else ""
            if end < 0 or not re.fullmatch(r"\s*[0-9a-fA-F]{1,6}(?:\s+[0-9a-fA-F]{1,6})*\s*", body):
                raise self.ruby_error("invalid Unicode escape")
            self.i = end + 1
            return [self.codepoint(int(h, 16)) for h in body.split()]
        m = re.match(r"[0-9a-fA-F]{4}", src[start + 2:])
        if m is None:
            raise self.ruby_error("too short escape sequence" if start + 2 >= len(src) else "invalid Unicode escape")
        self.i = start + 6
        return [self.codepoint(int(m.group(0), 16))]

    def codepoint(self, code: int) -> str:
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.ruby_error("invalid Unicode range")
        return chr(code)

    def control_escape(self, start: int, e: str) -> str:
        try:
            char, self.i = control_char(self.src, start)
        except RuleError as exc:
            raise self.ruby_error(exc.reason) from None
        return char


def control_char(src: str, start: int) -> tuple[str, int]:
    """``\\cX`` / ``\\C-X`` at ``start``: (the control character, end); X may itself be escaped."""
    at = start + 2
    if src[start + 1] == "C":
        if not src.startswith("-", at):
            raise RuleError("too short control escape")
        at += 1
    if at >= len(src) or not src[at].isascii():
        raise RuleError("too short control escape")
    if src[at] != "\\":
        return chr(ord(src[at]) & 0x9F), at + 1
    if at + 1 >= len(src):
        raise RuleError("too short escape sequence")
    e = src[at + 1]
    if e in _SIMPLE or e == "\\":
        return chr(ord(_SIMPLE.get(e, e)) & 0x9F), at + 2
    if e in "01234567x":
        chars, end = decode_byte_escapes(src, at)
        return chr(ord(chars[0]) & 0x9F), end
    if e == "M":
        raise RuleError("invalid multibyte escape")
    raise RuleError("unexpected escape sequence")


_BYTE = re.compile(r"\\(?:x([0-9a-fA-F]{1,2})|([0-7]{1,3}))")


def _byte_at(src: str, at: int) -> tuple[int, int] | None:
    """(byte value, end) of a ``\\xHH`` or octal escape at ``at``; None if there is none."""
    m = _BYTE.match(src, at)
    if m is None:
        return None
    return (int(m.group(1), 16) if m.group(1) else int(m.group(2), 8)), m.end()


def decode_byte_escapes(src: str, start: int) -> tuple[list[str], int]:
    """The character of the byte escape(s) at ``start``: ASCII alone, or a UTF-8 sequence of escapes.

    Ruby's messages: "invalid hex escape", "invalid escape code" (octal over 0377), "invalid
    multibyte escape" (bytes that are not UTF-8) and "too short escaped multibyte character".
    """
    first = _byte_at(src, start)
    if first is None:
        raise RuleError("invalid hex escape")
    value, end = first
    if value > 0xFF:
        raise RuleError("invalid escape code")
    if value < 0x80:
        return [chr(value)], end
    data = bytes([value])
    while True:
        try:
            return [data.decode("utf-8")], end
        except UnicodeDecodeError as exc:
            if exc.reason != "unexpected end of data":
                raise RuleError("invalid multibyte escape") from exc
        more = _byte_at(src, end)
        if more is None or more[0] > 0xFF:
            raise RuleError("too short escaped multibyte character")
        data += bytes([more[0]])
        end = more[1]


def check_escapes(src: str) -> None:
    """Ruby's pre-pass over the whole source (before any syntax check): malformed escapes fail first."""
    i = 0
    n = len(src)
    while i < n:
        if src[i] != "\\":
            i += 1
            continue
        if i + 1 >= n:
            raise RuleError("too short escape sequence")
        e = src[i + 1]
        if e == "u":
            _check_unicode(src, i)
        elif e == "x" or (e in "01234567" and (e == "0" or _octal_value(src, i) > 0o177)):
            _, end = decode_byte_escapes(src, i)
            i = end
            continue
        elif e in "cC":
            i = control_char(src, i)[1]
            continue
        i += 2


def _octal_value(src: str, i: int) -> int:
    m = re.match(r"[0-7]{1,3}", src[i + 1:])
    return int(m.group(0), 8) if m else 0


def _check_unicode(src: str, i: int) -> None:
    if src.startswith("{", i + 2):
        end = src.find("}", i + 3)
        body = src[i + 3:end] if end >= 0 else ""
        if end < 0 or not re.fullmatch(r"\s*[0-9a-fA-F]{1,6}(?:\s+[0-9a-fA-F]{1,6})*\s*", body):
            raise RuleError("invalid Unicode escape")
        codes = [int(h, 16) for h in body.split()]
    else:
        m = re.match(r"[0-9a-fA-F]{4}", src[i + 2:])
        if m is None:
            raise RuleError("too short escape sequence" if i + 2 >= len(src) else "invalid Unicode escape")
        codes = [int(m.group(0), 16)]
    if any(c > 0x10FFFF or 0xD800 <= c <= 0xDFFF for c in codes):
        raise RuleError("invalid Unicode range")
