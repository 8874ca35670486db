"""Ruby regexp escapes outside classes: shorthands, anchors, backreferences, characters.

``\\d``-style shorthands are ASCII-only as in Ruby, ``\\k<name>``/``\\1`` follow Onigmo's rules
(numbered references are refused once named groups exist), and character escapes give the
characters Ruby gives (:mod:`efklab.ruby.chars`).  The reader works on a :class:`GroupCursor`,
so it needs nothing of the parser beyond that protocol.
"""
from __future__ import annotations

import re

from efklab.ruby.charclass import property_text
from efklab.ruby.chars import char_text, escaped_chars
from efklab.ruby.cursor import GroupCursor
from efklab.ruby.scan import INF, Piece

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


class EscapeReader:
    """Reads the escape at the cursor (outside a class) into a translated :class:`Piece`."""

    def __init__(self, cursor: GroupCursor) -> None:
        self.p = cursor

    def escape(self) -> Piece:
        p = self.p
        src, start = p.src, p.i
        if start + 1 >= len(src):
            raise p.ruby_error("too short escape sequence")
        e = src[start + 1]
        if e in _SHORTHAND:
            p.i += 2
            return Piece(_SHORTHAND[e], 1, 1)
        if e in _ASSERTS:
            if e in "zZ" and p.lookbehinds:  # end-of-string anchors are refused in look-behind
                p.deferred.append((1, "invalid pattern in look-behind", start))
            p.needs_regex = p.needs_regex or e in "bB"  # Unicode word classes need regex
            p.i += 2
            return Piece(_ASSERTS[e], 0, 0, True)
        if e == "R":
            p.i += 2
            return Piece(_LINEBREAK, 1, 2)
        if e == "X":
            p.i += 2
            p.needs_regex = True
            return Piece("\\X", 1, INF)
        if e == "k" and src[start + 2:start + 3] in ("<", "'"):
            return self.backref_by_name(start)
        if e == "g" and src[start + 2:start + 3] in ("<", "'"):
            raise p.cannot("a subexpression call \\g<...>", start)
        if e in "pP" and src[start + 2:start + 3] == "{":
            return Piece(property_text(p, start), 1, 1)
        if e.isdigit() and e != "0":
            backref = self.numbered_backref(start)
            if backref is not None:
                return backref
        chars = escaped_chars(p, start)
        return Piece("".join(char_text(c) for c in chars), len(chars), len(chars))

    def numbered_backref(self, start: int) -> Piece | None:
        p = self.p
        digits = re.match(r"\d+", p.src[start + 1:])
        assert digits is not None
        n = int(digits.group(0))
        if n > p.total_groups and n >= 10:
            if digits.group(0)[0] in "89":
                p.i = start + 2
                return Piece(char_text(digits.group(0)[0]), 1, 1)
            return None  # an octal escape
        p.i = start + 1 + len(digits.group(0))
        return self.numbered_ref(n, start)

    def numbered_ref(self, n: int, start: int) -> Piece:
        """A reference to group ``n``; Onigmo checks these only after the whole pattern parsed."""
        p = self.p
        if p.names:
            p.deferred.append((0, "numbered backref/call is not allowed. (use name)", start))
        elif n < 1 or n > p.total_groups:
            p.deferred.append((1, "invalid backref number/name", start))
        elif n > p.capturing:  # valid Ruby (it never matches), but Python refuses it
            p.deferred.append((2, f"a forward reference to group {n}", start))
        return Piece(f"(?:\\{n})", 0, INF)

    def backref_by_name(self, start: int) -> Piece:
        p = self.p
        src = p.src
        close = ">" if src[start + 2] == "<" else "'"
        end = src.find(close, start + 3)
        ref = src[start + 3:end] if end >= 0 else ""
        p.i = end + 1 if end >= 0 else len(src)
        if re.fullmatch(r"-?\d+", ref):
            n = int(ref)
            return self.numbered_ref(p.capturing + 1 + n if n < 0 else n, start)
        if ref not in p.defined_names:  # a name is known from its group's start on
            raise p.ruby_error(f"undefined name <{ref}> reference")
        return Piece(f"(?P={ref})", 0, INF)
