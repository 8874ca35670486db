"""``efklab capture``: pull a log group's events with boto3 and write them as subscription payloads.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from efklab.cloudwatch.capture import (
    CaptureLimits,
    CaptureQuery,
    PayloadAssembler,
    PayloadHeader,
    advance_checkpoint,
    capture_pages,
    check_checkpoint,
    extracts_fields,
    new_checkpoint,
    owner_from_arn,
    parse_duration,
    parse_time,
)
from efklab.cloudwatch.payloads import payload_json, to_lambda_event
from efklab.errors import EfklabError, InputError, RemoteError, UsageError

if TYPE_CHECKING:  # boto3 loads when a capture runs
    from efklab.adapters import aws


# Environment values of our own handler that say how it transforms; every other value is redacted.
NON_SECRET_HANDLER_VARIABLES = ("EFKLAB_MODE", "EFKLAB_INDEX_STRATEGY", "EFKLAB_PREFIX", "EFKLAB_TZ", "EFKLAB_SIGNING")


def run(
    args: argparse.Namespace,
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
    make_session: Callable[..., Any] | None = None,
) -> int:
    """Capture; 0 when every event was written, 2 when some could not be (``make_session``:
    ``efklab.adapters.aws.make_session`` unless given)."""
    from tqdm import tqdm

    from efklab.adapters import aws

    make_session = make_session or aws.make_session
    if args.page_size is not None and not 1 <= args.page_size <= 10_000:
        raise UsageError("--page-size must be between 1 and 10000")
    now_ms = int(now() * 1000)
    start_ms = parse_time(args.start, now_ms=now_ms, option="--start") if args.start else None
    end_ms = parse_time(args.end, now_ms=now_ms, option="--end") if args.end else None
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise UsageError("--start is after --end")
    out = Path(args.out)
    paths = {"checkpoint": Path(f"{out}.checkpoint.json"), "filters": Path(f"{out}.filters.json")}
    query = CaptureQuery(
        tuple(args.log_group or ()), args.log_group_prefix, start_ms, end_ms, args.filter_pattern, args.subscription_filter,
        args.lambda_events, parse_duration(args.settle, option="--settle"),
    )
    checkpoint = _load_checkpoint(paths["checkpoint"], query) if args.resume else None
    if args.resume and checkpoint is None:
        print(f"efklab capture: no checkpoint at {paths['checkpoint']}; starting from the beginning", file=sys.stderr)

    session = make_session(profile=args.profile, region=args.region)
    logs = aws.make_client(session, "logs")
    retry: dict[str, Any] = {"sleep": sleep}
    groups = _resolve_groups(logs, query, checkpoint, retry)
    plans = [_plan_group(session, logs, group, query, retry) for group in groups]
    if checkpoint is None:
        checkpoint = new_checkpoint(query, [g.name for g in groups])

    _write_json(paths["filters"], _filters_document(session, query, plans, now_ms, checkpoint))
    rejects = 0
    encode = _lambda_event_line if args.lambda_events else payload_json
    with tqdm(unit=" events", disable=not sys.stderr.isatty(), file=sys.stderr, desc="capture") as bar, \
            _open_output(out, checkpoint["out_bytes"]) as raw:
        for plan in plans:
            name = plan["name"]
            state = checkpoint["groups"][name]
            if state["done"]:
                continue
            header = PayloadHeader(plan["owner"], name, tuple(plan["subscription_filters"]))
            assembler = PayloadAssembler(header, CaptureLimits(settle_ms=query.settle_ms))
            assembler.restore(state["pending"])
            pages = _pages(logs, plan, state, query, args.page_size, retry)
            for result in capture_pages(pages, assembler, source=name, first_page=state["page"]):
                for reject in result.rejects:
                    print(f"efklab capture: {reject.location()}: {reject.reason}", file=sys.stderr)
                rejects += len(result.rejects)
                _append(raw, [encode(p) for p in result.payloads], gz=out.name.endswith(".gz"))
                checkpoint = advance_checkpoint(checkpoint, name, result, raw.tell())
                _write_json(paths["checkpoint"], checkpoint)
                bar.update(result.events)
                bar.set_postfix_str(name[-40:], refresh=False)

    summary = _summary(checkpoint, out, paths["filters"], rejects)
    _write_json(paths["filters"], _filters_document(session, query, plans, now_ms, checkpoint))
    paths["checkpoint"].unlink(missing_ok=True)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    print(
        f"efklab capture: {summary['events']} events in {summary['payloads']} payloads from "
        f"{len(summary['log_groups'])} log group(s) -> {out} (filters: {paths['filters']})"
        + (f"; {rejects} events not captured" if rejects else ""),
        file=sys.stderr,
    )
    return 2 if rejects else 0


def _pages(logs: Any, plan: Mapping[str, Any], state: Mapping[str, Any], query: CaptureQuery, page_size: int | None, retry: dict[str, Any]) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """The group's remaining filter_log_events pages (none when only open batches were left)."""
    from efklab.adapters import aws

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
            raise RemoteError(f"{exc.reason} (page tokens expire; run without --resume to start over)", source=exc.source) from exc
        raise


def _load_checkpoint(path: Path, query: CaptureQuery) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the checkpoint: {exc}", source=str(path)) from exc
    return check_checkpoint(data, query, source=str(path))


def _resolve_groups(logs: Any, query: CaptureQuery, checkpoint: Mapping[str, Any] | None, retry: dict[str, Any]) -> list[aws.LogGroup]:
    """The log groups to capture: named ones, or those found by prefix (the checkpoint's on resume)."""
    from efklab.adapters import aws

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
        raise InputError(f"no log group starts with {query.log_group_prefix!r} in this account/region", source="--log-group-prefix")
    return found


def _plan_group(session: Any, logs: Any, group: aws.LogGroup, query: CaptureQuery, retry: dict[str, Any]) -> dict[str, Any]:
    """Which subscription filter a group's payloads are for, its pattern, and its destination."""
    from efklab.adapters import aws

    filters = aws.describe_subscription_filters(logs, group.name, **retry)
    names = [f["filterName"] for f in filters]
    chosen: dict[str, Any] | None = None
    if query.subscription_filter is not None:
        chosen = next((f for f in filters if f["filterName"] == query.subscription_filter), None)
        if chosen is None:
            raise InputError(
                f"log group {group.name!r} has no subscription filter {query.subscription_filter!r} "
                f"(it has: {', '.join(names) or 'none'})",
                source="--subscription-filter",
            )
    elif len(filters) == 1:
        chosen = filters[0]
    elif len(filters) > 1:
        raise UsageError(
            f"log group {group.name!r} has {len(filters)} subscription filters ({', '.join(names)}); "
            "choose the one whose deliveries to capture with --subscription-filter",
        )
    pattern = query.filter_pattern if query.filter_pattern is not None else (chosen or {}).get("filterPattern", "")
    notes = []
    if chosen is None:
        notes.append("no subscription filter: subscriptionFilters is empty and every event matching the pattern is captured")
    if pattern and extracts_fields(pattern):
        notes.append(
            "the filter pattern is space-delimited: CloudWatch would add extractedFields to each event, "
            "which filter_log_events does not return, so documents built from this capture lack them"
        )
    for note in notes:
        print(f"efklab capture: {group.name}: {note}", file=sys.stderr)
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
    from efklab.adapters import aws

    described = {k: subscription[k] for k in ("filterName", "filterPattern", "destinationArn", "distribution", "creationTime", "roleArn") if k in subscription}
    arn = str(subscription.get("destinationArn", ""))
    destination: dict[str, Any] = {"kind": aws.destination_kind(arn)}
    if destination["kind"] == "lambda":
        try:
            destination["configuration"] = aws.get_function_configuration(session, arn, keep=NON_SECRET_HANDLER_VARIABLES, **retry)
        except EfklabError as exc:  # the configuration is context, not the capture: record why it is missing
            destination["error"] = str(exc)
    described["destination"] = destination
    return described


def _filters_document(session: Any, query: CaptureQuery, plans: list[dict[str, Any]], now_ms: int, checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    groups = []
    for plan in plans:
        state = checkpoint["groups"].get(plan["name"], {})
        groups.append({**plan, "payloads": state.get("payloads", 0), "events": state.get("events", 0), "complete": bool(state.get("done"))})
    return {
        "captured_at": datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z"),
        "region": session.region_name,
        "query": query.to_json(),
        "log_groups": groups,
    }


def _summary(checkpoint: Mapping[str, Any], out: Path, filters: Path, rejects: int) -> dict[str, Any]:
    groups = {name: {"payloads": s["payloads"], "events": s["events"]} for name, s in checkpoint["groups"].items()}
    return {
        "out": str(out),
        "filters": str(filters),
        "payloads": sum(g["payloads"] for g in groups.values()),
        "events": sum(g["events"] for g in groups.values()),
        "rejected_events": rejects,
        "log_groups": groups,
    }


def _lambda_event_line(payload: Mapping[str, Any]) -> str:
    return json.dumps(to_lambda_event(payload), separators=(",", ":"))


def _open_output(out: Path, keep_bytes: int) -> BinaryIO:
    """The output file, cut back to what the checkpoint recorded (empty on a fresh start)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        raw = open(out, "r+b" if keep_bytes and out.exists() else "wb")  # noqa: SIM115 (closed by the caller's with)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(out)) from exc
    if keep_bytes:
        if os.fstat(raw.fileno()).st_size < keep_bytes:
            raw.close()
            raise InputError("shorter than its checkpoint says; run without --resume to start over", source=str(out))
        raw.seek(keep_bytes)
        raw.truncate()
    return raw


def _append(raw: BinaryIO, lines: list[str], *, gz: bool) -> None:
    """Append whole lines; with gzip each page is its own member, so a resume cuts at a member boundary."""
    if not lines:
        return
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    raw.write(gzip.compress(data, mtime=0) if gz else data)
    raw.flush()
    os.fsync(raw.fileno())


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write a small JSON file atomically (a crash never leaves half a checkpoint)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(path)) from exc
