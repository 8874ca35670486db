"""``_ism/explain`` answers as rows a person can read: managed or not, where it is, what comes next.

The answer maps index name -> details, plus ``total_managed_indices``.  A managed index that
has not had its first job run yet shows only its policy; the first run initialises (state =
default state), later runs each perform one step, a failed step waits for ``_ism/retry``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

POLICY_SETTING = "index.plugins.index_state_management.policy_id"
LEGACY_POLICY_SETTING = "index.opendistro.index_state_management.policy_id"


@dataclass(frozen=True, slots=True)
class ExplainRow:
    """One index in an explain answer."""

    index: str
    managed: bool
    policy_id: str | None
    state: str | None
    action: str | None
    step: str | None
    step_status: str | None
    failed: bool
    info: str | None
    next: str
    index_created: int | None = None  # index.creation_date, as explain reports it
    state_since: int | None = None  # when the current state started (ms)
    action_since: int | None = None  # when the current action started (ms)
    transition_to: str | None = None  # set between a transition's run and the next state's first run

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_explain(answer: Mapping[str, Any]) -> list[ExplainRow]:
    """Rows for every index in an explain answer, sorted by name."""
    rows = []
    for index, details in sorted(answer.items()):
        if not isinstance(details, Mapping):
            continue  # total_managed_indices
        policy_id = details.get("policy_id") or details.get(POLICY_SETTING) or details.get(LEGACY_POLICY_SETTING)
        state = (details.get("state") or {}).get("name")
        action = details.get("action") or {}
        step = details.get("step") or {}
        info = (details.get("info") or {}).get("message")
        failed = (bool(action.get("failed")) or step.get("step_status") == "failed"
                  or bool((details.get("retry_info") or {}).get("failed")))
        row = ExplainRow(index, policy_id is not None, policy_id, state, action.get("name"), step.get("name"),
                         step.get("step_status"), failed, info, "", _epoch(details.get("index_creation_date")),
                         _epoch((details.get("state") or {}).get("start_time")), _epoch(action.get("start_time")),
                         details.get("transition_to"))
        rows.append(replace(row, next=describe_next(row, details)))
    return rows


def _epoch(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def describe_next(row: ExplainRow, details: Mapping[str, Any]) -> str:
    """What ISM does next for this index, in one phrase."""
    if not row.managed:
        return "not managed: no policy attached (templates skip indices created before them; use --add)"
    if row.failed:
        return f"failed ({row.info or 'see info'}): fix the cause, then POST _plugins/_ism/retry/{row.index}"
    if details.get("policy_completed"):
        return "policy completed: ISM does nothing more"
    if row.transition_to:
        return f"transitioning to {row.transition_to}: the next job run starts that state"
    if row.state is None:
        return "attached: the first job run initialises it (state = default state)"
    if row.action in (None, "transition") or row.step == "attempt_transition":
        return f"in state {row.state}: every job run checks its transitions"
    return f"in state {row.state}: running {row.action}/{row.step} ({row.step_status or 'starting'})"
