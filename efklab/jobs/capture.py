"""``efklab capture`` as a recipe: a log group's events -> the subscription payloads CloudWatch would deliver.

The log groups are named or found by prefix; each one's subscription filter says which pattern
applies and what ``subscriptionFilters`` holds.  Pages are assembled into payloads as
``efklab.cloudwatch.capture`` says, appended to the output and recorded in a checkpoint after every
page, so ``resume`` continues an interrupted capture without loss or duplicates.  Beside the output
goes ``OUT.filters.json``: the filters and the destination Lambda's configuration (redacted).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from efklab.adapters import aws
from efklab.adapters.files import read_json_file, write_json_atomic
from efklab.adapters.payloadfiles import append_lines, open_payload_output
from efklab.cloudwatch.capture import (
    CaptureLimits,
    CaptureQuery,
    PayloadAssembler,
    PayloadHeader,
    advance_checkpoint,
    capture_pages,
    capture_summary,
    check_checkpoint,
    choose_subscription_filter,
    filters_document,
    new_checkpoint,
    owner_from_arn,
    parse_duration,
    parse_time,
)
from efklab.cloudwatch.payloads import lambda_event_json, payload_json
from efklab.errors import EfklabError, InputError, RemoteError, UsageError

# Environment values of our own handler that say how it transforms; every other value is redacted.
NON_SECRET_HANDLER_VARIABLES = ("EFKLAB_MODE", "EFKLAB_INDEX_STRATEGY", "EFKLAB_PREFIX", "EFKLAB_TZ", "EFKLAB_SIGNING")


@dataclass(frozen=True, slots=True)
class CaptureSummary:
    """What a capture wrote: payloads and events in all and per log group, and the events it could not capture."""

    out: str
    filters: str
    payloads: int
    events: int
    rejected_events: int
    log_groups: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, Any]:
        return {"out": self.out, "filters": self.filters, "payloads": self.payloads, "events": self.events,
                "rejected_events": self.rejected_events, "log_groups": self.log_groups}


def capture(
    *, out: str, log_group: Sequence[str] = (), log_group_prefix: str | None = None, start: str | None = None,
    end: str | None = None, filter_pattern: str | None = None, subscription_filter: str | None = None,
    lambda_events: bool = False, profile: str | None = None, region: str | None = None, resume: bool = False,
    settle: str = "5m", page_size: int | None = None, say: Callable[[str], None] = lambda _: None,
    on_events: Callable[[int, str], None] = lambda _n, _group: None, sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time, make_session: Callable[..., Any] | None = None,
) -> CaptureSummary:
    """Capture the log groups' events into ``out`` as subscription payloads; see the module docstring.

    ``on_events`` is told after every page how many events it held and for which log group;
    ``say`` gets the notes (filters, rejected events).  ``make_session``: ``aws.make_session`` unless given.
    """
    make_session = make_session or aws.make_session
    if page_size is not None and not 1 <= page_size <= 10_000:
        raise UsageError("--page-size must be between 1 and 10000")
    now_ms = int(now() * 1000)
    start_ms = parse_time(start, now_ms=now_ms, option="--start") if start else None
    end_ms = parse_time(end, now_ms=now_ms, option="--end") if end else None
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise UsageError("--start is after --end")
    target = Path(out)
    checkpoint_path, filters_path = Path(f"{target}.checkpoint.json"), Path(f"{target}.filters.json")
    query = CaptureQuery(
        tuple(log_group or ()), log_group_prefix, start_ms, end_ms, filter_pattern, subscription_filter,
        lambda_events, parse_duration(settle, option="--settle"),
    )
    checkpoint = _load_checkpoint(checkpoint_path, query) if resume else None
    if resume and checkpoint is None:
        say(f"no checkpoint at {checkpoint_path}; starting from the beginning")

    session = make_session(profile=profile, region=region)
    logs = aws.make_client(session, "logs")
    retry: dict[str, Any] = {"sleep": sleep}
    groups = _resolve_groups(logs, query, checkpoint, retry)
    plans = [_plan_group(session, logs, group, query, retry, say) for group in groups]
    if checkpoint is None:
        checkpoint = new_checkpoint(query, [g.name for g in groups])

    write_json_atomic(filters_path, filters_document(session.region_name, query, plans, now_ms, checkpoint))
    rejects = 0
    encode = lambda_event_json if lambda_events else payload_json
    with open_payload_output(target, checkpoint["out_bytes"]) as raw:
        for plan in plans:
            name = plan["name"]
            state = checkpoint["groups"][name]
            if state["done"]:
                continue
            header = PayloadHeader(plan["owner"], name, tuple(plan["subscription_filters"]))
            assembler = PayloadAssembler(header, CaptureLimits(settle_ms=query.settle_ms))
            assembler.restore(state["pending"])
            pages = _pages(logs, plan, state, query, page_size, retry)
            for result in capture_pages(pages, assembler, source=name, first_page=state["page"]):
                for reject in result.rejects:
                    say(f"{reject.location()}: {reject.reason}")
                rejects += len(result.rejects)
                append_lines(raw, [encode(p) for p in result.payloads], gz=target.name.endswith(".gz"))
                checkpoint = advance_checkpoint(checkpoint, name, result, raw.tell())
                write_json_atomic(checkpoint_path, checkpoint)
                on_events(result.events, name)

    summary = capture_summary(checkpoint, str(target), str(filters_path), rejects)
    write_json_atomic(filters_path, filters_document(session.region_name, query, plans, now_ms, checkpoint))
    checkpoint_path.unlink(missing_ok=True)
    return CaptureSummary(**summary)


def _pages(logs: Any, plan: Mapping[str, Any], state: Mapping[str, Any], query: CaptureQuery, page_size: int | None,
           retry: dict[str, Any]) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """The group's remaining filter_log_events pages (none when only open batches were left)."""
    if state["page"] and not state["next_token"]:
        return  # the last page was read before the interruption
    pages = aws.iter_event_pages(
        logs, plan["name"], start_ms=query.start_ms, end_ms=query.end_ms, filter_pattern=plan["filter_pattern"],
        next_token=state["next_token"], page_size=page_size, **retry,
    )
    try:
        yield from pages
    except RemoteError as exc:
        if state["next_token"] and "InvalidParameterException" in exc.reason:
            raise RemoteError(f"{exc.reason} (page tokens expire; run without --resume to start over)",
                              source=exc.source) from exc
        raise


def _load_checkpoint(path: Path, query: CaptureQuery) -> dict[str, Any] | None:
    if not path.exists():
        return None
    return check_checkpoint(read_json_file(path, what="the checkpoint"), query, source=str(path))


def _resolve_groups(logs: Any, query: CaptureQuery, checkpoint: Mapping[str, Any] | None,
                    retry: dict[str, Any]) -> list[aws.LogGroup]:
    """The log groups to capture: named ones, or those found by prefix (the checkpoint's on resume)."""
    if query.log_groups:
        return [aws.get_log_group(logs, name, **retry) for name in dict.fromkeys(query.log_groups)]
    assert query.log_group_prefix is not None
    found = aws.find_log_groups(logs, query.log_group_prefix, **retry)
    if checkpoint is not None:
        by_name = {g.name: g for g in found}
        missing = [n for n in checkpoint["groups"] if n not in by_name]
        if missing:
            raise InputError(f"log group {missing[0]!r} of the checkpoint no longer exists", source="--resume")
        return [by_name[n] for n in checkpoint["groups"]]
    if not found:
        raise InputError(f"no log group starts with {query.log_group_prefix!r} in this account/region",
                         source="--log-group-prefix")
    return found


def _plan_group(session: Any, logs: Any, group: aws.LogGroup, query: CaptureQuery, retry: dict[str, Any],
                say: Callable[[str], None]) -> dict[str, Any]:
    """Which subscription filter a group's payloads are for, its pattern, and its destination."""
    filters = aws.describe_subscription_filters(logs, group.name, **retry)
    chosen, pattern, notes = choose_subscription_filter(
        group.name, filters, subscription_filter=query.subscription_filter, filter_pattern=query.filter_pattern)
    for note in notes:
        say(f"{group.name}: {note}")
    return {
        "name": group.name,
        "arn": group.arn,
        "owner": owner_from_arn(group.arn),
        "subscription_filters": [chosen["filterName"]] if chosen else [],
        "filter_pattern": pattern,
        "filters": [_describe_filter(session, f, retry) for f in filters],
        "notes": notes,
    }


def _describe_filter(session: Any, subscription: Mapping[str, Any], retry: dict[str, Any]) -> dict[str, Any]:
    """A subscription filter and what its destination is; a Lambda's configuration, redacted."""
    described = {k: subscription[k] for k in ("filterName", "filterPattern", "destinationArn", "distribution",
                                              "creationTime", "roleArn") if k in subscription}
    arn = str(subscription.get("destinationArn", ""))
    destination: dict[str, Any] = {"kind": aws.destination_kind(arn)}
    if destination["kind"] == "lambda":
        try:
            destination["configuration"] = aws.get_function_configuration(
                session, arn, keep=NON_SECRET_HANDLER_VARIABLES, **retry)
        except EfklabError as exc:  # the configuration is context, not the capture: record why it is missing
            destination["error"] = str(exc)
    described["destination"] = destination
    return described
