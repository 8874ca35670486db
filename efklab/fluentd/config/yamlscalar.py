"""ConfigMap ``data:`` keys as text, each with a map back to the physical lines of the YAML file.

PyYAML gives the decoded strings; for positions we re-read the scalar's source: a literal
block maps line for line, a double-quoted scalar (escapes, folded lines) is decoded again here
char by char and used only when it agrees with PyYAML.  Helm templates, which are not YAML
until rendered, are read line by line: template-only lines are blanked, string constants
``{{"..."}}`` are unquoted, everything else is kept as written.
"""
from __future__ import annotations

import re
from bisect import bisect_right

import yaml

Breaks = list[tuple[int, int]]  # (offset in the unit, 1-based physical line), sorted
UnitText = tuple[str, str, Breaks]

_SIMPLE_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
                   "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
                   "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def configmap_units(text: str) -> list[UnitText]:
    """(key, text, breaks) for each string under ``data:`` of each ConfigMap; ValueError if not YAML."""
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ValueError(" ".join(str(exc).split())) from exc
    except RecursionError as exc:  # PyYAML composes nested nodes recursively
        raise ValueError(f"nesting too deep for the YAML parser (deepest at line {_deepest_line(text)})") from exc
    starts = _line_starts(text)
    units: list[UnitText] = []
    for doc in docs:
        data = _data_mapping(doc)
        for key, node in data:
            if isinstance(key, yaml.ScalarNode) and isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
                units.append((key.value, node.value, _scalar_breaks(text, starts, node)))
    return units


def _deepest_line(text: str) -> int:
    """The line where block indentation or open flow brackets ([ {) reach their deepest, for the error message."""
    best, best_line, flow = -1, 1, 0
    for number, line in enumerate(text.splitlines(), 1):
        depth = flow + len(line) - len(line.lstrip(" "))
        flow += line.count("[") + line.count("{") - line.count("]") - line.count("}")
        depth = max(depth, flow)
        if depth > best:
            best, best_line = depth, number
    return best_line


def _data_mapping(doc: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    if not isinstance(doc, yaml.MappingNode):
        return []
    fields = {k.value: v for k, v in doc.value if isinstance(k, yaml.ScalarNode)}
    kind = fields.get("kind")
    if isinstance(kind, yaml.ScalarNode) and kind.value != "ConfigMap":
        return []
    data = fields.get("data")
    return list(data.value) if isinstance(data, yaml.MappingNode) else []


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\n", text)]


def _line_of(starts: list[int], index: int) -> int:
    return bisect_right(starts, index)


def _scalar_breaks(text: str, starts: list[int], node: yaml.ScalarNode) -> Breaks:
    value: str = node.value
    if node.style == "|":
        first = node.start_mark.line + 2  # content starts on the line after the indicator
        return [(m.start(), first + i) for i, m in enumerate(re.finditer(r"^", value, re.M))]
    if node.style == '"':
        decoded = decode_double_quoted(text, node.start_mark.index)
        if "".join(c for c, _ in decoded) == value:
            return _breaks_from_indices([i for _, i in decoded], starts)
    return _search_breaks(text, starts, node)


def _breaks_from_indices(indices: list[int], starts: list[int]) -> Breaks:
    breaks: Breaks = []
    last = -1
    for offset, index in enumerate(indices):
        line = _line_of(starts, index)
        if line != last:
            breaks.append((offset, line))
            last = line
    return breaks or [(0, 1)]


def _search_breaks(text: str, starts: list[int], node: yaml.ScalarNode) -> Breaks:
    """Fallback for plain, single-quoted and folded scalars: find each line's text in the source."""
    region_start, region_end = node.start_mark.index, node.end_mark.index
    cursor = region_start
    line = node.start_mark.line + 1
    breaks: Breaks = []
    for m in re.finditer(r"^.*$", node.value, re.M):
        needle = m.group(0).strip()
        found = text.find(needle, cursor, region_end) if needle else -1
        if found >= 0:
            line = _line_of(starts, found)
            cursor = found + len(needle)
        breaks.append((m.start(), line))
    return breaks


def decode_double_quoted(text: str, start: int) -> list[tuple[str, int]]:
    """Decode the YAML double-quoted scalar at ``start``: (char, source index) pairs."""
    out: list[tuple[str, int]] = []
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return out
        if c == "\\" and i + 1 < n:
            e = text[i + 1]
            if e in "\r\n":
                i = _skip_break(text, i + 1)
                i = _skip_blank(text, i)
            elif e in _SIMPLE_ESCAPES:
                out.append((_SIMPLE_ESCAPES[e], i))
                i += 2
            elif e in _HEX_ESCAPES:
                width = _HEX_ESCAPES[e]
                out.append((chr(int(text[i + 2:i + 2 + width], 16)), i))
                i += 2 + width
            else:
                out.append((e, i))
                i += 2
            continue
        if c in " \t":
            j = _skip_blank(text, i)
            if j < n and text[j] in "\r\n":
                i = j  # trailing whitespace before a line break is dropped
            else:
                out.extend((text[k], k) for k in range(i, j))
                i = j
            continue
        if c in "\r\n":
            i = _skip_blank(text, _skip_break(text, i))
            empties: list[int] = []
            while i < n and text[i] in "\r\n":
                empties.append(i)
                i = _skip_blank(text, _skip_break(text, i))
            out.extend(("\n", k) for k in empties) if empties else out.append((" ", i))
            continue
        out.append((c, i))
        i += 1
    return out


def _skip_break(text: str, i: int) -> int:
    return i + 2 if text.startswith("\r\n", i) else i + 1


def _skip_blank(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


_TEMPLATE_ONLY = re.compile(r"\s*(?:\{\{.*?\}\}\s*)+")
_TEMPLATE_STRING = re.compile(r'\{\{-?\s*"((?:[^"\\]|\\.)*)"\s*-?\}\}')
_DATA = re.compile(r"^(\s*)data:\s*(?:#.*)?$")
_BLOCK_KEY = re.compile(r"^(\s+)([^\s#'\"{][^:]*?|'[^']*'|\"[^\"]*\"):\s*([|>])([-+]?)[0-9]?\s*(?:#.*)?$")


def helm_units(text: str) -> list[UnitText]:
    """Block-scalar ``data:`` keys of a Helm template that is not YAML before rendering."""
    lines = text.replace("\r\n", "\n").split("\n")
    units: list[UnitText] = []
    data_indent: int | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if _TEMPLATE_ONLY.fullmatch(line) or not line.strip():
            i += 1
            continue
        indent = len(line) - len(line.lstrip(" "))
        if (m := _DATA.match(line)) is not None:
            data_indent = len(m.group(1))
            i += 1
            continue
        if data_indent is not None and indent <= data_indent:
            data_indent = None
        key = _BLOCK_KEY.match(line) if data_indent is not None else None
        if key is None or "{{" in key.group(2):
            i += 1
            continue
        body, breaks, i = _helm_block(lines, i + 1, len(key.group(1)), key.group(4))
        units.append((key.group(2).strip("'\""), body, breaks))
    return units


def _helm_block(lines: list[str], i: int, key_indent: int, chomp: str) -> tuple[str, Breaks, int]:
    content: list[tuple[str, int]] = []
    content_indent: int | None = None
    while i < len(lines):
        line = lines[i]
        template_only = bool(_TEMPLATE_ONLY.fullmatch(line))
        if line.strip() and not template_only:
            indent = len(line) - len(line.lstrip(" "))
            if indent <= key_indent:
                break
            if content_indent is None:
                content_indent = indent
            shown = line[content_indent:] if indent >= content_indent else line.lstrip(" ")
            content.append((_TEMPLATE_STRING.sub(lambda m: _go_unquote(m.group(1)), shown), i + 1))
        else:
            content.append(("", i + 1))
        i += 1
    while content and chomp != "+" and not content[-1][0]:
        content.pop()
    body = "\n".join(c for c, _ in content) + ("" if chomp == "-" or not content else "\n")
    breaks: Breaks = []
    offset = 0
    for c, line_no in content:
        breaks.append((offset, line_no))
        offset += len(c) + 1
    return body, breaks or [(0, 1)], i


def _go_unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)
