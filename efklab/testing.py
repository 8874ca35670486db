"""Helpers for your own pipeline tests: build subscription payloads, run the transform, read bulk bodies.

    from efklab.testing import make_event, make_payload, lambda_event, run_transform

    payload = make_payload([make_event({"log": "hello\\n", "stream": "stdout"})])
    pairs, rejects = run_transform(payload, mode="seed")
    assert pairs[0][1]["log"] == "hello\\n"

Everything is deterministic: ids are 56-digit numbers shaped like CloudWatch's (the event
timestamp in the bits above 144), gzip headers carry no time.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from efklab.cloudwatch.delivery import control_payload
from efklab.cloudwatch.payloads import DATA_MESSAGE, Payload, decode_payload, to_lambda_event
from efklab.lambda_.transform import TransformOptions, render_bulk, transform_payload
from efklab.model import Reject

DEFAULT_TIMESTAMP = 1_619_600_944_301  # 2021-04-28T09:09:04.301Z, the day the seed was written
DEFAULT_OWNER = "123456789012"
DEFAULT_LOG_GROUP = "/aws/containerinsights/efklab/application/default/app"
DEFAULT_LOG_STREAM = "app-7d9f8c6b5-x2x9z_default_app-3f2a9c1b7e4d"
DEFAULT_FILTER = "efklab"


def make_event_id(timestamp: int, sequence: int = 0, *, ingest_ms: int | None = None) -> str:
    """A 56-digit event id as CloudWatch's look: timestamp above bit 144, ingestion time above bit 80."""
    ingest = timestamp if ingest_ms is None else ingest_ms
    value = (timestamp << 144) | ((ingest & (2**64 - 1)) << 80) | (sequence & (2**80 - 1))
    return f"{value:056d}"


def make_event(
    message: str | Mapping[str, Any],
    *,
    timestamp: int = DEFAULT_TIMESTAMP,
    sequence: int = 0,
    id: str | None = None,  # the payload's own field name
    extracted_fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``logEvents`` entry; a mapping message is written as compact JSON, as fluentd ships records."""
    text = message if isinstance(message, str) else json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    event: dict[str, Any] = {
        "id": make_event_id(timestamp, sequence) if id is None else id,
        "timestamp": timestamp,
        "message": text,
    }
    if extracted_fields is not None:
        event["extractedFields"] = dict(extracted_fields)
    return event


def make_payload(
    events: Iterable[str | Mapping[str, Any]] = (),
    *,
    log_group: str = DEFAULT_LOG_GROUP,
    log_stream: str = DEFAULT_LOG_STREAM,
    owner: str = DEFAULT_OWNER,
    subscription_filters: Iterable[str] = (DEFAULT_FILTER,),
    message_type: str = DATA_MESSAGE,
    policy_level: str | None = None,
    start: int = DEFAULT_TIMESTAMP,
) -> dict[str, Any]:
    """A decoded payload.  Plain strings become events 1 ms apart from ``start``; dicts with an
    ``id`` are taken as events as they are, other dicts as JSON messages."""
    log_events = []
    for i, item in enumerate(events):
        if isinstance(item, Mapping) and "id" in item:
            log_events.append(dict(item))
        else:
            log_events.append(make_event(item, timestamp=start + i, sequence=i))
    payload: dict[str, Any] = {
        "messageType": message_type,
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": list(subscription_filters),
        "logEvents": log_events,
    }
    if policy_level is not None:
        payload["policyLevel"] = policy_level
    return payload


def make_control_payload(timestamp: int = DEFAULT_TIMESTAMP) -> dict[str, Any]:
    """The CONTROL_MESSAGE CloudWatch sends to check a destination (it yields no documents)."""
    return control_payload(timestamp)


def lambda_event(payload: Payload | Mapping[str, Any]) -> dict[str, Any]:
    """What the Lambda receives: ``{"awslogs": {"data": base64(gzip(json))}}``."""
    return to_lambda_event(payload)


def parse_bulk(body: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """A ``_bulk`` body (index actions only) -> [(action, document)]."""
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the body ends with a newline; U+2028 inside strings is not a line break
    if len(lines) % 2:
        raise ValueError(f"a _bulk body of index actions has an even number of lines, not {len(lines)}")
    return [(json.loads(lines[i]), json.loads(lines[i + 1])) for i in range(0, len(lines), 2)]


def run_transform(
    payload: Payload | Mapping[str, Any], **options: str
) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], list[Reject]]:
    """Decode and transform one payload; (action, document) pairs and the rejects."""
    decoded = payload if isinstance(payload, Payload) else decode_payload(payload)
    actions, rejects = transform_payload(decoded, TransformOptions(**options))
    return parse_bulk(render_bulk(actions)), rejects


__all__ = [
    "DEFAULT_LOG_GROUP",
    "DEFAULT_LOG_STREAM",
    "DEFAULT_OWNER",
    "DEFAULT_TIMESTAMP",
    "lambda_event",
    "make_control_payload",
    "make_event",
    "make_event_id",
    "make_payload",
    "parse_bulk",
    "run_transform",
]
