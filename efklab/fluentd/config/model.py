"""fluentd configuration as plain data: parameters, sections, includes, and a whole config.

Built by :mod:`efklab.fluentd.config.parser` (one unit of text) and :mod:`efklab.fluentd.config.load` (files,
ConfigMaps, ``@include``); queried by :mod:`efklab.fluentd.config.find`.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


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
        yield from _walk(child, (*ancestors, child))
