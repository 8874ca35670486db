"""fluentd configuration: read it, and find what the multiline tools need in it.

``parse_config_text`` parses text; ``load_config`` (via :mod:`efklab.fluentd.config.load`) reads plain
files, ConfigMap YAML, Helm templates and bare filter bodies and follows ``@include``.
``find_concat_filters`` and ``find_sources`` are the queries the multiline tools build on.
The data types live in :mod:`efklab.fluentd.config.model`, the parser in :mod:`efklab.fluentd.config.parser`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from efklab.fluentd.config.load import load_config as _load_config
from efklab.fluentd.config.model import Config, Directive, Include, Param
from efklab.fluentd.config.parser import RESERVED_PARAMS, as_filter_body, parse_unit

__all__ = ["RESERVED_PARAMS", "ConcatFilter", "Config", "Directive", "Include", "Param", "ParseSpec", "SourceSpec",
           "find_concat_filters", "find_sources", "load_config", "parse_config_text", "parse_spec_of", "parse_unit",
           "plugin_type"]


def parse_config_text(text: str, *, file: str = "<text>", unit: str | None = None) -> Config:
    """A Config from fluentd text; a bare filter body becomes one ``<filter **>``."""
    notes: list[str] = []
    root = as_filter_body(parse_unit(text, file=file, unit=unit, notes=notes))
    return Config(roots=root.children, files=(file,), units=(root,), includes=root.includes, notes=tuple(notes))


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
        type_param = plugin_type(d)
        if d.name != "filter" or type_param is None or type_param.value != "concat":
            continue
        labels = [a.arg for a in ancestors if a.name == "label"]
        label = labels[-1] if labels else None
        via = sites.get(_unit_key(d), ())
        effective = label if label is not None else next((i.label for i in via if i.label), None)
        params = {p.name: p for p in d.params if p.name not in ("@type", "@id", type_param.name)}
        found.append(ConcatFilter(d.file, d.unit, type_param.line, label, d.arg, d.value("@id"),
                                  params, effective, via, d.line))
    return found


def plugin_type(d: Directive) -> Param | None:
    """The ``@type`` parameter, or the v0.12 ``type`` fluentd v1 still accepts (with a warning)."""
    return d.param("@type") or d.param("type")


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
    patterns: tuple[ParseSpec, ...] = ()  # multi_format: the <pattern> sections, tried in order


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
        kind = plugin_type(d)
        out.append(SourceSpec(kind.value if kind else "", d.value("@id"), d.value("@label"), d.value("tag"),
                              d.value("path"), spec, d.file, d.unit, d.line, params))
    return out


def parse_spec_of(parse: Directive | None, source: Directive) -> ParseSpec:
    """The ParseSpec of a ``<parse>`` section, or of the v0.12 ``format`` parameter."""
    holder = parse if parse is not None else source
    typed = plugin_type(parse) if parse is not None else source.param("format")
    type_ = typed.value if typed is not None else None
    type_ = type_ or "none"
    expression = holder.value("expression")
    if len(type_) >= 2 and type_.startswith("/") and type_.endswith("/"):
        type_, expression = "regexp", type_[1:-1]
    unmatched = source.value("emit_unmatched_lines", "false") == "true"
    patterns = tuple(parse_spec_of(None, c) for c in holder.children if c.name == "pattern") \
        if type_ == "multi_format" else ()
    return ParseSpec(type_, holder.value("time_key", "time") or "time", holder.value("time_format"),
                     holder.value("time_type"), holder.value("keep_time_key", "false") == "true",
                     expression, unmatched, holder.line, {p.name: p for p in holder.params}, patterns)


def load_config(path: str | Path, *, configmap_dir: str | None = None) -> Config:
    """Read a fluentd config from a file (plain, ConfigMap YAML, Helm template, bare filter body).

    ``configmap_dir`` is where a ConfigMap is mounted in the fluentd container (e.g.
    ``/fluentd/etc``): absolute ``@include`` paths under it resolve to data keys.
    """
    return _load_config(path, configmap_dir=configmap_dir)
