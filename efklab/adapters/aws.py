"""Everything that talks to AWS: sessions, CloudWatch Logs reads, Lambda lookups, SigV4.

The only module that imports boto3/botocore.  Credentials come from the standard chain
(environment, shared files, ``--profile``, instance/task roles) and are never printed.
Throttling is retried by botocore (standard retry mode) and, beyond that, by an explicit
exponential backoff whose ``sleep`` is a parameter so tests pass a fake.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

from efklab.cloudwatch.capture import redact_function_configuration
from efklab.errors import InputError, RemoteError, UsageError

T = TypeVar("T")
SQS_MAX_BYTES = 262_144

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "RequestThrottled",
        "SlowDown",
    }
)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``attempts`` tries in all, ``base * 2**n`` seconds apart, at most ``cap``."""

    attempts: int = 6
    base: float = 1.0
    cap: float = 30.0

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        return float(min(self.cap, self.base * (2**retry)))


@dataclass(frozen=True, slots=True)
class LogGroup:
    """A log group as ``describe_log_groups`` describes it."""

    name: str
    arn: str


def make_session(*, profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session from the standard chain, optionally a named profile and region."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise UsageError(f"AWS profile {profile!r} not found in the shared config files", source="--profile") from exc
    if not session.region_name:
        raise UsageError("no AWS region: pass --region or set AWS_REGION (or a region in the profile)")
    return session


def make_client(session: boto3.Session, service: str, *, max_attempts: int | None = None) -> Any:
    """A client with botocore's standard retry mode (throttling retried with jittered backoff).

    The number of attempts is botocore's own setting (``AWS_MAX_ATTEMPTS`` or ``max_attempts``
    in the profile; 3 by default) unless ``max_attempts`` is given.
    """
    retries: dict[str, Any] = {"mode": "standard"}
    if max_attempts is not None:
        retries["total_max_attempts"] = max_attempts
    config = botocore.config.Config(retries=retries, user_agent_extra="efklab")
    return session.client(service, config=config)


def describe_error(exc: BaseException) -> str:
    """One line for an AWS failure, never containing credentials."""
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', '').strip() or 'no message'}"
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found (environment, shared files, --profile or an instance role)"
    return f"{type(exc).__name__}: {exc}"


def call_with_backoff(
    call: Callable[[], T], *, what: str, backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run one AWS call, retrying throttling with backoff; other failures become one-line errors."""
    for retry in range(backoff.attempts):
        try:
            return call()
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLING_CODES and retry + 1 < backoff.attempts:
                sleep(backoff.delay(retry))
                continue
            if code == "ResourceNotFoundException":
                raise InputError(describe_error(exc), source=what) from exc
            raise RemoteError(describe_error(exc), source=what) from exc
        except (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError) as exc:
            raise RemoteError(describe_error(exc), source=what) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise RemoteError(describe_error(exc), source=what) from exc
    raise AssertionError("unreachable: the last attempt returns or raises")


def find_log_groups(
    logs: Any, prefix: str, *, backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep
) -> list[LogGroup]:
    """Every log group whose name starts with ``prefix``, in name order."""
    groups: list[LogGroup] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupNamePrefix": prefix}
        if token:
            kwargs["nextToken"] = token
        page = call_with_backoff(partial(logs.describe_log_groups, **kwargs), what="describe_log_groups",
                                 backoff=backoff, sleep=sleep)
        groups.extend(LogGroup(g["logGroupName"], g.get("logGroupArn") or g["arn"].removesuffix(":*"))
                      for g in page.get("logGroups", []))
        token = page.get("nextToken")
        if not token:
            return sorted(groups, key=lambda g: g.name)


def get_log_group(logs: Any, name: str, **retry: Any) -> LogGroup:
    """The log group called exactly ``name``; InputError when it does not exist."""
    for group in find_log_groups(logs, name, **retry):
        if group.name == name:
            return group
    raise InputError(f"log group {name!r} not found in this account/region", source="--log-group")


def iter_event_pages(
    logs: Any,
    log_group: str,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    filter_pattern: str | None = None,
    next_token: str | None = None,
    page_size: int | None = None,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """``filter_log_events`` page by page: (events, token to resume after this page)."""
    token = next_token
    while True:
        kwargs: dict[str, Any] = {"logGroupName": log_group}
        if start_ms is not None:
            kwargs["startTime"] = start_ms
        if end_ms is not None:
            kwargs["endTime"] = end_ms
        if filter_pattern:
            kwargs["filterPattern"] = filter_pattern
        if page_size:
            kwargs["limit"] = page_size
        if token:
            kwargs["nextToken"] = token
        page = call_with_backoff(partial(logs.filter_log_events, **kwargs), what=f"filter_log_events {log_group}",
                                 backoff=backoff, sleep=sleep)
        token = page.get("nextToken")
        yield list(page.get("events", [])), token
        if not token:
            return


def describe_subscription_filters(logs: Any, log_group: str, **retry: Any) -> list[dict[str, Any]]:
    """The subscription filters of a log group (at most two), as the API returns them."""
    filters: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": log_group}
        if token:
            kwargs["nextToken"] = token
        page = call_with_backoff(
            partial(logs.describe_subscription_filters, **kwargs),
            what=f"describe_subscription_filters {log_group}", **retry
        )
        filters.extend(page.get("subscriptionFilters", []))
        token = page.get("nextToken")
        if not token:
            return filters


def get_function_configuration(session: boto3.Session, function_arn: str, *, keep: Sequence[str] = (),
                               **retry: Any) -> dict[str, Any]:
    """A Lambda function's configuration with its environment values redacted (except the ``keep`` names)."""
    region = function_arn.split(":")[3] if function_arn.count(":") >= 6 else session.region_name
    client = session.client("lambda", region_name=region)
    config = call_with_backoff(lambda: client.get_function_configuration(FunctionName=function_arn),
                               what="get_function_configuration", **retry)
    return redact_function_configuration(config, keep=keep)


def destination_kind(arn: str) -> str:
    """lambda, kinesis, firehose, logs (a cross-account destination) or the ARN's service."""
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else "unknown"


# --- SigV4 ---------------------------------------------------------------------------------


def _add_auth_at(auth: botocore.auth.SigV4Auth, request: botocore.awsrequest.AWSRequest, now: datetime) -> None:
    """``auth.add_auth(request)`` with the signing time as a parameter (for test vectors and replays).

    The steps of botocore's own ``add_auth``, with ``now`` in place of its clock.
    """
    request.context["timestamp"] = now.astimezone(UTC).strftime(botocore.auth.SIGV4_TIMESTAMP)
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    auth._inject_signature_to_request(request, signature)


def sign_request(
    method: str,
    url: str,
    *,
    headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    body: bytes = b"",
    credentials: botocore.credentials.Credentials | botocore.credentials.ReadOnlyCredentials,
    region: str,
    service: str = "es",
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """The request's headers with SigV4 added (Authorization, X-Amz-Date, token if any).

    Built on botocore's ``SigV4Auth`` over an ``AWSRequest``; ``now`` fixes the signing
    time (default: the current time, as botocore does).
    """
    creds = botocore.credentials.Credentials(credentials.access_key, credentials.secret_key, credentials.token)
    request = botocore.awsrequest.AWSRequest(method=method.upper(), url=url, data=body)
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    for name, value in pairs:
        request.headers[name] = value  # HTTPMessage semantics: a repeated name adds a value
    if service == "aoss" and "x-amz-content-sha256" not in request.headers:
        # OpenSearch Serverless requires the payload hash as a header.
        request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    auth = botocore.auth.SigV4Auth(creds, service, region)
    if now is None:
        auth.add_auth(request)
    else:
        _add_auth_at(auth, request, now)
    return [(name, value) for name, value in request.headers.items()]


def resolve_credentials(session: boto3.Session | None = None) -> botocore.credentials.ReadOnlyCredentials:
    """Frozen credentials from the standard chain; RemoteError when there are none."""
    creds = (session or boto3.Session()).get_credentials()
    if creds is None:
        raise RemoteError("no AWS credentials found for SigV4 signing (environment, shared files or a role)")
    return creds.get_frozen_credentials()


# --- dead letters --------------------------------------------------------------------------


def write_dead_letters(session: boto3.Session, url: str, records: Sequence[Mapping[str, Any]], *, name: str) -> str:
    """Write records to ``s3://bucket/prefix`` (one JSONL object) or an SQS queue URL; return where."""
    lines = [json.dumps(r, ensure_ascii=False, default=str) for r in records]
    if url.startswith("s3://"):
        bucket, _, prefix = url[5:].partition("/")
        key = f"{prefix}{'' if not prefix or prefix.endswith('/') else '/'}{name}.jsonl"
        s3 = session.client("s3")
        call_with_backoff(
            lambda: s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode(),
                                  ContentType="application/x-ndjson"),
            what=f"dead letters s3://{bucket}/{key}",
        )
        return f"s3://{bucket}/{key}"
    too_big = [i for i, line in enumerate(lines) if len(line.encode()) > SQS_MAX_BYTES]
    if too_big:
        raise RemoteError(
            f"{len(too_big)} dead letter(s) exceed SQS's {SQS_MAX_BYTES} bytes per message; "
            "use an s3:// dead-letter destination",
            source="EFKLAB_DEAD_LETTER_URL",
        )
    sqs = session.client("sqs")
    for start in range(0, len(lines), 10):
        batch = [{"Id": str(i), "MessageBody": line} for i, line in enumerate(lines[start : start + 10], start)]
        answer = call_with_backoff(partial(sqs.send_message_batch, QueueUrl=url, Entries=batch),
                                   what="dead letters sqs")
        if answer.get("Failed"):
            failed = answer["Failed"][0]
            raise RemoteError(f"SQS refused dead letter {failed.get('Id')}: {failed.get('Code')} "
                              f"{failed.get('Message', '')}", source=url)
    return url
