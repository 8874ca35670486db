"""What flows through the concat engine: records in (``Fed``), events out (``Emitted``), routes.

Also how Ruby renders a record value when the plugin joins lines (``Array#join``), which the
engine needs wherever buffered values are not all strings.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

ROUTE_MAIN, ROUTE_TIMEOUT, ROUTE_ERROR, ROUTE_DROPPED = "main", "timeout", "error", "dropped"
INTERNAL_TAGS = frozenset(f"fluent.{lvl}" for lvl in ("trace", "debug", "info", "warn", "error", "fatal"))

Entry = tuple[int, str, int, dict[str, Any]]  # a buffered record: (seq, tag, time_ns, record)
Flushed = tuple[int, dict[str, Any], tuple[int, ...]]  # (time_ns, record, lines); lines == () marks a drop


class Fed(Protocol):
    """What the engine reads from an input record (``containerlogs.FluentRecord`` fits).

    Read-only members, so that a NamedTuple such as ``FluentRecord`` fits as well as a dataclass.
    """

    @property
    def tag(self) -> str: ...

    @property
    def time_ns(self) -> int: ...

    @property
    def record(self) -> dict[str, Any]: ...


class Emitted(NamedTuple):
    """One event leaving the filter: where it goes, its time and record, and which inputs made it."""

    time_ns: int
    tag: str
    route: str  # main | timeout (the timeout_label) | error (the @ERROR route) | dropped (buffer overflow)
    record: dict[str, Any]
    lines: tuple[int, ...]  # feed-order numbers of the records joined into this event
    note: str | None = None  # why it took the timeout/error/dropped route


class RecordError(Exception):
    """A record the plugin fails on (Ruby exception in ``process``): it goes to @ERROR."""


def ruby_to_s(value: Any) -> str:
    """How Ruby's ``Array#join`` renders a value: nil -> "", true -> "true", arrays flattened."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) < 1e16 else str(value)
    if isinstance(value, list):
        return "".join(ruby_to_s(v) for v in value)
    return str(value)


def join_texts(separator: str, entries: Iterable[Entry], key: str) -> str:
    """``lines.join(separator)`` of the buffered records' ``key`` values, as Ruby renders them."""
    texts = [e[3][key] for e in entries]
    try:
        return separator.join(texts)
    except TypeError:
        return separator.join(ruby_to_s(t) for t in texts)
