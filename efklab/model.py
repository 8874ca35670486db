"""Plain data shared across the core: the outcome records every stage folds over.

Domain types live beside the code that owns them (``payloads.Payload``,
``concat.Group`` ...); this module only holds what several stages exchange.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, TypedDict


@dataclass(frozen=True, slots=True)
class Reject:
    """One input item that produced no output, and why.  Nothing is dropped silently."""

    stage: str  # "payload", "transform", "index-name", "bulk", "concat", "parse" ...
    reason: str
    source: str | None = None  # file (or "-" for stdin)
    position: str | int | None = None  # line number, JSON path, "logEvents[3]" ...
    item: Any = None  # the rejected thing itself (event dict, line text), JSON-serialisable

    def location(self) -> str:
        """``source:position`` for one-line messages."""
        return ":".join(str(p) for p in (self.source, self.position) if p not in (None, ""))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for reject files (JSONL)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


# Reject stages that mean "this input record could not be read at all" (bad input, exit 2), as
# opposed to records that were read and produced no output for a reason a command reports on.
UNREADABLE_STAGES = frozenset({"input", "payload"})


class ItemResult(TypedDict, total=False):
    """The outcome of one bulk action, as reported by OpenSearch (or by us when the request failed)."""

    ok: bool
    index: str
    id: str | None
    status: int
    result: str  # "created" or "updated" (a replayed document overwrote its earlier copy)
    error: Any
    source: str | None
    position: str | int | None
