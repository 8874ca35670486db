"""A deployable Python Lambda doing what the seed's Node.js function does, on efklab's core.

CloudWatch Logs subscription event -> ``decode_payload`` -> ``transform_payload`` (mode and
index strategy from the environment) -> ``_bulk`` POSTs signed with SigV4 (botocore), each
body rendered once (``efklab.opensearch.batches``) -> the node's statuses, and a result for each failed
item (``efklab.opensearch.bulk`` retries and folds them).  Unlike the seed: only failed items are retried
(429/5xx, exponential backoff), other 4xx failures, transform rejects and undecodable events
go to a dead-letter destination (S3 prefix or SQS queue) instead of failing the invocation
again and again, and one JSON summary line is logged, never a document body or a header.

Imports stay small: the standard library, urllib3 and boto3/botocore, which the Lambda
Python runtime ships.  Environment variables: see ``efklab.deploy.config.load_config`` and the README.
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3

from efklab import __version__
from efklab.adapters import aws
from efklab.cloudwatch.payloads import decode_payload
from efklab.deploy.config import HandlerConfig, load_config
from efklab.deploy.transport import Post, make_post
from efklab.errors import EfklabError, PayloadError
from efklab.lambda_.transform import transform_payload
from efklab.opensearch import batches, bulk

DeadLetters = Callable[[list[dict[str, Any]]], str]


class DeliveryFailed(Exception):
    """Fails the invocation so Lambda retries it; ids make the re-sent documents overwrite, not duplicate."""


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
    summary.update(log_group=payload.log_group, log_stream=payload.log_stream, message_type=payload.message_type,
                   events=len(payload.log_events) + len(payload.invalid_events))
    if payload.is_control:
        return summary | {"outcome": "control-message", "dead_lettered": 0}
    actions, rejects = transform_payload(payload, config.options)  # rejects include events that broke the schema
    counter = _CountingPost(post)
    answers = [batches.answer_batch(batch, counter, policy=config.policy, sleep=sleep, bad_answer_fatal=False)
               for batch in batches.batch_actions(actions, max_count=len(actions) or 1, max_bytes=config.max_bytes)]
    context = {"request_id": request_id, "log_group": payload.log_group, "log_stream": payload.log_stream}
    failed = [(answer.failures[n], answer.actions[n]) for answer in answers for n in sorted(answer.failures)]
    letters = ([context | bulk.reject_letter(r) for r in rejects]
               + [context | bulk.dead_letter(r, a.source_line) for r, a in failed])
    folded = bulk.fold_tallies(
        bulk.ReplaySummary(), sent=Counter(a.index for a in actions), failed=Counter(a.index for _r, a in failed),
        created=sum(list(answer.statuses).count(batches.CREATED) for answer in answers), rejected=len(rejects),
        payloads=1,
    ).to_json()
    summary.update({k: folded[k] for k in ("attempted", "indexed", "created", "failed", "rejected")})
    summary.update(
        requests=counter.requests,
        retried_items=counter.items - len(actions),
        indices={k: v["indexed"] for k, v in folded["per_index"].items()},
        failed_items=[{"id": r.get("id"), "index": r.get("index"), "status": r.get("status"),
                       "type": _error_type(r.get("error"))} for r, _ in failed[:20]],
        outcome="ok" if not letters else "partial",
    )
    return _finish(summary, letters, dead_letters,
                   retryable=any(bulk.retryable_status(r.get("status")) or not r.get("status") for r, _ in failed))


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: ``efklab.deploy.handler.handler``."""
    started = time.monotonic()
    request_id = str(getattr(context, "aws_request_id", "") or "")
    try:
        state = _warm_state()
        config: HandlerConfig = state["config"]
        letters = _dead_letter_sink(config, state["session"], request_id) if config.dead_letter_url else None
        summary = process_event(event, config=config, post=state["post"], sleep=time.sleep, dead_letters=letters,
                                request_id=request_id)
    except EfklabError as exc:
        print(json.dumps({"efklab_lambda": __version__, "request_id": request_id, "outcome": "error",
                          "error": str(exc)}))
        raise
    summary["duration_ms"] = int((time.monotonic() - started) * 1000)
    print(json.dumps(summary, ensure_ascii=False))
    if summary["outcome"] == "failed":
        raise DeliveryFailed(f"{summary['failed']} items still failing after {config.policy.max_retries} retries "
                             "and no EFKLAB_DEAD_LETTER_URL")
    return summary


class _CountingPost:
    """Counts requests and items sent, for the summary (retried items = items sent - actions)."""

    def __init__(self, post: Post) -> None:
        self._post = post
        self.requests = 0
        self.items = 0

    def __call__(self, body: str | bytes) -> object:
        self.requests += 1
        self.items += (body.count(b"\n") if isinstance(body, bytes) else body.count("\n")) // 2
        return self._post(body)


def _finish(summary: dict[str, Any], letters: list[dict[str, Any]], dead_letters: DeadLetters | None, *,
            retryable: bool) -> dict[str, Any]:
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
        config = load_config(os.environ)
        box: dict[str, Any] = {}

        def session() -> Any:
            if "session" not in box:
                box["session"] = boto3.Session(region_name=config.region)
            return box["session"]

        _STATE.update(config=config, session=session, post=make_post(config, session))
    return _STATE


def _dead_letter_sink(config: HandlerConfig, session: Callable[[], Any], request_id: str) -> DeadLetters:
    """Writes one invocation's dead letters to the configured S3 prefix or SQS queue."""
    url = config.dead_letter_url or ""
    name = f"{datetime.now(UTC):%Y/%m/%d}/{request_id or int(time.time() * 1000)}"
    return lambda letters: aws.write_dead_letters(session(), url, letters, name=name)


def _error_type(error: Any) -> str:
    return str(error.get("type", "unknown")) if isinstance(error, Mapping) else "unknown"
