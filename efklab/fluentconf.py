"""fluentd configuration as plain data: directives, parameters, ``@include`` and concat filters.

``parse_config_text`` is fluentd's V1 element parser (``v1_parser.rb``) over one unit of text;
``load_config`` (in :mod:`efklab.fluentload`) reads plain files, ConfigMap YAML, Helm templates
and bare filter bodies into units and follows ``@include``.  ``find_concat_filters`` and
``find_sources`` are the queries the multiline tools are built on.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from efklab.fluentliteral import (
    SPACING,
    ZERO_OR_MORE_SPACING,
    Literal,
    Scanner,
    comment_of,
    parse_literal,
    scan_nonquoted,
    scan_string,
)

RESERVED_PARAMS = ("@type", "@id", "@label", "@log_level")
_ELEM_SYMBOLS = ("match", "source", "filter", "system")
_RE_ELEMENT_NAME = re.compile(r"[a-zA-Z0-9_]+")
_RE_INCLUDE = re.compile(r"(?:@include|include)" + SPACING)
_ARG_BOUNDARY = r"(?:" + ZERO_OR_MORE_SPACING + r">)"


@dataclass(frozen=True)
class Param:
    """One parameter line: fluentd's value, the text as written, its quoting and place."""

    name: str
    value: str
    raw: str
    quote: str  # '' | '"' | "'" | '[' | '{'
    line: int
    trailing_comment: str | None = None
    embedded: tuple[str, ...] = ()  # embedded Ruby code in a double-quoted value, not evaluated


@dataclass(frozen=True)
class Include:
    """An ``@include`` statement, where it stands and what it resolved to."""

    target: str  # the path as fluentd reads it (quotes removed)
    file: str
    unit: str | None
    line: int
    label: str | None  # innermost enclosing <label> at the include site
    resolved: tuple[str, ...] = ()  # unit names (ConfigMap keys) or file paths, in fluentd's order
    note: str | None = None  # why nothing (or not everything) was resolved


@dataclass(frozen=True)
class Directive:
    """One ``<name arg>...</name>`` section (``ROOT`` for a unit's top level)."""

    name: str
    arg: str
    params: tuple[Param, ...]
    children: tuple[Directive, ...]
    file: str
    unit: str | None
    line: int
    includes: tuple[Include, ...] = ()  # ROOT only: every @include in the unit, as parsed (unresolved)

    def param(self, name: str) -> Param | None:
        """The effective parameter ``name`` (the last one written wins, as in fluentd)."""
        found = None
        for p in self.params:
            if p.name == name:
                found = p
        return found

    def value(self, name: str, default: str | None = None) -> str | None:
        p = self.param(name)
        return default if p is None else p.value


@dataclass(frozen=True)
class Config:
    """Everything read for one configuration: top-level directives of every unit, in order."""

    roots: tuple[Directive, ...]
    files: tuple[str, ...]
    units: tuple[Directive, ...] = ()  # one ROOT directive per unit (file or ConfigMap key)
    includes: tuple[Include, ...] = ()
    notes: tuple[str, ...] = ()  # warnings fluentd would log, unresolved includes ...

    def walk(self) -> Iterator[tuple[Directive, tuple[Directive, ...]]]:
        """Every directive with its ancestors (outermost first), unit by unit."""
        for unit in self.units:
            yield from _walk(unit, ())


def _walk(d: Directive, ancestors: tuple[Directive, ...]) -> Iterator[tuple[Directive, tuple[Directive, ...]]]:
    for child in d.children:
        yield child, ancestors
        yield from _walk(child, ancestors + (child,))


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


def parse_config_text(text: str, *, file: str = "<text>", unit: str | None = None) -> Config:
    """A Config from fluentd text; a bare filter body becomes one ``<filter **>``."""
    notes: list[str] = []
    root = parse_unit(text, file=file, unit=unit, notes=notes)
    root = as_filter_body(root)
    return Config(roots=root.children, files=(file,), units=(root,), includes=root.includes, notes=tuple(notes))


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
            inner_labels = labels + (arg,) if elem == "label" else labels
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


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConcatFilter:
    """A ``<filter>`` whose ``@type`` is concat, with its context as written."""

    file: str
    unit: str | None
    line: int  # line of `@type concat`
    label: str | None  # innermost enclosing <label> in the same unit
    pattern: str
    id: str | None
    params: dict[str, Param]  # every param except @type/@id, as written (last one wins)
    effective_label: str | None = None  # after following @include from inside a label
    included_from: tuple[Include, ...] = ()
    directive_line: int = 0  # line of the `<filter ...>` tag

    def to_json(self) -> dict[str, object]:
        """A JSON-ready description (for ``efklab multiline filters --json``)."""
        return {
            "file": self.file, "unit": self.unit, "line": self.line, "label": self.label,
            "effective_label": self.effective_label, "pattern": self.pattern, "id": self.id,
            "params": {k: p.raw for k, p in self.params.items()},
            "values": {k: p.value for k, p in self.params.items()},
            "trailing_comments": {k: p.trailing_comment for k, p in self.params.items() if p.trailing_comment},
            "included_from": [f"{i.file}:{i.line}" + (f" ({i.unit})" if i.unit else "") for i in self.included_from],
        }


def find_concat_filters(config: Config) -> list[ConcatFilter]:
    """Every concat filter, unit by unit in file order."""
    sites = _include_sites(config)
    found: list[ConcatFilter] = []
    for d, ancestors in config.walk():
        if d.name != "filter" or d.value("@type") != "concat":
            continue
        type_param = d.param("@type")
        assert type_param is not None
        labels = [a.arg for a in ancestors if a.name == "label"]
        label = labels[-1] if labels else None
        via = sites.get(_unit_key(d), ())
        effective = label if label is not None else next((i.label for i in via if i.label), None)
        params = {p.name: p for p in d.params if p.name not in ("@type", "@id")}
        found.append(ConcatFilter(d.file, d.unit, type_param.line, label, d.arg, d.value("@id"),
                                  params, effective, via, d.line))
    return found


def _unit_key(d: Directive) -> str:
    return d.unit if d.unit is not None else d.file


def _include_sites(config: Config) -> dict[str, tuple[Include, ...]]:
    """unit/file -> the include statements that pull it in (transitively inheriting labels)."""
    direct: dict[str, list[Include]] = {}
    for inc in config.includes:
        for target in inc.resolved:
            direct.setdefault(target, []).append(inc)
    resolved: dict[str, tuple[Include, ...]] = {}
    for target, incs in direct.items():
        chain: list[Include] = []
        seen = {target}
        todo = list(incs)
        while todo:
            inc = todo.pop(0)
            chain.append(inc)
            parent = inc.unit if inc.unit is not None else inc.file
            if inc.label is None and parent not in seen:
                seen.add(parent)
                todo.extend(direct.get(parent, []))
        resolved[target] = tuple(chain)
    return resolved


@dataclass(frozen=True)
class ParseSpec:
    """A ``<parse>`` section as in_tail uses it (fluentd's parser parameters)."""

    type: str = "none"
    time_key: str = "time"
    time_format: str | None = None
    time_type: str | None = None
    keep_time_key: bool = False
    expression: str | None = None  # regexp parser (also `@type /.../`)
    emit_unmatched_lines: bool = False
    line: int = 0
    params: dict[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSpec:
    """A ``<source>`` with what matters for reading container logs."""

    type: str
    id: str | None
    label: str | None
    tag: str | None
    path: str | None
    parse: ParseSpec | None
    file: str
    unit: str | None
    line: int
    params: dict[str, Param]


def find_sources(config: Config) -> list[SourceSpec]:
    """Every ``<source>``, with its ``<parse>`` (or legacy ``format``) read into a ParseSpec."""
    out: list[SourceSpec] = []
    for d, _ in config.walk():
        if d.name != "source":
            continue
        params = {p.name: p for p in d.params}
        parse = next((c for c in d.children if c.name == "parse"), None)
        spec = parse_spec_of(parse, d) if parse is not None or "format" in params else None
        out.append(SourceSpec(d.value("@type") or "", d.value("@id"), d.value("@label"), d.value("tag"),
                              d.value("path"), spec, d.file, d.unit, d.line, params))
    return out


def parse_spec_of(parse: Directive | None, source: Directive) -> ParseSpec:
    """The ParseSpec of a ``<parse>`` section, or of the v0.12 ``format`` parameter."""
    holder = parse if parse is not None else source
    type_ = holder.value("@type") if parse is not None else source.value("format")
    type_ = type_ or "none"
    expression = holder.value("expression")
    if len(type_) >= 2 and type_.startswith("/") and type_.endswith("/"):
        type_, expression = "regexp", type_[1:-1]
    unmatched = source.value("emit_unmatched_lines", "false") == "true"
    return ParseSpec(type_, holder.value("time_key", "time") or "time", holder.value("time_format"),
                     holder.value("time_type"), holder.value("keep_time_key", "false") == "true",
                     expression, unmatched, holder.line, {p.name: p for p in holder.params})


def load_config(path: str | Path, **options: object) -> Config:
    """Read a fluentd config from a file (plain, ConfigMap YAML, Helm template, bare filter body)."""
    from efklab.fluentload import load_config as _load

    return _load(path, **options)  # type: ignore[arg-type]
