"""Mapping risks found in documents before they reach OpenSearch.

OpenSearch maps a new field from the first value it sees (dynamic mapping) and from then on
refuses documents whose value cannot be read as that type: the whole document is rejected
(``mapper_parsing_exception``) and the seed Lambda's bulk fails.  This module replays that,
document by document in bulk order, per index:

* strings: a date when they match ``strict_date_optional_time`` or ``yyyy/MM/dd HH:mm:ss`` /
  ``yyyy/MM/dd`` (date detection on, the default formats), else ``text`` with a ``keyword``
  sub-field; numeric strings stay text (numeric detection is off by default);
* JSON integers -> ``long`` (out of long range: rejected), other numbers -> ``float``;
  booleans -> ``boolean``; objects -> ``object`` (dotted keys expand into objects); arrays
  take the type of their first non-null element; null and ``[]`` add nothing;
* what each type then accepts (coercion of numeric strings, ``""`` as null for numbers and
  booleans but not for dates, objects vs concrete values ...), as measured on OpenSearch 2.19;
* ``index.mapping.total_fields.limit`` (1000): a text field counts 2 (its keyword sub-field).

Across the indices of one pattern, fields whose Dashboards types differ (string, number, date,
boolean, object) are a conflict in the index pattern.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from efklab.opensearch.patterns import simple_match

DEFAULT_FIELD_LIMIT = 1000
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
FLOAT_MAX = 3.4028234663852886e38
_ISO = re.compile(
    r"-?(\d{4})-(\d{2})(?:-(\d{2})(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)
_SLASH = re.compile(r"(\d{4})/(\d{2})/(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_EPOCH = re.compile(r"-?\d+(\.\d+)?")
# Value types that fields of these mapped types take as they are (anything else goes through ``refusal``).
_TRIVIALLY_ACCEPTED: dict[type, frozenset[str]] = {
    str: frozenset({"text", "keyword"}),
    int: frozenset({"text", "keyword"}),
    float: frozenset({"text", "keyword"}),
    bool: frozenset({"boolean", "text", "keyword"}),
    type(None): frozenset({"text", "keyword", "long", "float", "date", "date:slash", "boolean", "object"}),
}
DASHBOARDS_FAMILY = {"text": "string", "keyword": "string", "long": "number", "float": "number", "double": "number",
                     "integer": "number", "date": "date", "date:slash": "date", "boolean": "boolean",
                     "object": "object"}


def _valid_datetime(year: str, month: str, day: str | None, hour: str | None, minute: str | None,
                    second: str | None) -> bool:
    try:
        datetime(int(year) or 1, int(month), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return False
    return True


def detect_date(text: str) -> str | None:
    """``date`` (strict_date_optional_time), ``date:slash`` (yyyy/MM/dd[ HH:mm:ss]) or None."""
    match = _ISO.fullmatch(text)
    if match:
        year, month, day, hour, minute, second, zone = match.groups()
        if zone and zone != "Z" and int(zone[1:3]) * 60 + int(zone[-2:] if len(zone) > 3 else 0) > 18 * 60:
            return None
        return "date" if _valid_datetime(year, month, day, hour, minute, second) else None
    match = _SLASH.fullmatch(text)
    if match:
        return "date:slash" if _valid_datetime(*match.groups()) else None
    return None


def dynamic_type(value: Any) -> str | None:
    """The type dynamic mapping gives a new field for this value (None: no mapping is added)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return detect_date(value) or "text"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return next((t for t in (dynamic_type(v) for v in _flatten(value)) if t is not None), None)
    return "text"


def _flatten(values: list[Any]) -> Iterable[Any]:
    for value in values:
        if isinstance(value, list):
            yield from _flatten(value)
        else:
            yield value


def refusal(mapped: str, value: Any) -> str | None:
    """Why a field mapped as ``mapped`` refuses a (non-list) value, or None when it is accepted."""
    if value is None:
        return None
    if mapped == "object":
        return None if isinstance(value, Mapping) else "tried to parse field as object, but found a concrete value"
    if isinstance(value, Mapping):
        return "an object where a concrete value is mapped"
    if mapped in ("text", "keyword"):
        return None
    if mapped in ("long", "float"):
        return _number_refusal(mapped, value)
    if mapped == "boolean":
        return None if isinstance(value, bool) or value in ("true", "false", "") else "not a boolean"
    if mapped in ("date", "date:slash"):
        if isinstance(value, bool):
            return "not a date"
        if isinstance(value, int | float):
            return None
        if _EPOCH.fullmatch(value) or detect_date(value) == mapped:
            return None
        return "not a date in the field's format"
    return None


def _number_refusal(mapped: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return "a boolean is not a number"
    if isinstance(value, str):
        if value == "":
            return None  # coerced to null
        text = value.strip() if mapped == "float" else value
        if not _DECIMAL.fullmatch(text):
            return "not a number"
        number = float(text)
    else:
        number = float(value)
    if (mapped == "long" and not (isinstance(value, int) and LONG_MIN <= value <= LONG_MAX)
            and (not math.isfinite(number) or not LONG_MIN <= math.trunc(number) <= LONG_MAX)):
        return "out of range of long"
    if mapped == "float" and not abs(number) <= FLOAT_MAX:
        return "[float] supports only finite values"
    return None


@dataclass(frozen=True, slots=True)
class RejectedDoc:
    """A document the node will refuse, with the field and reason (as the node reports the first one)."""

    index: str
    doc_id: str | None
    position: str | None
    field: str
    reason: str


@dataclass(slots=True)
class IndexMapping:
    """The mapping one index ends up with, and the documents it refuses."""

    index: str
    fields: dict[str, str] = field(default_factory=dict)
    docs: int = 0
    rejected: list[RejectedDoc] = field(default_factory=list)

    @property
    def field_count(self) -> int:
        """Fields counted against index.mapping.total_fields.limit (text counts its keyword sub-field)."""
        return sum(2 if t == "text" else 1 for t in self.fields.values())

    def conflicts(self) -> dict[str, dict[str, Any]]:
        """Rejected documents per field: mapped type, count, example ids and reasons."""
        grouped: dict[str, dict[str, Any]] = {}
        for doc in self.rejected:
            entry = grouped.setdefault(doc.field, {"mapped": self.fields.get(doc.field, "(limit)"), "count": 0,
                                                   "examples": [], "reasons": Counter()})
            entry["count"] += 1
            entry["reasons"][doc.reason] += 1
            if len(entry["examples"]) < 3:
                entry["examples"].append(doc.doc_id or doc.position)
        return grouped


class MappingPredictor:
    """Feeds documents in bulk order and keeps each index's dynamic mapping (no I/O)."""

    def __init__(self, *, explicit: Mapping[str, str] | None = None, field_limit: int = DEFAULT_FIELD_LIMIT) -> None:
        self.explicit = dict(explicit or {})
        self.field_limit = field_limit
        self.indices: dict[str, IndexMapping] = {}

    def feed(self, index: str, doc: Mapping[str, Any], *, doc_id: str | None = None,
             position: str | None = None) -> RejectedDoc | None:
        """Index one document: update the mapping, or return why the node refuses it."""
        mapping = self.indices.get(index)
        if mapping is None:
            mapping = self.indices[index] = IndexMapping(index, dict(self.explicit))
        mapping.docs += 1
        added: dict[str, str] = {}
        problem = self._walk(mapping.fields, added, doc, "")
        if problem is None and added:
            count = mapping.field_count + sum(2 if t == "text" else 1 for t in added.values())
            if count > self.field_limit:
                problem = (next(iter(added)), f"Limit of total fields [{self.field_limit}] has been exceeded")
        if problem is not None:
            rejected = RejectedDoc(index, doc_id, position, problem[0], problem[1])
            mapping.rejected.append(rejected)
            return rejected
        mapping.fields.update(added)
        return None

    def _walk(self, fields: Mapping[str, str], added: dict[str, str], obj: Mapping[str, Any],
              prefix: str) -> tuple[str, str] | None:
        for key, value in obj.items():
            if "." not in key and key.strip():  # the common case: a plain field name
                problem = self._check(fields, added, prefix + key, value)
                if problem:
                    return problem
                continue
            parts = str(key).split(".")
            if any(not p.strip() for p in parts):
                return f"{prefix}{key}", "field name cannot be empty or contain only whitespace"
            path = prefix
            for part in parts[:-1]:  # dotted keys expand into objects
                path = f"{path}{part}"
                problem = self._check(fields, added, path, {})
                if problem:
                    return problem
                path += "."
            problem = self._check(fields, added, f"{path}{parts[-1]}", value)
            if problem:
                return problem
        return None

    def _check(self, fields: Mapping[str, str], added: dict[str, str], path: str, value: Any) -> tuple[str, str] | None:
        values = list(_flatten(value)) if type(value) is list else (value,)
        for item in values:
            mapped = fields.get(path) or added.get(path)
            kind = type(item)
            if mapped is not None and (mapped in _TRIVIALLY_ACCEPTED.get(kind, ())
                                       or (kind is int and mapped == "long" and LONG_MIN <= item <= LONG_MAX)
                                       or (kind is float and mapped == "float" and -FLOAT_MAX <= item <= FLOAT_MAX)):
                continue  # e.g. a string for a text field, an int in range for a long: nothing can go wrong
            if mapped is None:
                new_type = dynamic_type(item)
                if new_type is None:
                    continue
                if new_type == "long" and not LONG_MIN <= item <= LONG_MAX:
                    return path, f"Numeric value ({item}) out of range of long"
                if new_type == "float" and not abs(item) <= FLOAT_MAX:
                    return path, "[float] supports only finite values"
                added[path] = mapped = new_type
            reason = refusal(mapped, item)
            if reason:
                return path, (f"failed to parse field [{path}] of type [{mapped.split(':')[0]}]: "
                              f"{reason} ({_preview(item)})")
            if kind is dict or isinstance(item, Mapping):
                problem = self._walk(fields, added, item, f"{path}.")
                if problem:
                    return problem
        return None

    def over_limit(self) -> list[IndexMapping]:
        """Indices whose mapping reaches the field limit."""
        return [m for m in self.indices.values() if any("Limit of total fields" in r.reason for r in m.rejected)]


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True, slots=True)
class PatternConflict:
    """A field whose Dashboards type differs between indices of one index pattern."""

    pattern: str
    field: str
    types: Mapping[str, tuple[str, ...]]  # Dashboards family -> indices


def find_pattern_conflicts(mappings: Sequence[IndexMapping], pattern: str) -> list[PatternConflict]:
    """Fields mapped to different Dashboards types in the indices ``pattern`` matches."""
    by_field: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for mapping in mappings:
        if not simple_match(pattern, mapping.index):
            continue
        for path, mapped in mapping.fields.items():
            by_field[path][DASHBOARDS_FAMILY.get(mapped, mapped)].append(mapping.index)
    return [
        PatternConflict(pattern, path, {family: tuple(sorted(indices)) for family, indices in sorted(families.items())})
        for path, families in sorted(by_field.items())
        if len(families) > 1
    ]
