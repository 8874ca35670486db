"""A deployable Python Lambda doing what the seed's Node.js function does, on efklab's core.

CloudWatch Logs subscription event -> ``decode_payload`` -> ``transform_payload`` (mode and
index strategy from the environment) -> ``_bulk`` POSTs signed with SigV4 (botocore) ->
per-item outcomes.  Unlike the seed: only failed items are retried (429/5xx, backoff),
other 4xx failures and undecodable events go to a dead-letter destination (S3 prefix or
SQS queue), and one JSON summary line is logged, never a document body or a header.

Environment (see ``load_config``): EFKLAB_OPENSEARCH_URL (required), EFKLAB_MODE,
EFKLAB_INDEX_STRATEGY, EFKLAB_PREFIX, EFKLAB_TZ, EFKLAB_SIGNING (sigv4|none),
EFKLAB_SIGNING_SERVICE, EFKLAB_SIGNING_REGION, EFKLAB_DEAD_LETTER_URL, EFKLAB_MAX_ATTEMPTS,
EFKLAB_BACKOFF_BASE, EFKLAB_BACKOFF_CAP, EFKLAB_BULK_BYTES, EFKLAB_TIMEOUT, EFKLAB_CA_CERTS,
EFKLAB_VERIFY_TLS.  Imports stay small: the standard library, urllib3 and boto3/botocore,
which the Lambda Python runtime ships.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from efklab import __version__
from efklab.delivery import BulkResponse, DeliveryReport, RetryPolicy, dead_letter_record, deliver, is_retryable, summarize
from efklab.errors import BulkError, ConfigError, EfklabError, PayloadError
from efklab.payloads import decode_payload
from efklab.transform import TransformOptions, transform_payload

_AWS_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.(es|aoss)\.amazonaws\.com$")
_BOOLEAN = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    """Everything the handler reads from its environment, validated once per cold start."""

    url: str
    options: TransformOptions
    signing: bool
    service: str
    region: str | None
    policy: RetryPolicy
    dead_letter_url: str | None
    timeout: float
    verify_tls: bool
    ca_certs: str | None
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)


def load_config(environ: Mapping[str, str]) -> HandlerConfig:
    """The handler's configuration from environment variables; ConfigError names the variable."""
    url = environ.get("EFKLAB_OPENSEARCH_URL", "").strip().rstrip("/")
    if not url:
        raise ConfigError("set it to the OpenSearch endpoint, e.g. https://search-logs-abc.ap-northeast-2.es.amazonaws.com", source="EFKLAB_OPENSEARCH_URL")
    if "://" not in url:
        url = f"https://{url}"  # the seed's style: a bare domain endpoint
    host = url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    matched = _AWS_HOST.search(host)
    signing = _flag(environ, "EFKLAB_SIGNING", default="sigv4", choices={"sigv4": True, "none": False})
    region = environ.get("EFKLAB_SIGNING_REGION") or (matched.group(1) if matched else None) or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if signing and not region:
        raise ConfigError("SigV4 needs a region: set EFKLAB_SIGNING_REGION (or AWS_REGION)", source="EFKLAB_SIGNING_REGION")
    user, password = environ.get("EFKLAB_OPENSEARCH_USER"), environ.get("EFKLAB_OPENSEARCH_PASSWORD")
    dead_letter = environ.get("EFKLAB_DEAD_LETTER_URL") or None
    if dead_letter and not dead_letter.startswith(("s3://", "https://", "http://")):
        raise ConfigError("expected s3://bucket/prefix/ or an SQS queue URL (https://sqs...)", source="EFKLAB_DEAD_LETTER_URL")
    return HandlerConfig(
        url=url,
        options=TransformOptions(
            mode=environ.get("EFKLAB_MODE", "opensearch"),  # type: ignore[arg-type]
            index_strategy=environ.get("EFKLAB_INDEX_STRATEGY", "seed"),
            prefix=environ.get("EFKLAB_PREFIX", "mydata"),
            tz=environ.get("EFKLAB_TZ", "UTC"),
        ),
        signing=signing,
        service=environ.get("EFKLAB_SIGNING_SERVICE") or (matched.group(2) if matched else "es"),
        region=region,
        policy=RetryPolicy(
            attempts=_number(environ, "EFKLAB_MAX_ATTEMPTS", 4, int, 1),
            base=_number(environ, "EFKLAB_BACKOFF_BASE", 0.5, float, 0.0),
            cap=_number(environ, "EFKLAB_BACKOFF_CAP", 8.0, float, 0.0),
            max_bytes=_number(environ, "EFKLAB_BULK_BYTES", 5_000_000, int, 1),
        ),
        dead_letter_url=dead_letter,
        timeout=_number(environ, "EFKLAB_TIMEOUT", 30.0, float, 0.1),
        verify_tls=_flag(environ, "EFKLAB_VERIFY_TLS", default="true", choices=_BOOLEAN),
        ca_certs=environ.get("EFKLAB_CA_CERTS") or None,
        basic_auth=(user, password) if user and password and not signing else None,
    )


def process_event(
    event: Mapping[str, Any],
    *,
    config: HandlerConfig,
    send: Callable[[bytes], BulkResponse],
    sleep: Callable[[float], None],
    dead_letters: Callable[[list[dict[str, Any]]], str] | None,
    request_id: str = "",
) -> dict[str, Any]:
    """One invocation: every event ends indexed, dead-lettered, or (transient, no dead letters) failed."""
    summary: dict[str, Any] = {"efklab_lambda": __version__, "request_id": request_id, "mode": config.options.mode}
    try:
        payload = decode_payload(event, source="event")
    except PayloadError as exc:
        records = [{"request_id": request_id, "stage": "payload", "reason": str(exc), "event": dict(event)}]
        return _finish(summary | {"outcome": "undecodable", "events": 0, "actions": 0}, records, dead_letters, transient=False)
    summary.update(log_group=payload.log_group, log_stream=payload.log_stream, message_type=payload.message_type, events=len(payload.log_events))
    if payload.message_type == "CONTROL_MESSAGE":
        return summary | {"outcome": "control-message", "actions": 0}
    actions, rejects = transform_payload(payload, config.options)
    context = {"request_id": request_id, "log_group": payload.log_group, "log_stream": payload.log_stream}
    records = [{**context, "stage": r.stage, "reason": r.reason, "position": r.position, "item": r.item} for r in rejects]
    report = deliver(actions, send, policy=config.policy, sleep=sleep) if actions else DeliveryReport((), 0, 0, 0)
    failed = [o for o in report.outcomes if not o.ok]
    records += [dead_letter_record(o, context) for o in failed]
    summary.update(summarize(report), transform_rejects=len(rejects))
    summary["failed_items"] = [{"id": o.action.id, "index": o.action.index, "status": o.status} for o in failed[:20]]
    summary["outcome"] = "ok" if not records else "partial"
    return _finish(summary, records, dead_letters, transient=any(is_retryable(o.status) for o in failed))


class DeliveryFailed(Exception):
    """Raised to fail the invocation so Lambda retries it (ids make re-sends idempotent)."""


def _finish(summary: dict[str, Any], records: list[dict[str, Any]], dead_letters: Callable[[list[dict[str, Any]]], str] | None, *, transient: bool) -> dict[str, Any]:
    summary["dead_lettered"] = 0
    if records and dead_letters is not None:
        summary["dead_letter_location"] = dead_letters(records)
        summary["dead_lettered"] = len(records)
    elif records and transient:
        summary["outcome"] = "failed"
    elif records:
        summary["not_delivered"] = len(records)
    return summary


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (``efklab.lambda_handler.handler``)."""
    started = time.monotonic()
    request_id = str(getattr(context, "aws_request_id", "") or "")
    state = _warm_state()
    config: HandlerConfig = state["config"]
    sink = _dead_letter_sink(config, state["session"], request_id) if config.dead_letter_url else None
    try:
        summary = process_event(event, config=config, send=state["send"], sleep=time.sleep, dead_letters=sink, request_id=request_id)
    except EfklabError as exc:
        print(json.dumps({"efklab_lambda": __version__, "request_id": request_id, "outcome": "error", "error": str(exc)}))
        raise
    summary["duration_ms"] = int((time.monotonic() - started) * 1000)
    print(json.dumps(summary, ensure_ascii=False))
    if summary["outcome"] == "failed":
        raise DeliveryFailed(f"{summary['failed']} items still failing after {config.policy.attempts} attempts; no dead-letter destination")
    return summary


_STATE: dict[str, Any] = {}


def _dead_letter_sink(config: HandlerConfig, session: Callable[[], Any], request_id: str) -> Callable[[list[dict[str, Any]]], str]:
    """Writes one invocation's dead letters to the configured S3 prefix or SQS queue."""
    from efklab.adapters import aws

    name = f"{datetime.now(timezone.utc):%Y/%m/%d}/{request_id or int(time.time() * 1000)}"
    assert config.dead_letter_url is not None
    url = config.dead_letter_url
    return lambda records: aws.write_dead_letters(session(), url, records, name=name)


def _warm_state() -> dict[str, Any]:
    """Config, HTTP pool and AWS session, built once per container and reused while warm."""
    if not _STATE:
        from efklab.lambda_transport import make_sender

        config = load_config(os.environ)
        session_box: dict[str, Any] = {}

        def session() -> Any:
            if "s" not in session_box:
                import boto3

                session_box["s"] = boto3.Session(region_name=config.region or os.environ.get("AWS_REGION"))
            return session_box["s"]

        _STATE.update(config=config, session=session, send=make_sender(config, session))
    return _STATE


def _flag(environ: Mapping[str, str], name: str, *, default: str, choices: Mapping[str, bool]) -> bool:
    value = environ.get(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{value!r} is not one of {', '.join(sorted(choices))}", source=name)
    return choices[value]


def _number(environ: Mapping[str, str], name: str, default: Any, kind: type, minimum: float) -> Any:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a {kind.__name__}", source=name) from None
    if value < minimum:
        raise ConfigError(f"{raw!r} is below {minimum}", source=name)
    return value


__all__ = ["BulkError", "DeliveryFailed", "HandlerConfig", "handler", "load_config", "process_event"]
