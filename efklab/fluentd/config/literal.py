"""fluentd's V1 config lexer: spacing, comments and the three kinds of literal values.

Mirrors ``Fluent::Config::BasicParser`` / ``LiteralParser`` (fluentd v1.x) rule for rule, so
that a value reads exactly as fluentd reads it: unquoted text keeps backslashes and ends at
whitespace followed by ``#`` or at the end of the line; double-quoted text processes escapes
and keeps embedded Ruby ``#{...}`` as opaque text (we never evaluate it); single-quoted text
only unescapes ``\\'`` and ``\\\\``; ``[``/``{`` start a JSON value that may span lines.
"""
from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from efklab.errors import ConfigError

# The lexical classes of basic_parser.rb, written for Python's re (\Z is Ruby's \z).  Their repeats are
# possessive: nothing after them could take characters back, and re then keeps no state per character
# (a greedy repeat of a group costs about 120 bytes per character of a long line).
LINE_END = r"(?:[ \t]*(?:#.*)?(?:\Z|[\r\n]))++"
SPACING = r"(?:[ \t\r\n]|\Z|#.*?(?:\Z|[\r\n]))++"
ZERO_OR_MORE_SPACING = r"(?:[ \t\r\n]|\Z|#.*?(?:\Z|[\r\n]))*+"
SPACING_WITHOUT_COMMENT = r"(?:[ \t\r\n]|\Z)++"
_EOL = r"(?:\Z|[\r\n])"

_RE_LINE_END = re.compile(LINE_END)
_RE_SPACING = re.compile(SPACING)
_RE_SPACING_NO_COMMENT = re.compile(SPACING_WITHOUT_COMMENT)
_RE_DQ_LINE_BREAK = re.compile(r'[^"]' + _EOL)
_RE_DQ_KEEP_BEFORE_BREAK = re.compile(r"[^\\]" + _EOL)
_RE_ESCAPE = re.compile(r"\\.")
_RE_ANY = re.compile(r".")
_NONQUOTED: dict[str, re.Pattern[str]] = {}

_ESCAPES = {'"': '"', "'": "'", "r": "\r", "n": "\n", "t": "\t", "f": "\f", "b": "\b", "0": "\0"}


@dataclass(frozen=True, slots=True)
class Literal:
    """One scanned value: what fluentd yields, the text as written, and how it was quoted."""

    value: str
    raw: str
    quote: str  # "" (unquoted), '"', "'", "[" or "{" (JSON)
    embedded: tuple[str, ...] = ()  # embedded Ruby code, kept unevaluated


class Scanner:
    """A cursor over one unit of fluentd text (a file or a ConfigMap key), like Ruby's StringScanner.

    ``line_of`` maps an offset in the text to the physical line of the file it came from, so
    errors and positions name the line a user sees in their editor.
    """

    def __init__(self, text: str, *, source: str, unit: str | None = None,
                 line_of: Callable[[int], int] | None = None) -> None:
        self.text = text
        self.pos = 0
        self.source = source
        self.unit = unit
        self._line_starts = array("q", [0])  # 8 bytes a line, also for a file of millions of empty lines
        self._line_starts.extend(m.end() for m in re.finditer(r"\n", text))
        self._line_of = line_of

    def line_at(self, pos: int | None = None) -> int:
        """The 1-based physical line of ``pos`` (default: the cursor)."""
        offset = self.pos if pos is None else pos
        if self._line_of is not None:
            return self._line_of(offset)
        return bisect_right(self._line_starts, offset)

    def eof(self) -> bool:
        return self.pos >= len(self.text)

    def skip(self, pattern: re.Pattern[str]) -> str | None:
        """Advance over ``pattern`` at the cursor; the matched text, or None."""
        m = pattern.match(self.text, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        return m.group(0)

    def check(self, pattern: re.Pattern[str]) -> str | None:
        m = pattern.match(self.text, self.pos)
        return None if m is None else m.group(0)

    def spacing(self) -> str | None:
        return self.skip(_RE_SPACING)

    def spacing_without_comment(self) -> str | None:
        return self.skip(_RE_SPACING_NO_COMMENT)

    def line_end(self) -> str | None:
        return self.skip(_RE_LINE_END)

    def error(self, message: str, pos: int | None = None) -> ConfigError:
        """A ConfigError with fluentd's message and the line fluentd names.

        fluentd reports the line holding the character just before the scan position (an
        error at the start of a line names the previous one; at the end of the file, the last).
        """
        where = f"in {self.unit!r}: " if self.unit else ""
        offset = self.pos if pos is None else pos
        line = self.line_at(min(max(offset - 1, 0), max(len(self.text) - 1, 0)))
        return ConfigError(f"{where}{message}", source=self.source, position=line)


def nonquoted_pattern(boundary: str) -> re.Pattern[str]:
    """Unquoted text: ``#`` always belongs to it; any other char unless a boundary starts there.

    Possessive (``*+``): the match is the same, but ``re`` keeps no backtracking state per character
    (a greedy repeat of this group costs about 120 bytes per character: 6 GB for a 50 MB line)."""
    pattern = _NONQUOTED.get(boundary)
    if pattern is None:
        pattern = _NONQUOTED[boundary] = re.compile(r"(?:#|(?!" + boundary + r").)*+")
    return pattern


def scan_nonquoted(sc: Scanner, boundary: str = LINE_END) -> str | None:
    """fluentd's ``scan_nonquoted_string``: None when nothing was scanned."""
    text = sc.skip(nonquoted_pattern(boundary))
    return text or None


def scan_string(sc: Scanner, boundary: str = LINE_END) -> Literal | None:
    """A quoted or unquoted string at the cursor (fluentd's ``scan_string``)."""
    start = sc.pos
    if sc.text.startswith('"', start):
        sc.pos += 1
        value, embedded = _scan_double_quoted(sc)
        return Literal(value, sc.text[start:sc.pos], '"', embedded)
    if sc.text.startswith("'", start):
        sc.pos += 1
        value = _scan_single_quoted(sc)
        return Literal(value, sc.text[start:sc.pos], "'")
    text = scan_nonquoted(sc, boundary)
    return None if text is None else Literal(text, text, "")


def parse_literal(sc: Scanner) -> Literal | None:
    """A parameter value: JSON array/hash, or a string (fluentd's ``parse_literal``)."""
    sc.spacing_without_comment()
    start = sc.pos
    if sc.text.startswith("[", start) or sc.text.startswith("{", start):
        sc.pos += 1
        value = _scan_json(sc, is_array=sc.text[start] == "[")
        return Literal(value, sc.text[start:sc.pos], sc.text[start])
    return scan_string(sc)


def _scan_double_quoted(sc: Scanner) -> tuple[str, tuple[str, ...]]:
    out: list[str] = []
    embedded: list[str] = []
    text = sc.text
    while True:
        if text.startswith('"', sc.pos):
            sc.pos += 1
            return "".join(out), tuple(embedded)
        if sc.check(_RE_DQ_LINE_BREAK) is not None:
            # a char before a line break: kept with the break, unless it is a backslash
            # (line continuation); the break itself is consumed here too.
            kept = sc.check(_RE_DQ_KEEP_BEFORE_BREAK)
            if kept is not None:
                out.append(kept)
            sc.skip(_RE_DQ_LINE_BREAK)
        elif (esc := sc.check(_RE_ESCAPE)) is not None:
            char = esc[1]
            if char in _ESCAPES:
                out.append(_ESCAPES[char])
            elif char.isascii() and char.isalnum():
                raise sc.error(f"unexpected back-slash escape character '{char}'")
            else:
                out.append(char)
            sc.pos += 2
        elif text.startswith("#{", sc.pos):
            code_start = sc.pos + 2
            code_end = find_embedded_code_end(text, code_start)
            if code_end is None:
                sc.pos = len(text)
                raise sc.error("expected end of embedded code but $end")
            code = text[code_start:code_end]
            embedded.append(code)
            out.append("#{" + code + "}")
            sc.pos = code_end + 1
        elif (other := sc.check(_RE_ANY)) is not None:
            out.append(other)
            sc.pos += 1
        else:
            raise sc.error("unexpected end of file in a double quoted string")


def _scan_single_quoted(sc: Scanner) -> str:
    out: list[str] = []
    text = sc.text
    while True:
        if text.startswith("'", sc.pos):
            sc.pos += 1
            return "".join(out)
        if text.startswith("\\'", sc.pos):
            out.append("'")
            sc.pos += 2
        elif text.startswith("\\\\", sc.pos):
            out.append("\\")
            sc.pos += 2
        elif sc.pos < len(text) and text[sc.pos] != "\n":
            out.append(text[sc.pos])
            sc.pos += 1
        else:
            raise sc.error("unexpected end of file in a signle quoted string")


_RE_JSON_ESCAPE = re.compile(r"\\(.)")


def _reject_constant(name: str) -> object:
    raise ValueError(f"unexpected token {name}")


def _try_json(text: str) -> tuple[bool, object]:
    """Ruby's JSON.parse (json 2.6): an unknown escape such as ``\\.`` yields the bare char; no NaN."""
    lenient = _RE_JSON_ESCAPE.sub(lambda m: m.group(0) if m.group(1) in '"\\/bfnrtu' else m.group(1), text)
    try:
        return True, json.loads(lenient, parse_constant=_reject_constant)
    except ValueError:
        return False, None


def _scan_json(sc: Scanner, *, is_array: bool) -> str:
    """A JSON value that may span lines and carry ``#`` comments, re-dumped compactly."""
    closer = "]" if is_array else "}"
    buffer = "[" if is_array else "{"
    line_buffer = ""
    text = sc.text
    while True:
        if sc.pos >= len(text):
            raise sc.error(f"got incomplete JSON {'array' if is_array else 'hash'} configuration")
        char = text[sc.pos]
        sc.pos += 1
        if char == "#":
            candidate = re.sub(r",\Z", "", line_buffer.rstrip()) + closer
            if _try_json(buffer + candidate)[0]:
                newline = text.find("\n", sc.pos)
                sc.pos = len(text) if newline < 0 else newline + 1
                buffer += line_buffer + "\n"
                line_buffer = ""
            else:
                line_buffer += char
            continue
        if char == "\n":
            buffer += line_buffer + "\n"
            line_buffer = ""
            continue
        line_buffer += char
        if char in "]}":
            ok, result = _try_json(buffer + line_buffer)
            if ok:
                return json.dumps(result, ensure_ascii=False, separators=(",", ":"))


def find_embedded_code_end(text: str, start: int) -> int | None:
    """Offset of the ``}`` closing Ruby code that starts at ``start`` (after ``#{``).

    A small Ruby-aware scan: nested braces, and quoted strings (with escapes and their own
    ``#{...}``) whose braces do not count.  None when the code never ends.
    """
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        elif c in "\"'`":
            i = _skip_ruby_string(text, i)
            if i < 0:
                return None
            continue
        i += 1
    return None


def _skip_ruby_string(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        if quote != "'" and text.startswith("#{", i):
            end = find_embedded_code_end(text, i + 2)
            if end is None:
                return -1
            i = end + 1
            continue
        i += 1
    return -1


def comment_of(line_end: str | None) -> str | None:
    """The ``#...`` comment on the same line inside a LINE_END match, if any."""
    if not line_end:
        return None
    first_line = re.match(r"[ \t]*(#[^\r\n]*)", line_end)
    return first_line.group(1).rstrip() if first_line else None


def make_line_map(breaks: Sequence[tuple[int, int]]) -> Callable[[int], int]:
    """A function offset -> physical line from sorted (offset, line) break points."""
    offsets = [b[0] for b in breaks]
    lines = [b[1] for b in breaks]

    def line_of(offset: int) -> int:
        i = bisect_right(offsets, offset) - 1
        return lines[max(i, 0)]

    return line_of
