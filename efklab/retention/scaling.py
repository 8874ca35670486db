"""A time-scaled copy of an ISM policy, for a rehearsal on a real node (``30d`` becomes seconds).

Ages in transition conditions (``min_index_age``, ``min_rollover_age``), action timeouts and
retry delays are multiplied by the scale and written in whole seconds (at least 1 s, the
plugin reads ``TimeValue``s).  What cannot be scaled is refused: a ``cron`` condition follows
the wall clock.  The job interval is not part of the policy and is never scaled: with a scale
of ``1d=3s`` one job interval of 1 minute stands for 20 policy days, so a rehearsal shows the
plugin's steps and its run-by-run latency, not calendar precision.  The copy gets its own
policy id and an ``ism_template`` that matches only the rehearsal's indices (the user's
indices on the node are never touched); read-only fields (``policy_id``, ``last_updated_time``,
``schema_version``, ``user``) are dropped, so the template counts from the PUT.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from efklab.errors import PolicyError, UsageError
from efklab.units import DAY_MS, format_duration, parse_age, parse_time_value

_SCALED_CONDITIONS = ("min_index_age", "min_rollover_age")
_READ_ONLY = ("policy_id", "last_updated_time", "schema_version", "user")


@dataclass(frozen=True, slots=True)
class Scale:
    """Policy time ``policy_ms`` becomes ``rehearsal_ms`` on the node (``1d=3s``)."""

    policy_ms: int
    rehearsal_ms: int

    @property
    def ratio(self) -> float:
        return self.rehearsal_ms / self.policy_ms

    def apply(self, ms: int) -> int:
        """A policy duration in rehearsal ms, rounded up to whole seconds (at least 1 s; 0 stays 0)."""
        if ms <= 0:
            return ms
        return max(1000, math.ceil(ms * self.ratio / 1000) * 1000)

    def back(self, ms: float) -> float:
        """A rehearsal duration in policy ms (how long it stands for)."""
        return ms / self.ratio

    def __str__(self) -> str:
        return f"{format_duration(self.policy_ms)}={format_duration(self.rehearsal_ms)}"


DEFAULT_SCALE = Scale(DAY_MS, 3000)


def parse_scale(text: str) -> Scale:
    """``1d=3s`` (policy time = rehearsal time); ``UsageError`` saying what to write otherwise."""
    left, sep, right = text.partition("=")
    policy_ms, rehearsal_ms = parse_age(left) if sep else None, parse_age(right) if sep else None
    if not policy_ms or not rehearsal_ms or rehearsal_ms >= policy_ms:
        raise UsageError(f"--scale {text!r}: write POLICY=REHEARSAL with a shorter right side, such as 1d=3s "
                         "(30d of the policy becomes 90s on the node)", source="--scale")
    return Scale(policy_ms, rehearsal_ms)


def scale_policy(document: Mapping[str, Any], scale: Scale, *, index_patterns: list[str],
                 priority: int = 1000) -> dict[str, Any]:
    """The PUT body ``{"policy": ...}`` of a scaled copy whose template matches only ``index_patterns``.

    ``document`` is a validated policy file (``{"policy": {...}}``); a cron condition is refused
    with its JSON path.
    """
    body = copy.deepcopy(dict(document["policy"]))
    for key in _READ_ONLY:
        body.pop(key, None)
    for i, state in enumerate(body.get("states") or []):
        for action in state.get("actions") or []:
            if isinstance(action.get("timeout"), str):
                action["timeout"] = _seconds(scale.apply(_ms(action["timeout"])))
            retry = action.get("retry")
            if isinstance(retry, dict) and isinstance(retry.get("delay"), str):
                retry["delay"] = _seconds(scale.apply(_ms(retry["delay"])))
        for j, transition in enumerate(state.get("transitions") or []):
            conditions = transition.get("conditions") or {}
            if "cron" in conditions:
                raise PolicyError("a cron condition follows the wall clock: a time-scaled rehearsal cannot scale it "
                                  "(use the forecast: efklab retention simulate)",
                                  position=f"$.policy.states[{i}].transitions[{j}].conditions.cron")
            for kind in _SCALED_CONDITIONS:
                if isinstance(conditions.get(kind), str):
                    conditions[kind] = _seconds(scale.apply(_ms(conditions[kind])))
    body["ism_template"] = [{"index_patterns": list(index_patterns), "priority": priority}]
    return {"policy": body}


def scaled_ages(document: Mapping[str, Any], scale: Scale) -> list[tuple[str, str]]:
    """(as written, as rehearsed) for each ``min_index_age`` of the policy: what the scale does, for people."""
    pairs = []
    for state in document["policy"].get("states") or []:
        for transition in state.get("transitions") or []:
            age = (transition.get("conditions") or {}).get("min_index_age")
            if isinstance(age, str):
                pairs.append((age, _seconds(scale.apply(_ms(age)))))
    return pairs


def _ms(text: str) -> int:
    return parse_time_value(text, "duration")  # the file was validated: its time values parse


def _seconds(ms: int) -> str:
    return f"{ms // 1000}s"
