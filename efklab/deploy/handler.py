"""A deployable Python Lambda doing what the seed's Node.js function does, on efklab's core.

CloudWatch Logs subscription event -> ``decode_payload`` -> ``transform_payload`` (mode and
index strategy from the environment) -> ``_bulk`` POSTs signed with SigV4 (botocore), each
body rendered once (``efklab.opensearch.batches``) -> the node's statuses, and a result for each failed
item (``efklab.opensearch.bulk`` retries and folds them).  Unlike the seed: only failed items are retried
(429/5xx, exponential backoff), other 4xx failures, transform rejects and undecodable events
go to a dead-letter destination (S3 prefix or SQS queue) instead of failing the invocation
again and again, and one JSON summary line is logged, never a document body or a header.

Imports stay small: the standard library, urllib3 and boto3/botocore, which the Lambda
Python runtime ships.  Environment variables: see ``load_config`` and the README.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from efklab import __version__
from efklab.opensearch import batches
from efklab.opensearch import bulk
from efklab.errors import ConfigError, EfklabError, PayloadError
from efklab.cloudwatch.payloads import decode_payload
from efklab.lambda_.transform import TransformOptions, compile_options, transform_payload

_AWS_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.(es|aoss)\.amazonaws\.com$")
_BOOLEAN = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
_OPTION_VARIABLES = {"--mode": "EFKLAB_MODE", "--index-strategy": "EFKLAB_INDEX_STRATEGY", "--prefix": "EFKLAB_PREFIX", "--tz": "EFKLAB_TZ"}
DeadLetters = Callable[[list[dict[str, Any]]], str]
Post = Callable[[str | bytes], "Mapping[str, Any] | bulk.RequestFailure"]


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    """Everything the handler reads from its environment, validated once per cold start."""

    url: str
    options: TransformOptions
    signing: bool
    service: str
    region: str | None
    policy: bulk.RetryPolicy
    max_bytes: int
    dead_letter_url: str | None
    timeout: float
    verify_tls: bool
    ca_certs: str | None
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)


class DeliveryFailed(Exception):
    """Fails the invocation so Lambda retries it; ids make the re-sent documents overwrite, not duplicate."""


def load_config(environ: Mapping[str, str]) -> HandlerConfig:
    """The handler's configuration from environment variables; ConfigError names the variable."""
    url = environ.get("EFKLAB_OPENSEARCH_URL", "").strip().rstrip("/")
    if not url:
        raise ConfigError("set it to the OpenSearch endpoint, e.g. https://search-logs-abc.ap-northeast-2.es.amazonaws.com", source="EFKLAB_OPENSEARCH_URL")
    if "://" not in url:
        url = f"https://{url}"  # the seed's style: a bare domain endpoint
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    matched = _AWS_HOST.search(host)
    signing = _flag(environ, "EFKLAB_SIGNING", "sigv4", {"sigv4": True, "none": False})
    region = environ.get("EFKLAB_SIGNING_REGION") or (matched.group(1) if matched else None) or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if signing and not region:
        raise ConfigError("SigV4 needs a region: set EFKLAB_SIGNING_REGION (or AWS_REGION)", source="EFKLAB_SIGNING_REGION")
    dead_letter = environ.get("EFKLAB_DEAD_LETTER_URL") or None
    if dead_letter and not dead_letter.startswith(("s3://", "https://", "http://")):
        raise ConfigError("expected s3://bucket/prefix/ or an SQS queue URL (https://sqs...)", source="EFKLAB_DEAD_LETTER_URL")
    mode = environ.get("EFKLAB_MODE", "opensearch")
    if mode not in ("seed", "opensearch"):
        raise ConfigError(f"{mode!r} is not one of opensearch, seed", source="EFKLAB_MODE")
    user, password = environ.get("EFKLAB_OPENSEARCH_USER"), environ.get("EFKLAB_OPENSEARCH_PASSWORD")
    options = TransformOptions(
        mode=mode,
        index_strategy=environ.get("EFKLAB_INDEX_STRATEGY", "seed"),
        prefix=environ.get("EFKLAB_PREFIX", "mydata"),
        tz=environ.get("EFKLAB_TZ", "UTC"),
    )
    try:
        compile_options(options)  # fail at cold start, not on the first event
    except EfklabError as exc:
        raise ConfigError(_rename_options(exc.reason), source=_culprit(options)) from exc
    return HandlerConfig(
        url=url,
        options=options,
        signing=signing,
        service=environ.get("EFKLAB_SIGNING_SERVICE") or (matched.group(2) if matched else "es"),
        region=region,
        policy=bulk.RetryPolicy(
            max_retries=_number(environ, "EFKLAB_MAX_RETRIES", 3, int, 0),
            initial_backoff=_number(environ, "EFKLAB_BACKOFF_BASE", 0.5, float, 0.0),
            max_backoff=_number(environ, "EFKLAB_BACKOFF_CAP", 8.0, float, 0.0),
        ),
        max_bytes=_number(environ, "EFKLAB_BULK_BYTES", 5_000_000, int, 1),
        dead_letter_url=dead_letter,
        timeout=_number(environ, "EFKLAB_TIMEOUT", 30.0, float, 0.1),
        verify_tls=_flag(environ, "EFKLAB_VERIFY_TLS", "true", _BOOLEAN),
        ca_certs=environ.get("EFKLAB_CA_CERTS") or None,
        basic_auth=(user, password) if user and password and not signing else None,
    )


def process_event(
    event: Mapping[str, Any],
    *,
    config: HandlerConfig,
    post: Post,
    sleep: Callable[[float], None],
    dead_letters: DeadLetters | None,
    request_id: str = "",
) -> dict[str, Any]:
    """One invocation: every log event ends indexed, dead-lettered, or (still failing, no dead letters) failed."""
    summary: dict[str, Any] = {"efklab_lambda": __version__, "request_id": request_id, "mode": config.options.mode}
    try:
        payload = decode_payload(event, source="event")
    except PayloadError as exc:
        letters = [{"request_id": request_id, "stage": "payload", "reason": str(exc), "event": dict(event)}]
        return _finish(summary | {"outcome": "undecodable"}, letters, dead_letters, retryable=False)
    summary.update(log_group=payload.log_group, log_stream=payload.log_stream, message_type=payload.message_type, events=len(payload.log_events) + len(payload.invalid_events))
    if payload.is_control:
        return summary | {"outcome": "control-message", "dead_lettered": 0}
    actions, rejects = transform_payload(payload, config.options)  # rejects include events that broke the schema
    counter = _CountingPost(post)
    answers = [batches.answer_batch(batch, counter, policy=config.policy, sleep=sleep)
               for batch in batches.batch_actions(actions, max_count=len(actions) or 1, max_bytes=config.max_bytes)]
    context = {"request_id": request_id, "log_group": payload.log_group, "log_stream": payload.log_stream}
    failed = [(answer.failures[n], answer.actions[n]) for answer in answers for n in sorted(answer.failures)]
    letters = [context | bulk.reject_letter(r) for r in rejects] + [context | bulk.dead_letter(r, a.source_line) for r, a in failed]
    folded = bulk.fold_tallies(
        bulk.ReplaySummary(), sent=Counter(a.index for a in actions), failed=Counter(a.index for _r, a in failed),
        created=sum(list(answer.statuses).count(batches.CREATED) for answer in answers), rejected=len(rejects), payloads=1,
    ).to_json()
    summary.update({k: folded[k] for k in ("attempted", "indexed", "created", "failed", "rejected")})
    summary.update(
        requests=counter.requests,
        retried_items=counter.items - len(actions),
        indices={k: v["indexed"] for k, v in folded["per_index"].items()},
        failed_items=[{"id": r.get("id"), "index": r.get("index"), "status": r.get("status"), "type": _error_type(r.get("error"))} for r, _ in failed[:20]],
        outcome="ok" if not letters else "partial",
    )
    return _finish(summary, letters, dead_letters, retryable=any(bulk.retryable_status(r.get("status")) or not r.get("status") for r, _ in failed))


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: ``efklab.deploy.handler.handler``."""
    started = time.monotonic()
    request_id = str(getattr(context, "aws_request_id", "") or "")
    try:
        state = _warm_state()
        config: HandlerConfig = state["config"]
        letters = _dead_letter_sink(config, state["session"], request_id) if config.dead_letter_url else None
        summary = process_event(event, config=config, post=state["post"], sleep=time.sleep, dead_letters=letters, request_id=request_id)
    except EfklabError as exc:
        print(json.dumps({"efklab_lambda": __version__, "request_id": request_id, "outcome": "error", "error": str(exc)}))
        raise
    summary["duration_ms"] = int((time.monotonic() - started) * 1000)
    print(json.dumps(summary, ensure_ascii=False))
    if summary["outcome"] == "failed":
        raise DeliveryFailed(f"{summary['failed']} items still failing after {config.policy.max_retries} retries and no EFKLAB_DEAD_LETTER_URL")
    return summary


class _CountingPost:
    """Counts requests and items sent, for the summary (retried items = items sent - actions)."""

    def __init__(self, post: Post) -> None:
        self._post = post
        self.requests = 0
        self.items = 0

    def __call__(self, body: str | bytes) -> Mapping[str, Any] | bulk.RequestFailure:
        self.requests += 1
        self.items += (body.count(b"\n") if isinstance(body, bytes) else body.count("\n")) // 2
        return self._post(body)


def _finish(summary: dict[str, Any], letters: list[dict[str, Any]], dead_letters: DeadLetters | None, *, retryable: bool) -> dict[str, Any]:
    """Hand the dead letters over, or decide whether the invocation must fail to be retried."""
    summary["dead_lettered"] = 0
    if letters and dead_letters is not None:
        summary["dead_letter_location"] = dead_letters(letters)
        summary["dead_lettered"] = len(letters)
    elif letters and retryable:
        summary["outcome"] = "failed"
    elif letters:
        summary["not_delivered"] = len(letters)  # permanent: retrying the invocation cannot help
    return summary


_STATE: dict[str, Any] = {}


def _warm_state() -> dict[str, Any]:
    """Config, HTTP pool and AWS session: built once per container, reused while it is warm."""
    if not _STATE:
        from efklab.deploy.transport import make_post

        config = load_config(os.environ)
        box: dict[str, Any] = {}

        def session() -> Any:
            if "session" not in box:
                import boto3

                box["session"] = boto3.Session(region_name=config.region)
            return box["session"]

        _STATE.update(config=config, session=session, post=make_post(config, session))
    return _STATE


def _dead_letter_sink(config: HandlerConfig, session: Callable[[], Any], request_id: str) -> DeadLetters:
    """Writes one invocation's dead letters to the configured S3 prefix or SQS queue."""
    from efklab.adapters import aws

    url = config.dead_letter_url or ""
    name = f"{datetime.now(timezone.utc):%Y/%m/%d}/{request_id or int(time.time() * 1000)}"
    return lambda letters: aws.write_dead_letters(session(), url, letters, name=name)


def _flag(environ: Mapping[str, str], name: str, default: str, choices: Mapping[str, bool]) -> bool:
    value = environ.get(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{value!r} is not one of {', '.join(sorted(choices))}", source=name)
    return choices[value]


def _number(environ: Mapping[str, str], name: str, default: Any, kind: type, minimum: float) -> Any:
    raw = environ.get(name, "")
    if raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a {kind.__name__}", source=name) from None
    if value < minimum:
        raise ConfigError(f"{raw!r} is below {minimum}", source=name)
    return value


def _culprit(options: TransformOptions) -> str | None:
    """The variable whose value makes the transform options invalid (the first whose default fixes them)."""
    defaults = TransformOptions(mode=options.mode)
    for name, variable in (("tz", "EFKLAB_TZ"), ("index_strategy", "EFKLAB_INDEX_STRATEGY"), ("prefix", "EFKLAB_PREFIX")):
        try:
            compile_options(replace(options, **{name: getattr(defaults, name)}))
            return variable
        except EfklabError:
            continue
    return None


def _rename_options(reason: str) -> str:
    for option, variable in _OPTION_VARIABLES.items():
        reason = reason.replace(option, variable)
    return reason


def _error_type(error: Any) -> str:
    return str(error.get("type", "unknown")) if isinstance(error, Mapping) else "unknown"
