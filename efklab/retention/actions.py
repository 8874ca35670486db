"""ISM actions: the ones the plugin knows (2.19), the steps each runs, and their configuration checks.

Each step takes one ISM job run, so the step lists drive the run-by-run simulation.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from efklab.errors import PolicyError


class _Parser(Protocol):
    """What action parsing needs from the policy parser: located errors and unit parsing."""

    def fail(self, reason: str, path: str) -> PolicyError: ...

    def time_value(self, value: Any, setting: str, path: str) -> int: ...

    def byte_size(self, value: Any, setting: str, path: str) -> int: ...


# Steps each action runs, one per ISM job run (the plugin's Action classes, 2.19).
ACTION_STEPS: dict[str, tuple[str, ...]] = {
    "rollover": ("attempt_rollover",),
    "delete": ("attempt_delete",),
    "read_only": ("set_read_only",),
    "read_write": ("set_read_write",),
    "replica_count": ("attempt_set_replica_count",),
    "force_merge": ("attempt_set_read_only", "attempt_call_force_merge", "wait_for_force_merge"),
    "close": ("attempt_close",),
    "open": ("attempt_open",),
    "notification": ("attempt_notification",),
    "snapshot": ("attempt_snapshot", "wait_for_snapshot"),
    "index_priority": ("attempt_set_index_priority",),
    "allocation": ("attempt_allocation",),
    "rollup": ("attempt_create_rollup", "wait_for_rollup_completion"),
    "transform": ("attempt_create_transform", "wait_for_transform_completion"),
    "shrink": ("attempt_move_shards", "wait_for_move_shards", "attempt_shrink", "wait_for_shrink"),
    "alias": ("attempt_alias",),
}
# Actions whose configuration is an empty object (their parsers accept no field).
_EMPTY_ACTIONS = frozenset({"delete", "read_only", "read_write", "close", "open"})


@dataclass(frozen=True, slots=True)
class Action:
    """One action of a state and the steps ISM runs for it, one per job run."""

    type: str
    config: Mapping[str, Any]
    steps: tuple[str, ...]
    path: str
    timeout_ms: int | None = None
    retry_count: int = 3


def parse_action(raw: Any, path: str, parser: _Parser) -> Action:
    """One action object as the plugin's ISMActionsParser reads it.

    The object is ``{"<type>": {...}, "timeout": ..., "retry": ...}``.
    """
    if not isinstance(raw, Mapping):
        raise parser.fail("an action must be an object", path)
    kinds = [k for k in raw if k not in ("timeout", "retry")]
    if not kinds:
        raise parser.fail("Action inside state is null (no action type given)", path)
    if len(kinds) > 1:
        raise parser.fail(f"one action per object, found {kinds}", f"{path}.{kinds[1]}")
    kind = kinds[0]
    if kind not in ACTION_STEPS:
        raise parser.fail(f"Invalid field: [{kind}] found in Actions (known: {', '.join(sorted(ACTION_STEPS))})",
                          f"{path}.{kind}")
    config = raw[kind]
    if not isinstance(config, Mapping):
        raise parser.fail(f"the {kind} action takes an object", f"{path}.{kind}")
    if kind in _EMPTY_ACTIONS and config:
        raise parser.fail(f"Invalid field: [{next(iter(config))}] found in the {kind} action",
                          f"{path}.{kind}.{next(iter(config))}")
    _check_config(kind, config, f"{path}.{kind}", parser)
    timeout = raw.get("timeout")
    timeout_ms = None
    if timeout is not None:
        if not isinstance(timeout, str):
            raise parser.fail("timeout must be a time string", f"{path}.timeout")
        timeout_ms = parser.time_value(timeout, "timeout", f"{path}.timeout")
    retry = raw.get("retry", {"count": 3})
    if not isinstance(retry, Mapping) or not isinstance(retry.get("count", 3), int) or retry.get("count", 3) < 0:
        raise parser.fail("retry must be an object with a non-negative integer count", f"{path}.retry")
    if "delay" in retry:
        parser.time_value(retry["delay"], "retry.delay", f"{path}.retry.delay")
    if retry.get("backoff", "exponential") not in ("exponential", "constant", "linear"):
        raise parser.fail("retry.backoff must be exponential, constant or linear", f"{path}.retry.backoff")
    return Action(kind, dict(config), ACTION_STEPS[kind], path, timeout_ms, int(retry.get("count", 3)))


def _check_config(kind: str, config: Mapping[str, Any], path: str, parser: _Parser) -> None:
    """The required fields of the actions whose parsers insist on them."""
    if kind == "replica_count":
        value = config.get("number_of_replicas")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise parser.fail("number_of_replicas must be a non-negative integer", f"{path}.number_of_replicas")
    elif kind == "force_merge":
        value = config.get("max_num_segments")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise parser.fail("max_num_segments must be an integer greater than 0", f"{path}.max_num_segments")
    elif kind == "index_priority":
        value = config.get("priority")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise parser.fail("priority must be a non-negative integer", f"{path}.priority")
    elif kind == "rollover":
        for key, value in config.items():
            if key in ("min_index_age",):
                parser.time_value(value, key, f"{path}.{key}")
            elif key in ("min_size", "min_primary_shard_size"):
                parser.byte_size(value, key, f"{path}.{key}")
            elif key == "min_doc_count":
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise parser.fail("min_doc_count must be a positive integer", f"{path}.{key}")
            elif key != "copy_alias":
                raise parser.fail(f"Invalid field: [{key}] found in RolloverAction", f"{path}.{key}")
