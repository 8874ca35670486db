"""Ruby character escapes: the characters they stand for, and characters as Python pattern text.

Used both inside and outside character classes: ``\\x``, ``\\u{...}``, octal and control escapes
give the characters Ruby gives (byte escapes may spell one UTF-8 character), with Ruby's error
text when malformed; :func:`check_escapes` is Ruby's pre-pass that fails on those first.
"""
from __future__ import annotations

import re

from efklab.errors import RuleError
from efklab.ruby.cursor import Cursor

_SIMPLE = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "e": "\x1b"}
_UNICODE_LIST = re.compile(r"\s*[0-9a-fA-F]{1,6}(?:\s+[0-9a-fA-F]{1,6})*\s*")
_BYTE = re.compile(r"\\(?:x([0-9a-fA-F]{1,2})|([0-7]{1,3}))")


def char_text(c: str) -> str:
    """One character as Python pattern text that is literal both inside and outside classes."""
    if c.isascii() and c.isalnum():
        return c
    code = ord(c)
    if 0x21 <= code < 0x7F:
        return "\\" + c  # ASCII punctuation: an escaped punctuation char is literal everywhere
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escaped_chars(cur: Cursor, start: int) -> list[str]:
    """The character(s) the escape at ``start`` stands for; moves the cursor past it."""
    src = cur.src
    if start + 1 >= len(src):
        raise cur.ruby_error("too short escape sequence")
    e = src[start + 1]
    cur.i = start + 2
    if e in _SIMPLE:
        return [_SIMPLE[e]]
    if e in "01234567x":
        try:
            chars, cur.i = decode_byte_escapes(src, start)
        except RuleError as exc:
            raise cur.ruby_error(exc.reason) from None
        return chars
    if e == "u":
        return _unicode_escape(cur, start)
    if e in "cC":
        try:
            char, cur.i = control_char(src, start)
        except RuleError as exc:
            raise cur.ruby_error(exc.reason) from None
        return [char]
    if e == "M":
        raise cur.ruby_error("too short meta escape" if src[start + 2:start + 3] != "-"
                             else "too short escaped multibyte character")
    return [e]


def _unicode_escape(cur: Cursor, start: int) -> list[str]:
    src = cur.src
    if src.startswith("{", start + 2):
        end = src.find("}", start + 3)
        body = src[start + 3:end] if end >= 0 else ""
        if end < 0 or not _UNICODE_LIST.fullmatch(body):
            raise cur.ruby_error("invalid Unicode escape")
        cur.i = end + 1
        return [_codepoint(cur, int(h, 16)) for h in body.split()]
    m = re.match(r"[0-9a-fA-F]{4}", src[start + 2:])
    if m is None:
        raise cur.ruby_error("too short escape sequence" if start + 2 >= len(src) else "invalid Unicode escape")
    cur.i = start + 6
    return [_codepoint(cur, int(m.group(0), 16))]


def _codepoint(cur: Cursor, code: int) -> str:
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise cur.ruby_error("invalid Unicode range")
    return chr(code)


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
        if end < 0 or not _UNICODE_LIST.fullmatch(body):
            raise RuleError("invalid Unicode escape")
        codes = [int(h, 16) for h in body.split()]
    else:
        m = re.match(r"[0-9a-fA-F]{4}", src[i + 2:])
        if m is None:
            raise RuleError("too short escape sequence" if i + 2 >= len(src) else "invalid Unicode escape")
        codes = [int(m.group(0), 16)]
    if any(c > 0x10FFFF or 0xD800 <= c <= 0xDFFF for c in codes):
        raise RuleError("invalid Unicode range")
