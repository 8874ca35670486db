"""ISM's own record of what it did: the managed-index history the plugin writes for every step.

With ``plugins.index_state_management.history.enabled`` (the default) each job run that changes
an index's metadata writes a document ``{"managed_index_meta_data": {...}}`` with
``history_timestamp`` into ``.opendistro-ism-managed-index-history-*`` (rolled over daily and
deleted after ``history.rollover_retention_period``, 30 days).
The delete step's record (``info.message`` "Successfully deleted index [index=...]") is the node's own word that
ISM deleted an index, and when: the observation a report can put beside the forecast.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One recorded step of one index: when, under which policy, where, and the plugin's message."""

    index: str
    at: int
    policy_id: str | None
    created: int | None
    state: str | None
    action: str | None
    step: str | None
    message: str

    @property
    def deleted(self) -> bool:
        """The record of a completed delete (the plugin's AttemptDeleteStep message)."""
        return self.message.startswith("Successfully deleted index")


def read_history(documents: Iterable[Mapping[str, Any]]) -> list[HistoryStep]:
    """History documents (their ``_source``) as steps, oldest first."""
    steps = []
    for document in documents:
        meta = document.get("managed_index_meta_data")
        if not isinstance(meta, Mapping) or not isinstance(meta.get("index"), str):
            continue
        state, action, step = (meta.get(k) or {} for k in ("state", "action", "step"))
        steps.append(HistoryStep(
            index=meta["index"], at=int(meta.get("history_timestamp") or 0), policy_id=meta.get("policy_id"),
            created=meta.get("index_creation_date"), state=state.get("name"), action=action.get("name"),
            step=step.get("name"), message=str((meta.get("info") or {}).get("message") or "")))
    return sorted(steps, key=lambda s: (s.at, s.index))


def deletions(steps: Iterable[HistoryStep]) -> list[HistoryStep]:
    """The delete records, one per index generation (index name and creation date), oldest first."""
    seen: dict[tuple[str, int | None], HistoryStep] = {}
    for step in steps:
        if step.deleted:
            seen.setdefault((step.index, step.created), step)
    return sorted(seen.values(), key=lambda s: (s.at, s.index))
