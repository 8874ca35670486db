"""fluentd's V1 element parser (``v1_parser.rb``) over one unit of text.

Sections ``<name arg>...</name>``, parameters (via :mod:`efklab.fluentd.config.literal`), ``@include``
statements (recorded, resolved later by :mod:`efklab.fluentd.config.load`), the reserved ``@`` prefix
rule, and the errors fluentd raises, with the line it names.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from efklab.fluentd.config.literal import (
    SPACING,
    ZERO_OR_MORE_SPACING,
    Literal,
    Scanner,
    comment_of,
    parse_literal,
    scan_nonquoted,
    scan_string,
)
from efklab.fluentd.config.model import Directive, Include, Param

RESERVED_PARAMS = ("@type", "@id", "@label", "@log_level")
_ELEM_SYMBOLS = ("match", "source", "filter", "system")
_RE_ELEMENT_NAME = re.compile(r"[a-zA-Z0-9_]+")
_RE_INCLUDE = re.compile(r"(?:@include|include)" + SPACING)
_ARG_BOUNDARY = r"(?:" + ZERO_OR_MORE_SPACING + r">)"


@dataclass
class _Body:
    params: list[Param] = field(default_factory=list)
    children: list[Directive] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)


def parse_unit(text: str, *, file: str = "<text>", unit: str | None = None,
               line_of: Callable[[int], int] | None = None, notes: list[str] | None = None) -> Directive:
    """Parse one unit of fluentd text into its ROOT directive; ConfigError names file and line."""
    sc = Scanner(text, source=file, unit=unit, line_of=line_of)
    body = _Body()
    _parse_element(sc, None, body, notes if notes is not None else [], labels=())
    sc.spacing()
    if not sc.eof():
        raise sc.error("expected EOF")
    return Directive("ROOT", "", tuple(body.params), tuple(body.children), file, unit, 1, tuple(body.includes))



def as_filter_body(root: Directive) -> Directive:
    """Wrap a unit that is only the lines inside a ``<filter>`` (it has a top-level @type)."""
    type_param = root.param("@type")
    if type_param is None:
        return root
    body = Directive("filter", "**", root.params, root.children, root.file, root.unit, type_param.line)
    return Directive("ROOT", "", (), (body,), root.file, root.unit, 1, root.includes)


def _parse_element(sc: Scanner, name: str | None, body: _Body, notes: list[str],
                   labels: tuple[str, ...]) -> None:
    root = name is None
    while True:
        sc.spacing()
        if sc.eof():
            if root:
                return
            raise sc.error(f"expected end tag '</{name}>' but got end of file")
        if sc.text.startswith("</", sc.pos):
            sc.pos += 2
            end_name = sc.skip(_RE_ELEMENT_NAME)
            sc.spacing()
            if not sc.text.startswith(">", sc.pos):
                raise sc.error("expected character in tag name")
            sc.pos += 1
            if sc.line_end() is None:
                raise sc.error("expected end of line after end tag")
            if end_name != name:
                raise sc.error("unmatched end tag")
            return
        if sc.text.startswith("<", sc.pos):
            line = sc.line_at()
            sc.pos += 1
            elem = sc.skip(_RE_ELEMENT_NAME) or ""
            sc.spacing()
            arg = scan_nonquoted(sc, _ARG_BOUNDARY) or ""
            sc.spacing()
            if not sc.text.startswith(">", sc.pos):
                raise sc.error("expected '>'")
            sc.pos += 1
            if sc.line_end() is None:
                raise sc.error("expected end of line after tag")
            inner = _Body()
            inner_labels = (*labels, arg) if elem == "label" else labels
            _parse_element(sc, elem, inner, notes, inner_labels)
            body.includes.extend(inner.includes)  # the unit's ROOT lists every include in it
            body.children.append(Directive(elem, arg, tuple(inner.params), tuple(inner.children),
                                           sc.source, sc.unit, line))
            continue
        if root and (m := _RE_INCLUDE.match(sc.text, sc.pos)):
            line = sc.line_at()
            if not m.group(0).startswith("@"):
                notes.append(f"{sc.source}:{line}: 'include' is deprecated. Use '@include' instead")
            sc.pos = m.end()
            body.includes.append(_parse_include(sc, line, labels))
            continue
        key_start = sc.pos
        line = sc.line_at()
        key = scan_string(sc, SPACING)
        if key is None:  # cannot happen after spacing, but never loop forever
            raise sc.error("expected parameter name")
        gap = sc.spacing_without_comment()
        if (gap is not None and "\n" in gap) or sc.eof():
            body.params.append(Param(key.value, "", "", "", line))
            continue
        if key.value == "@include":
            body.includes.append(_parse_include(sc, line, labels))
            continue
        if key.value.startswith("@") and key.value not in RESERVED_PARAMS:
            message = ("'@' is the system reserved prefix. Don't use '@' prefix parameter in the "
                       f"configuration: {key.value}")
            if root or name in _ELEM_SYMBOLS:
                raise sc.error(message, key_start)
            notes.append(f"{sc.source}:{line}: {message}")
        literal = parse_literal(sc)
        ending = sc.line_end()
        if ending is None or literal is None:
            raise sc.error("expected end of line")
        body.params.append(_param(key.value, literal, line, ending))


def _param(name: str, literal: Literal, line: int, ending: str) -> Param:
    return Param(name, literal.value, literal.raw, literal.quote, line, comment_of(ending), literal.embedded)


def _parse_include(sc: Scanner, line: int, labels: tuple[str, ...]) -> Include:
    target = scan_string(sc)
    sc.line_end()
    value = "" if target is None else target.value
    return Include(value, sc.source, sc.unit, line, labels[-1] if labels else None)
