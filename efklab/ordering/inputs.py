"""The two inputs of the ordering check, as plain data: the truth (provenance) and what a query showed.

Provenance maps a CloudWatch event id to the container log lines it was made of
(``file:line``); a shown document is one search hit reduced to what ordering needs.  Parsing
either fails with an ``InputError`` that names the file and row (or index and document).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from efklab.errors import InputError


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One line of a container log file (1-based line number)."""

    file: str
    line: int

    @classmethod
    def parse(cls, text: str) -> SourceRef:
        """``containers/app.log:12`` -> SourceRef('containers/app.log', 12)."""
        file, _, line = text.rpartition(":")
        if not file or not line.isdigit():
            raise ValueError(f"not a file:line reference: {text!r}")
        return cls(file, int(line))


Provenance = Mapping[str, Sequence[SourceRef]]


@dataclass(frozen=True, slots=True)
class Shown:
    """One document as a query returned it (in display order)."""

    id: str
    timestamp_ms: int
    stream: str = ""  # @log_stream
    index: str = ""
    shard: str | int | None = None  # the shard that returned it (``index/n``), when known
    text: str | None = None  # the line text (``log`` field, else ``@message``)


def parse_provenance(rows: Iterable[Mapping[str, Any]], *,
                     source: str = "provenance") -> dict[str, tuple[SourceRef, ...]]:
    """Provenance rows ``{"id": ..., "sources": ["file:line", ...]}`` -> id -> source lines (file order)."""
    out: dict[str, tuple[SourceRef, ...]] = {}
    for number, row in enumerate(rows, start=1):
        refs = row.get("sources", row.get("lines"))
        if not isinstance(row.get("id"), str) or not isinstance(refs, list) or not refs:
            raise InputError("a provenance row needs an 'id' string and a non-empty 'sources' list",
                             source=source, position=number)
        try:
            parsed = tuple(sorted((SourceRef.parse(str(r)) for r in refs), key=lambda r: (r.file, r.line)))
        except ValueError as exc:
            raise InputError(str(exc), source=source, position=number) from exc
        out[row["id"]] = parsed
    return out


def provenance_from_lines(lines: Iterable[tuple[int, str | bytes]], *,
                          source: str) -> dict[str, tuple[SourceRef, ...]]:
    """A provenance file's JSON lines ``(number, text)`` -> id -> source lines; rows without an id (lines that
    made no event) are skipped, a file without event rows is an ``InputError``."""
    rows = []
    for number, raw in lines:
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg}", source=source, position=number) from exc
        if isinstance(row, dict) and "id" in row:  # reject rows (lines that made no event) carry no id
            rows.append(row)
    if not rows:
        raise InputError("no event rows (id + sources) in the provenance file", source=source)
    return parse_provenance(rows, source=source)


def parse_timestamp_ms(value: Any) -> int:
    """``@timestamp`` as returned (ISO text with ms, or epoch ms) -> epoch milliseconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (int(moment.timestamp()) * 1000) + moment.microsecond // 1000


_SHARD = re.compile(r"^\[(?P<index>[^\]]+)\]\[(?P<shard>\d+)\]$")


def shown_from_hit(hit: Mapping[str, Any]) -> Shown:
    """A search hit as a Shown document.

    The hit has ``_id``, ``_index``, ``_shard`` and ``_source`` with @timestamp, @log_stream, log.
    """
    source = hit.get("_source") or {}
    shard_text = str(hit.get("_shard") or "")
    match = _SHARD.match(shard_text)
    text = source.get("log") if isinstance(source.get("log"), str) else source.get("@message")
    try:
        stamp = parse_timestamp_ms(source["@timestamp"])
    except (KeyError, ValueError) as exc:
        raise InputError(f"document without a usable @timestamp ({exc})", source=str(hit.get("_index")),
                         position=str(hit.get("_id"))) from exc
    return Shown(
        id=str(source.get("@id") or hit.get("_id")),
        timestamp_ms=stamp,
        stream=str(source.get("@log_stream") or ""),
        index=str(hit.get("_index") or ""),
        shard=f"{match.group('index')}/{match.group('shard')}" if match else None,
        text=text[:300] if isinstance(text, str) else None,
    )
