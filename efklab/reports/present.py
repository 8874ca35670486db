"""Numbers, paths and tables as a reader of a report wants them.

A report is forwarded to people, not parsed: ``6,169`` not ``6169.000000``, ``45.3 %`` not
``0.45261966364812417``, ``data/samples/fluentd.yaml:124`` not the absolute path of one machine,
a container id cut to the 12 characters ``docker ps`` shows, and an empty table says "none".
:func:`table` renders a DataFrame with those rules into HTML that wraps within the page (text
left, numbers right) and into plain text for a terminal; :func:`human` formats one value.
"""
from __future__ import annotations

import contextlib
import html
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

_SHARE_WORDS = ("share", "utilisation", "utilization", "ratio_pct")
_LONG_HEX = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{52}\b")
CHECKOUT = Path(__file__).resolve().parents[2]


def is_share(key: str) -> bool:
    """A figure named like a share (``share_out_of_place``, ``utilisation``) is a fraction of 1 shown in percent."""
    lowered = key.lower()
    return any(word in lowered for word in _SHARE_WORDS)


def human(value: Any, key: str = "") -> str:
    """One value for people: thousands separators, few decimals, percent for shares, ``yes``/``no``, ``-``."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (list, tuple, dict)):
        value = value.item()  # numpy / pandas scalars
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if key and is_share(key) and 0 <= value <= 1:
            return _percent(value)
        return _decimal(value)
    if isinstance(value, str):
        return shorten(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {human(v, str(k))}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(human(v, key) for v in value) or "none"
    return shorten(str(value))


def figures_text(figures: Mapping[str, Any]) -> str:
    """``key value, key value`` with every value formatted for people (underscores read as spaces)."""
    return "; ".join(f"{str(k).replace('_', ' ')} {human(v, str(k))}" for k, v in figures.items())


def shorten(text: str, roots: Sequence[Path] | None = None) -> str:
    """Paths under the checkout or the working folder made relative, 64-hex container ids cut to 12."""
    for root in roots if roots is not None else _roots():
        prefix = str(root).rstrip("/") + "/"
        if prefix != "/":
            text = text.replace(prefix, "")
    return _LONG_HEX.sub(lambda m: m.group(1) + "…", text)


def table(frame: pd.DataFrame, *, empty: str = "none", index: bool | None = None) -> Table:
    """A DataFrame as a report table: values formatted by :func:`human`, "none" when it has no rows."""
    return Table(frame, empty=empty, index=index)


class Table:
    """A displayable table: HTML for notebooks and reports, text for a terminal, "none" when empty."""

    def __init__(self, frame: pd.DataFrame, *, empty: str = "none", index: bool | None = None) -> None:
        self.frame = frame
        self.empty = empty
        named = frame.index.name is not None or any(n is not None for n in frame.index.names)
        self.index = index if index is not None else (named or not isinstance(frame.index, pd.RangeIndex))

    def rows(self) -> list[list[str]]:
        """The header row, then each row, as formatted text."""
        columns = [str(c) for c in self.frame.columns]
        head = ([str(self.frame.index.name or "")] if self.index else []) + columns
        body = []
        for label, row in zip(self.frame.index, self.frame.itertuples(index=False), strict=True):
            cells = [human(v, columns[n]) for n, v in enumerate(row)]
            body.append(([human(label)] if self.index else []) + cells)
        return [head, *body]

    def _repr_html_(self) -> str:
        if self.frame.empty:
            return f'<p class="efklab-empty">{html.escape(self.empty)}</p>'
        head, *body = self.rows()
        numeric = [False] * self.index + [_is_numeric(self.frame[c]) for c in self.frame.columns]
        header = "".join(f"<th{_align(numeric[n])}>{html.escape(h)}</th>" for n, h in enumerate(head))
        lines = "".join(
            "<tr>" + "".join(f"<td{_align(numeric[n])}>{_cell(v)}</td>" for n, v in enumerate(row)) + "</tr>"
            for row in body
        )
        return f'<table class="efklab-table"><thead><tr>{header}</tr></thead><tbody>{lines}</tbody></table>'

    def __repr__(self) -> str:
        if self.frame.empty:
            return self.empty
        rows = self.rows()
        widths = [max(len(r[n]) for r in rows) for n in range(len(rows[0]))]
        return "\n".join("  ".join(cell.ljust(widths[n]) for n, cell in enumerate(r)).rstrip() for r in rows)


def cards(items: Iterable[Mapping[str, Any]], *, title_key: str, badge_key: str | None = None,
          fields: Sequence[str] = (), empty: str = "none") -> Cards:
    """One card per item (a finding, a cause): a title line, a badge, then labelled fields that wrap."""
    return Cards(list(items), title_key=title_key, badge_key=badge_key, fields=tuple(fields), empty=empty)


class Cards:
    """Records too wide for a table row: each one a block with its fields under each other."""

    def __init__(self, items: list[Mapping[str, Any]], *, title_key: str, badge_key: str | None,
                 fields: tuple[str, ...], empty: str) -> None:
        self.items, self.title_key, self.badge_key, self.fields, self.empty = items, title_key, badge_key, fields, empty

    def _repr_html_(self) -> str:
        if not self.items:
            return f'<p class="efklab-empty">{html.escape(self.empty)}</p>'
        blocks = []
        for item in self.items:
            badge = ""
            if self.badge_key:
                level = str(item.get(self.badge_key, ""))
                badge = f'<span class="efklab-badge efklab-{html.escape(level)}">{html.escape(level)}</span> '
            rows = "".join(
                f"<dt>{html.escape(name)}</dt><dd>{_cell(human(item.get(name), name))}</dd>"
                for name in self.fields if item.get(name) not in (None, "", [], ())
            )
            blocks.append(f'<div class="efklab-card"><p class="efklab-card-title">{badge}'
                          f"{html.escape(human(item.get(self.title_key)))}</p><dl>{rows}</dl></div>")
        return "".join(blocks)

    def __repr__(self) -> str:
        if not self.items:
            return self.empty
        lines = []
        for item in self.items:
            badge = f"[{item.get(self.badge_key)}] " if self.badge_key else ""
            lines.append(f"{badge}{human(item.get(self.title_key))}")
            lines.extend(f"  {name}: {human(item.get(name), name)}" for name in self.fields
                         if item.get(name) not in (None, "", [], ()))
        return "\n".join(lines)


def _roots() -> list[Path]:
    roots = {CHECKOUT}
    with contextlib.suppress(OSError):  # the working folder was deleted under us
        roots.add(Path(os.getcwd()).resolve())
    return sorted(roots, key=lambda p: -len(str(p)))  # the deepest first, so a nested root wins


def _percent(share: float) -> str:
    shown = f"{100 * share:.1f}".rstrip("0").rstrip(".")
    if shown == "0" and share > 0:
        shown = "<0.1"
    return f"{shown} %"


def _decimal(number: float) -> str:
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 100:
        return f"{number:,.0f}"
    if abs(number) >= 1:
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    return f"{number:.3g}"


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column)) and not pd.api.types.is_bool_dtype(column)


def _align(numeric: bool) -> str:
    return ' class="num"' if numeric else ""


def _cell(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
