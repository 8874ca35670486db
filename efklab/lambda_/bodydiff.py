"""Two ``_bulk`` bodies compared action by action: identical, or the first difference and its field.

The comparison is on bytes first (what the node receives) and explains a difference by parsing
the two lines: an action field (``_index``, ``_type``, ``_id``), a document field added, missing
or different, or, when both parse to the same value, the JSON text itself (key order, number
form, escaping).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MISSING = "<missing>"


@dataclass(frozen=True, slots=True)
class FieldDifference:
    """One field that differs: where, and the two values as text."""

    part: str  # action | document | body
    field: str  # e.g. _index, @timestamp, kubernetes.pod_name, or "" for the line as a whole
    ours: str
    theirs: str

    def describe(self) -> str:
        where = f"{self.part} field {self.field}" if self.field else f"{self.part} text"
        return f"{where}: efklab {self.ours} vs function {self.theirs}"


@dataclass(frozen=True, slots=True)
class BodyDifference:
    """How two bodies of one invocation differ; ``action`` is the 0-based action index."""

    action: int | None  # None: the action counts differ before any action differs
    ours_actions: int
    theirs_actions: int
    fields: tuple[FieldDifference, ...]

    def describe(self) -> str:
        if self.action is None:
            return f"efklab writes {self.ours_actions} actions, the function {self.theirs_actions}"
        text = "; ".join(f.describe() for f in self.fields[:3])
        more = f" (+{len(self.fields) - 3} more fields)" if len(self.fields) > 3 else ""
        return f"action {self.action + 1}: {text}{more}"


def split_actions(body: bytes) -> list[tuple[bytes, bytes | None]]:
    """(action line, source line) pairs; ``delete`` has no source line.  Blank lines are skipped."""
    lines = [line for line in body.split(b"\n") if line.strip()]
    pairs: list[tuple[bytes, bytes | None]] = []
    i = 0
    while i < len(lines):
        action = lines[i]
        if _kind(action) == "delete":
            pairs.append((action, None))
            i += 1
        else:
            pairs.append((action, lines[i + 1] if i + 1 < len(lines) else None))
            i += 2
    return pairs


def action_index(line: bytes) -> str | None:
    """The ``_index`` an action line names, or None."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    meta = next(iter(value.values()), None) if isinstance(value, dict) else None
    index = meta.get("_index") if isinstance(meta, dict) else None
    return index if isinstance(index, str) else None


def _kind(line: bytes) -> str | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return next(iter(value)) if isinstance(value, dict) and len(value) == 1 else None


def compare_bodies(ours: Sequence[bytes], theirs: Sequence[bytes]) -> BodyDifference | None:
    """None when the bodies carry the same actions byte for byte, else the first difference."""
    mine = [pair for body in ours for pair in split_actions(body)]
    other = [pair for body in theirs for pair in split_actions(body)]
    for i, (a, b) in enumerate(zip(mine, other, strict=False)):
        if a != b:
            return BodyDifference(action=i, ours_actions=len(mine), theirs_actions=len(other),
                                  fields=tuple(_explain(a, b)))
    if len(mine) != len(other):
        return BodyDifference(action=None, ours_actions=len(mine), theirs_actions=len(other), fields=())
    return None


def _explain(ours: tuple[bytes, bytes | None], theirs: tuple[bytes, bytes | None]) -> list[FieldDifference]:
    found = _line_fields("action", ours[0], theirs[0], unwrap=True)
    if ours[1] != theirs[1]:
        found += _line_fields("document", ours[1] or b"", theirs[1] or b"", unwrap=False)
    return found


def _line_fields(part: str, ours: bytes, theirs: bytes, *, unwrap: bool) -> list[FieldDifference]:
    if ours == theirs:
        return []
    try:
        a, b = json.loads(ours), json.loads(theirs)
    except ValueError:
        return [FieldDifference(part, "", _short(ours), _short(theirs))]
    if unwrap and isinstance(a, dict) and isinstance(b, dict) and len(a) == len(b) == 1:
        (ka, va), (kb, vb) = next(iter(a.items())), next(iter(b.items()))
        if ka != kb:
            return [FieldDifference(part, "kind", ka, kb)]
        a, b = va, vb
    fields = list(_walk(a, b, ""))
    if not fields:  # same value, different text: key order, number or escape form
        return [FieldDifference(part, "", _short(ours), _short(theirs))]
    return [FieldDifference(part, name, x, y) for name, x, y in fields]


def _walk(a: Any, b: Any, prefix: str) -> list[tuple[str, str, str]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, str, str]] = []
        for key in list(a) + [k for k in b if k not in a]:
            name = f"{prefix}.{key}" if prefix else key
            if key not in b:
                out.append((name, _value(a[key]), MISSING))
            elif key not in a:
                out.append((name, MISSING, _value(b[key])))
            else:
                out += _walk(a[key], b[key], name)
        return out
    if a == b and type(a) is type(b):
        return []
    return [(prefix or "(value)", _value(a), _value(b))]


def _value(value: Any) -> str:
    return _short(json.dumps(value, ensure_ascii=False).encode())


def _short(text: bytes, limit: int = 80) -> str:
    decoded = text.decode("utf-8", "replace")
    return decoded if len(decoded) <= limit else decoded[: limit - 1] + "…"
