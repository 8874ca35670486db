"""FilterLogEvents pages -> subscription payloads, exactly as CloudWatch delivers them to a Lambda.

CloudWatch Logs hands a subscription one payload per log-stream batch: the events of one
PutLogEvents call, all from one stream, in order.  ``filter_log_events`` returns the same
events with their ``ingestionTime`` (equal for the events of one put), so a batch here is the
events of one stream with one ingestion time, in listing order, cut further wherever
PutLogEvents' own limits would have cut it (10,000 events, 1,048,576 bytes counted as UTF-8 +
26 per event, a 24 h span; pipeline-facts §4.2).  Batches of one stream may overlap in time
(late events); they stay apart.  A batch closes once the time-ordered listing is ``settle``
past its ingestion time: an event of that put would have to be stamped further in the future
than that, relative to CloudWatch's clock (PutLogEvents allows up to 2 h: ``settle=2h`` is the
exact bound; the default 5 min keeps memory and checkpoints small).  Everything here is pure:
pages in, payload dicts out, and a JSON snapshot of the open batches so an interrupted
capture resumes exactly.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from efklab import units
from efklab.errors import InputError, UsageError
from efklab.model import Reject
from efklab.units import parse_age

CHECKPOINT_FORMAT = 2
_ARN = re.compile(r"^arn:[^:]+:logs:[^:]*:(\d{12}):log-group:")


@dataclass(frozen=True, slots=True)
class CaptureLimits:
    """PutLogEvents' batch limits, which bound every payload CloudWatch delivers."""

    max_events: int = 10_000
    max_bytes: int = 1_048_576
    event_overhead: int = 26
    max_span_ms: int = 24 * 3_600_000
    settle_ms: int = 5 * 60_000  # a put is complete once the listing is this far past its ingestion


@dataclass(frozen=True, slots=True)
class PayloadHeader:
    """What every payload of one log group carries besides its events."""

    owner: str
    log_group: str
    subscription_filters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageResult:
    """The outcome of one page: closed payloads, rejected events, and where to resume."""

    payloads: tuple[dict[str, Any], ...]
    rejects: tuple[Reject, ...]
    events: int
    next_token: str | None
    pending: dict[str, Any]
    done: bool


@dataclass(slots=True)
class _Batch:
    stream: str
    ingestion: int | None
    events: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0
    low: int = 0
    high: int = 0


def parse_duration(text: str, *, option: str) -> int:
    """Milliseconds from a duration such as 90s, 5m, 2h."""
    ms = None if text.strip().startswith("-") else parse_age(text)
    if ms is None:
        raise UsageError(f"cannot read the duration {text!r}: use e.g. 30s, 5m, 2h", source=option)
    return ms


def parse_time(text: str, *, now_ms: int, option: str = "--start") -> int:
    """Epoch ms from ISO 8601 (naive = UTC), epoch seconds/ms, ``now`` or an age like ``2h``."""
    try:
        return units.parse_time(text, now_ms=now_ms)
    except ValueError as exc:
        raise UsageError(str(exc), source=option) from None


def owner_from_arn(arn: str) -> str:
    """The account id (the payload's ``owner``) from a log group ARN."""
    match = _ARN.match(arn)
    if not match:
        raise InputError(f"not a CloudWatch Logs log group ARN: {arn!r}", source="describe_log_groups")
    return match.group(1)


def event_size(message: str) -> int:
    """PutLogEvents' size of one event: UTF-8 bytes of the message + 26."""
    return _utf8_size(message) + 26


def _utf8_size(message: str) -> int:
    return len(message) if message.isascii() else len(message.encode("utf-8", "surrogatepass"))


def _check_event(event: Mapping[str, Any], position: str) -> str | None:
    """Why an event cannot go into a payload, or None."""
    get = event.get
    if (type(get("logStreamName")) is str and type(get("eventId")) is str and type(get("message")) is str
            and type(get("timestamp")) is int):
        return None  # the shape the API always returns
    for name, kind in (("logStreamName", str), ("eventId", str), ("message", str), ("timestamp", int)):
        value = event.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{position}.{name}: missing or not a {kind.__name__}"
    return None


class PayloadAssembler:
    """Cuts one log group's events into per-stream, per-put payloads; ``feed`` pages, then ``flush``.

    State is the open batches, keyed by (stream, ingestion time), and the latest timestamp
    seen; ``pending()`` snapshots both as JSON so a checkpoint can ``restore`` them and
    resume without loss, duplicates or a different payload order.
    """

    def __init__(self, header: PayloadHeader, limits: CaptureLimits = CaptureLimits()) -> None:
        self._header = header
        self._limits = limits
        self._open: dict[tuple[str, int | None], _Batch] = {}
        self._cursor: int | None = None
        self._oldest: int | None = None  # lowest ingestion time among open batches (may be stale low)

    def feed(self, events: Iterable[Mapping[str, Any]], *, source: str = "",
             page: int = 0) -> tuple[list[dict[str, Any]], list[Reject]]:
        """Add one page of events; return the payloads it closed and the events it rejected."""
        closed: list[dict[str, Any]] = []
        rejects: list[Reject] = []
        for i, event in enumerate(events):
            position = f"page[{page}].events[{i}]"
            reason = _check_event(event, position)
            if reason is not None:
                rejects.append(Reject("capture", reason, source=source, position=position, item=dict(event)))
                continue
            closed.extend(self._add(event))
        return closed, rejects

    def flush(self) -> list[dict[str, Any]]:
        """Close every open batch, oldest ingestion first (opening order among equals)."""
        batches = sorted(self._open.values(), key=_ingestion_order)
        self._open, self._cursor, self._oldest = {}, None, None
        return [self._payload(b) for b in batches]

    def pending(self) -> dict[str, Any]:
        """The open batches and the cursor, JSON-ready."""
        return {
            "cursor": self._cursor,
            "batches": [{"stream": b.stream, "ingestion": b.ingestion, "events": list(b.events)}
                        for b in self._open.values()],
        }

    def restore(self, pending: Mapping[str, Any]) -> None:
        """Reopen the batches a checkpoint recorded."""
        self._open = {}
        self._cursor = pending.get("cursor")
        for snapshot in pending.get("batches", ()):
            batch = _Batch(str(snapshot["stream"]), snapshot.get("ingestion"))
            for event in snapshot["events"]:
                self._append(batch, event)
            self._open[(batch.stream, batch.ingestion)] = batch
        self._oldest = min((b.ingestion for b in self._open.values() if b.ingestion is not None), default=None)

    def _add(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        key = (event["logStreamName"], event.get("ingestionTime"))
        ts = event["timestamp"]
        message = event["message"]
        size = _utf8_size(message) + self._limits.event_overhead
        batch = self._open.get(key)
        closed: list[dict[str, Any]] = []
        if batch is not None and not self._fits(batch, ts, size):
            closed.append(self._payload(self._open.pop(key)))
            batch = None
        if batch is None:
            batch = _Batch(key[0], key[1], low=ts, high=ts)
            self._open[key] = batch
            if key[1] is not None and (self._oldest is None or key[1] < self._oldest):
                self._oldest = key[1]
        elif ts < batch.low:
            batch.low = ts
        elif ts > batch.high:
            batch.high = ts
        batch.size += size
        batch.events.append({"id": event["eventId"], "timestamp": ts, "message": message})
        if self._cursor is None or ts > self._cursor:
            self._cursor = ts
            if self._oldest is not None and self._oldest < ts - self._limits.settle_ms:
                closed.extend(self._close_passed())
        return closed

    def _close_passed(self) -> list[dict[str, Any]]:
        """Close the batches no later event is expected to join: the listing is ``settle`` past their ingestion."""
        assert self._cursor is not None
        horizon = self._cursor - self._limits.settle_ms
        if self._oldest is None or self._oldest >= horizon:
            return []  # the common case: nothing is old enough, no scan
        done = {k for k, b in self._open.items() if b.ingestion is not None and b.ingestion < horizon}
        self._oldest = min((b.ingestion for k, b in self._open.items() if b.ingestion is not None and k not in done),
                           default=None)
        batches = sorted((self._open.pop(k) for k in done), key=_ingestion_order)
        return [self._payload(b) for b in batches]

    def _fits(self, batch: _Batch, ts: int, size: int) -> bool:
        limits = self._limits
        return (
            len(batch.events) < limits.max_events
            and batch.size + size <= limits.max_bytes
            and max(batch.high, ts) - min(batch.low, ts) <= limits.max_span_ms
        )

    def _append(self, batch: _Batch, event: Mapping[str, Any]) -> None:
        """Re-add an event from a checkpoint snapshot (payload form: id, timestamp, message)."""
        ts = int(event["timestamp"])
        if not batch.events:
            batch.low = batch.high = ts
        batch.low, batch.high = min(batch.low, ts), max(batch.high, ts)
        message = event["message"]
        batch.size += _utf8_size(message) + self._limits.event_overhead
        batch.events.append({"id": event.get("id", event.get("eventId")), "timestamp": ts, "message": message})

    def _payload(self, batch: _Batch) -> dict[str, Any]:
        header = self._header
        return {
            "messageType": "DATA_MESSAGE",
            "owner": header.owner,
            "logGroup": header.log_group,
            "logStream": batch.stream,
            "subscriptionFilters": list(header.subscription_filters),
            "logEvents": list(batch.events),
        }


def _ingestion_order(batch: _Batch) -> tuple[bool, int]:
    """Sort key: batches with an ingestion time first, by it (stable sort keeps opening order)."""
    return (batch.ingestion is None, batch.ingestion or 0)


def capture_pages(
    pages: Iterable[tuple[Sequence[Mapping[str, Any]], str | None]],
    assembler: PayloadAssembler,
    *,
    source: str = "",
    first_page: int = 0,
) -> Iterator[PageResult]:
    """Fold pages of one log group into payloads; one result per page, the last one ``done``."""
    page = first_page
    for events, next_token in pages:
        payloads, rejects = assembler.feed(events, source=source, page=page)
        yield PageResult(tuple(payloads), tuple(rejects), len(events), next_token, assembler.pending(), False)
        page += 1
    yield PageResult(tuple(assembler.flush()), (), 0, None, {}, True)


def redact_function_configuration(config: Mapping[str, Any], keep: Iterable[str] = ()) -> dict[str, Any]:
    """A Lambda configuration safe to write down: environment values replaced, API metadata dropped."""
    keep_set = set(keep)
    out = {k: v for k, v in config.items() if k != "ResponseMetadata"}
    env = out.get("Environment")
    if isinstance(env, Mapping):
        variables = env.get("Variables") or {}
        out["Environment"] = {
            **{k: v for k, v in env.items() if k != "Variables"},
            "Variables": {k: (v if k in keep_set else "<redacted>") for k, v in variables.items()},
        }
    return out


def extracts_fields(filter_pattern: str) -> bool:
    """Whether a filter pattern is space-delimited (``[a, b, ...]``), whose payloads carry extractedFields."""
    return filter_pattern.strip().startswith("[")


def choose_subscription_filter(group: str, filters: Sequence[Mapping[str, Any]], *, subscription_filter: str | None,
                               filter_pattern: str | None) -> tuple[Mapping[str, Any] | None, str, list[str]]:
    """Which of a log group's subscription filters the capture is for, the filter pattern to apply, and notes.

    The named filter, else the group's only one; two or more without a name is a UsageError.  The
    pattern is ``filter_pattern`` when given, else the chosen filter's.  The notes say what the
    payloads will lack compared with CloudWatch's own deliveries.
    """
    names = [f["filterName"] for f in filters]
    chosen: Mapping[str, Any] | None = None
    if subscription_filter is not None:
        chosen = next((f for f in filters if f["filterName"] == subscription_filter), None)
        if chosen is None:
            raise InputError(
                f"log group {group!r} has no subscription filter {subscription_filter!r} "
                f"(it has: {', '.join(names) or 'none'})",
                source="--subscription-filter",
            )
    elif len(filters) == 1:
        chosen = filters[0]
    elif len(filters) > 1:
        raise UsageError(
            f"log group {group!r} has {len(filters)} subscription filters ({', '.join(names)}); "
            "choose the one whose deliveries to capture with --subscription-filter",
        )
    pattern = filter_pattern if filter_pattern is not None else (chosen or {}).get("filterPattern", "")
    notes = []
    if chosen is None:
        notes.append("no subscription filter: subscriptionFilters is empty and every event matching the pattern "
                     "is captured")
    if pattern and extracts_fields(pattern):
        notes.append(
            "the filter pattern is space-delimited: CloudWatch would add extractedFields to each event, "
            "which filter_log_events does not return, so documents built from this capture lack them"
        )
    return chosen, pattern, notes


@dataclass(frozen=True, slots=True)
class CaptureQuery:
    """What a capture asked for; a checkpoint only resumes the same query."""

    log_groups: tuple[str, ...]
    log_group_prefix: str | None
    start_ms: int | None
    end_ms: int | None
    filter_pattern: str | None
    subscription_filter: str | None
    lambda_events: bool
    settle_ms: int = CaptureLimits().settle_ms

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, as stored in checkpoints and the filters file."""
        return {
            "log_groups": list(self.log_groups),
            "log_group_prefix": self.log_group_prefix,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "filter_pattern": self.filter_pattern,
            "subscription_filter": self.subscription_filter,
            "lambda_events": self.lambda_events,
            "settle_ms": self.settle_ms,
        }


def new_checkpoint(query: CaptureQuery, groups: Sequence[str]) -> dict[str, Any]:
    """A checkpoint before anything was written."""
    return {
        "format": CHECKPOINT_FORMAT,
        "query": query.to_json(),
        "out_bytes": 0,
        "groups": {g: {"done": False, "next_token": None, "page": 0, "pending": {}, "payloads": 0, "events": 0}
                   for g in groups},
    }


def advance_checkpoint(checkpoint: Mapping[str, Any], group: str, result: PageResult, out_bytes: int) -> dict[str, Any]:
    """The checkpoint after ``result`` was written and the output file is ``out_bytes`` long."""
    state = dict(checkpoint["groups"][group])
    state.update(
        done=result.done,
        next_token=result.next_token,
        page=state["page"] + (0 if result.done else 1),
        pending=dict(result.pending),
        payloads=state["payloads"] + len(result.payloads),
        events=state["events"] + result.events,
    )
    return {**checkpoint, "out_bytes": out_bytes, "groups": {**checkpoint["groups"], group: state}}


def capture_summary(checkpoint: Mapping[str, Any], out: str, filters: str, rejects: int) -> dict[str, Any]:
    """Payloads and events written in all and per log group, and the events that could not be captured."""
    groups = {name: {"payloads": s["payloads"], "events": s["events"]} for name, s in checkpoint["groups"].items()}
    return {
        "out": out,
        "filters": filters,
        "payloads": sum(g["payloads"] for g in groups.values()),
        "events": sum(g["events"] for g in groups.values()),
        "rejected_events": rejects,
        "log_groups": groups,
    }


def filters_document(region: str | None, query: CaptureQuery, plans: Sequence[Mapping[str, Any]], now_ms: int,
                     checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """``OUT.filters.json``: the query, and each log group's filters and destination with what was captured."""
    groups = []
    for plan in plans:
        state = checkpoint["groups"].get(plan["name"], {})
        groups.append({**plan, "payloads": state.get("payloads", 0), "events": state.get("events", 0),
                       "complete": bool(state.get("done"))})
    return {
        "captured_at": datetime.fromtimestamp(now_ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z"),
        "region": region,
        "query": query.to_json(),
        "log_groups": groups,
    }


def check_checkpoint(data: Any, query: CaptureQuery, *, source: str) -> dict[str, Any]:
    """A loaded checkpoint, validated, for the same query (else a one-line error)."""
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"not an efklab capture checkpoint (format {CHECKPOINT_FORMAT})", source=source)
    stored = dict(data.get("query") or {})
    wanted = query.to_json()
    differing = sorted(k for k in wanted if stored.get(k) != wanted[k])
    if differing:
        raise UsageError(
            "the checkpoint belongs to a different capture (" + ", ".join(differing) + " differ); "
            "run without --resume to start over",
            source=source,
        )
    groups = data.get("groups")
    if not isinstance(groups, dict) or not isinstance(data.get("out_bytes"), int):
        raise InputError("checkpoint has no groups/out_bytes", source=source)
    return data
