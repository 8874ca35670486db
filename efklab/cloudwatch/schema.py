"""The shape of a CloudWatch Logs subscription payload, and its validation.

A payload-level problem raises PayloadError naming the field; a log event that breaks the
schema becomes a Reject naming ``logEvents[i].field`` while the other events are kept.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from efklab.errors import PayloadError
from efklab.model import Reject

DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"
MESSAGE_TYPES = (DATA_MESSAGE, CONTROL_MESSAGE)


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One entry of ``logEvents``; ``ordinal`` is its index there (kept when others are rejected)."""

    id: str
    timestamp: int | float  # ms since the epoch; a float is kept as JS would see it
    message: str
    extracted_fields: dict[str, Any] | None = None
    ordinal: int | None = None


@dataclass(frozen=True, slots=True)
class Payload:
    """A decoded subscription payload.  ``source``/``position`` say where it was read (file, line)."""

    message_type: str
    owner: str
    log_group: str
    log_stream: str
    subscription_filters: tuple[str, ...]
    log_events: tuple[LogEvent, ...]
    policy_level: str | None = None
    source: str | None = None
    position: int | None = None
    invalid_events: tuple[Reject, ...] = ()  # events that broke the schema, one Reject each

    @property
    def is_control(self) -> bool:
        """CONTROL_MESSAGE payloads check the destination is reachable; they hold no log events."""
        return self.message_type == CONTROL_MESSAGE


_new = object.__new__
_set_id, _set_ts, _set_msg, _set_fields, _set_ordinal = (
    getattr(LogEvent, name).__set__ for name in ("id", "timestamp", "message", "extracted_fields", "ordinal")
)


def _log_event(event_id: str, timestamp: int | float, message: str, fields: dict[str, Any] | None,
               ordinal: int) -> LogEvent:
    """``LogEvent(...)`` for already validated values, without the frozen __init__'s per-field checks (2x faster)."""
    event = _new(LogEvent)
    _set_id(event, event_id)
    _set_ts(event, timestamp)
    _set_msg(event, message)
    _set_fields(event, fields)
    _set_ordinal(event, ordinal)
    return event


def payload_from_json(obj: Mapping[str, Any], *, source: str | None = None, position: int | None = None) -> Payload:
    """Validate a decoded payload object; PayloadError names the first field that is wrong."""

    def fail(reason: str) -> PayloadError:
        return PayloadError(reason, source=source, position=position)

    for name in ("messageType", "owner", "logGroup", "logStream"):
        if name not in obj:
            raise fail(f"missing field {name}")
        if not isinstance(obj[name], str):
            raise fail(f"{name} must be a string, got {js_type(obj[name])}")
    if obj["messageType"] not in MESSAGE_TYPES:
        raise fail(f"messageType must be DATA_MESSAGE or CONTROL_MESSAGE, got {obj['messageType']!r}")
    for name in ("subscriptionFilters", "logEvents"):
        if name not in obj:
            raise fail(f"missing field {name}")
        if not isinstance(obj[name], list):
            raise fail(f"{name} must be an array, got {js_type(obj[name])}")
    filters = obj["subscriptionFilters"]
    for i, name in enumerate(filters):
        if not isinstance(name, str):
            raise fail(f"subscriptionFilters[{i}] must be a string, got {js_type(name)}")
    events = obj["logEvents"]
    policy = obj.get("policyLevel")
    if policy is not None and not isinstance(policy, str):
        raise fail(f"policyLevel must be a string, got {js_type(policy)}")
    where = "" if position is None else f"{position}:"
    good: list[LogEvent] = []
    bad: list[Reject] = []
    for i, event in enumerate(events):
        problem = _event_problem(event, i)
        if problem is None:
            extracted = event.get("extractedFields")
            good.append(_log_event(event["id"], event["timestamp"], event["message"], extracted, i))
        else:
            bad.append(Reject("schema", problem, source, f"{where}logEvents[{i}]", event))
    return Payload(
        obj["messageType"], obj["owner"], obj["logGroup"], obj["logStream"], tuple(filters),
        tuple(good), policy, source, position, tuple(bad),
    )


# the fields every log event needs: (name, what it must be, its test)
_EVENT_FIELDS: tuple[tuple[str, str, Callable[[Any], bool]], ...] = (
    ("id", "a string", lambda v: isinstance(v, str)),
    ("timestamp", "a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    ("message", "a string", lambda v: isinstance(v, str)),
)


def _event_problem(event: Any, i: int) -> str | None:
    if type(event) is dict:  # the common shape, checked without a loop
        ts = event.get("timestamp")
        fields = event.get("extractedFields")
        if (
            type(event.get("id")) is str
            and type(event.get("message")) is str
            and (type(ts) is int or type(ts) is float)
            and (fields is None or type(fields) is dict)
        ):
            return None
    if not isinstance(event, dict):
        return f"logEvents[{i}] must be an object, got {js_type(event)}"
    for name, kind, ok in _EVENT_FIELDS:
        if name not in event:
            return f"logEvents[{i}].{name} is missing"
        if not ok(event[name]):
            return f"logEvents[{i}].{name} must be {kind}, got {js_type(event[name])}"
    extracted = event.get("extractedFields")
    if extracted is not None and not isinstance(extracted, dict):
        return f"logEvents[{i}].extractedFields must be an object, got {js_type(extracted)}"
    return None


def js_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


__all__ = ["CONTROL_MESSAGE", "DATA_MESSAGE", "MESSAGE_TYPES", "LogEvent", "Payload", "js_type", "payload_from_json"]
