"""What reaches the Lambda: fluent-plugin-cloudwatch-logs (v0.15) and CloudWatch Logs, emulated.

``put_batches`` turns the events fluentd emits into PutLogEvents requests as the plugin
builds them with the seed's settings: one buffer chunk per ``flush_interval`` of wall-clock
time, grouped by ``group_name`` / ``stream_name`` from the record, message = the record
dumped as JSON (yajl) after removing ``stream_name``, timestamp = ``floor(time.to_f * 1000)``,
events sorted by timestamp per stream and cut at 1,048,576 bytes (message + 26 per event),
10,000 events or a 24 h span.  ``deliver_payloads`` turns each request into the subscription
payload CloudWatch Logs hands the Lambda, with 56-digit event ids shaped like AWS's
(``int(id) >> 144 == timestamp``).  Pure: clock and randomness come in as arguments.
"""
from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from efklab.model import Reject

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
MAX_EVENT_BYTES = 1_048_576  # v0.15 (PR #265); 262,144 before, see OutputSettings.max_event_bytes
TOO_OLD_MS = 14 * 86400 * 1000  # PutLogEvents rejects events older than 14 days ...
TOO_NEW_MS = 2 * 3600 * 1000  # ... or more than 2 hours in the future


@dataclass(frozen=True, slots=True)
class Emitted:
    """One event as it reaches ``out_cloudwatch_logs``: event time, arrival (wall clock), record, source lines."""

    time_ns: int  # fluentd EventTime in nanoseconds
    emitted_ns: int  # wall-clock moment the event entered the output's buffer
    record: Mapping[str, Any]
    sources: tuple[str, ...] = ()  # "containers/<file>.log:<line>", for provenance


@dataclass(frozen=True, slots=True)
class PutEvent:
    """One event of a PutLogEvents request."""

    timestamp: int  # ms since the epoch
    message: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PutBatch:
    """One PutLogEvents request: a stream, its events in timestamp order, when it was sent."""

    log_group: str
    log_stream: str
    put_ns: int
    events: tuple[PutEvent, ...]

    @property
    def byte_size(self) -> int:
        """The size CloudWatch counts against the 1 MiB limit."""
        return sum(len(e.message.encode()) + EVENT_OVERHEAD_BYTES for e in self.events)


@dataclass(frozen=True, slots=True)
class OutputSettings:
    """The ``<match>`` block of ``out_cloudwatch_logs`` (defaults: the seed's ``@NORMAL`` label)."""

    log_group_name_key: str = "group_name"
    remove_log_group_name_key: bool = False
    log_stream_name_key: str = "stream_name"
    remove_log_stream_name_key: bool = True
    flush_interval_s: float = 5.0  # <buffer> flush_interval
    chunk_limit_bytes: int = 2 * 1024 * 1024  # <buffer> chunk_limit_size 2m
    max_events_per_batch: int = MAX_BATCH_EVENTS
    max_event_bytes: int = MAX_EVENT_BYTES
    message_keys: tuple[str, ...] = ()  # unset in the seed: the whole record is the message


@dataclass(frozen=True, slots=True)
class Subscription:
    """The subscription filter and account the payloads come from."""

    owner: str = "123456789012"
    filter_name: str = "LambdaStream_LogsToElasticsearch"
    delay_ms: tuple[int, int] = (300, 1500)  # ingestion -> Lambda invocation
    in_order_per_stream: bool = True  # False: a stream's payloads may overtake each other, as delays allow
    control_message: bool = False  # deliver CloudWatch's reachability check first


@dataclass(frozen=True, slots=True)
class Delivery:
    """A subscription payload (decoded JSON, key order as CloudWatch sends it) and its provenance."""

    deliver_ns: int
    payload: dict[str, Any]
    sources: tuple[tuple[str, ...], ...] = field(default=())  # per logEvent, same order


def dump_record(record: Mapping[str, Any]) -> str:
    """The record as ``Yajl::Encoder.encode`` writes it: compact, UTF-8 as is, ``/`` unescaped."""
    return _yajl(record)


def _yajl(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _yajl_string(value)
    if kind is dict:
        return "{" + ",".join(f"{_yajl_string(str(k))}:{_yajl(v)}" for k, v in value.items()) + "}"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _ruby_float(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_yajl_string(str(k))}:{_yajl(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_yajl(v) for v in value) + "]"
    if isinstance(value, str):
        return _yajl_string(value)
    return _yajl_string(str(value))


_YAJL_ESCAPES = {"\r": "\\r", "\n": "\\n", "\\": "\\\\", '"': '\\"', "\f": "\\f", "\b": "\\b", "\t": "\\t"}
_RARE_CONTROL = re.compile(r"[\x00-\x07\x0b\x0e-\x1f]")  # escaped as \u00XX: yajl upper-case, Python lower-case


def _yajl_string(text: str) -> str:
    if not _RARE_CONTROL.search(text):
        return json.dumps(text, ensure_ascii=False)  # the same bytes as yajl for everything else
    out = []
    for ch in text:
        if ch in _YAJL_ESCAPES:
            out.append(_YAJL_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u00{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _ruby_float(value: float) -> str:
    """``Float#to_s``: like Python's repr, but ``1.0e+20`` for ``1e+20``; NaN/Infinity refused as yajl does."""
    if not math.isfinite(value):
        raise ValueError(f"yajl refuses to encode {value!r}")
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent}"
    return text


def timestamp_ms(time_ns: int) -> int:
    """``(time.to_f * 1000).floor`` on a fluentd EventTime: float rounding included, as in Ruby."""
    to_f = time_ns // 10**9 + (time_ns % 10**9) / 1e9
    return math.floor(to_f * 1000)


def put_batches(emitted: Iterable[Emitted],
                settings: OutputSettings = OutputSettings()) -> tuple[list[PutBatch], list[Reject]]:
    """PutLogEvents requests, in the order the plugin sends them, and the events it cannot send."""
    batches: list[PutBatch] = []
    rejects: list[Reject] = []
    prepared = [p for p in (_prepare(e, settings, rejects) for e in sorted(emitted, key=lambda e: e.emitted_ns))
                if p is not None]
    for flush_ns, chunk in _buffer_chunks(prepared, settings):
        streams: dict[tuple[str, str], list[PutEvent]] = {}  # group_by [group, stream], first-seen order
        for _, key, event, _ in chunk:
            streams.setdefault(key, []).append(event)
        for (group, stream), events in streams.items():
            put = list(_split_requests(sorted(events, key=lambda e: e.timestamp), settings, group, rejects))
            batches += [PutBatch(group, stream, flush_ns, tuple(b)) for b in put]
    return batches, rejects


_Prepared = tuple[int, tuple[str, str], PutEvent, int]  # (emitted_ns, (group, stream), event, bytes in the buffer)


def _prepare(event: Emitted, settings: OutputSettings, rejects: list[Reject]) -> _Prepared | None:
    """Group, stream and message of one record as ``write`` computes them; None (and a reject) if unsendable."""
    record = dict(event.record)
    group = (record.pop(settings.log_group_name_key, None) if settings.remove_log_group_name_key
             else record.get(settings.log_group_name_key))
    stream = (record.pop(settings.log_stream_name_key, None) if settings.remove_log_stream_name_key
              else record.get(settings.log_stream_name_key))
    where = event.sources[0] if event.sources else None
    if not isinstance(group, str) or not isinstance(stream, str) or not group or not stream:
        rejects.append(_reject(f"record has no usable {settings.log_group_name_key!r}/{settings.log_stream_name_key!r}",
                               event, where))
        return None
    try:
        message = (" ".join(str(record.get(k, "")) for k in settings.message_keys) if settings.message_keys
                   else dump_record(record))
    except ValueError as exc:
        rejects.append(_reject(str(exc), event, where))
        return None
    size = len(message.encode()) + len(group) + len(stream) + 16  # the msgpack'd [tag, time, record], roughly
    return event.emitted_ns, (group, stream), PutEvent(timestamp_ms(event.time_ns), message, event.sources), size


def _buffer_chunks(prepared: Sequence[_Prepared], settings: OutputSettings) -> Iterator[tuple[int, list[_Prepared]]]:
    """fluentd's buffer with no chunk keys: a chunk opens with its first event and is flushed
    ``flush_interval`` later, or as soon as it would exceed ``chunk_limit_size``."""
    interval_ns = round(settings.flush_interval_s * 1e9)
    chunk: list[_Prepared] = []
    opened = size = 0
    for item in prepared:
        emitted_ns, _, _, approx = item
        if chunk and (emitted_ns >= opened + interval_ns or size + approx > settings.chunk_limit_bytes):
            yield (opened + interval_ns if emitted_ns >= opened + interval_ns else emitted_ns), chunk
            chunk, size = [], 0
        if not chunk:
            opened = emitted_ns
        chunk.append(item)
        size += approx
    if chunk:
        yield opened + interval_ns, chunk


def _split_requests(events: Sequence[PutEvent], settings: OutputSettings, group: str,
                    rejects: list[Reject]) -> Iterator[list[PutEvent]]:
    """``put_events_by_chunk``: close a request before it passes 1 MiB, 10,000 events or a 24 h span."""
    chunk: list[PutEvent] = []
    total = 0
    for event in events:
        size = len(event.message.encode()) + EVENT_OVERHEAD_BYTES
        if size > settings.max_event_bytes:
            reason = (f"log event in {group} is {size} bytes, over the {settings.max_event_bytes}-byte limit; "
                      "the plugin raises TooLargeEventError and does not send it")
            rejects.append(_reject_event(reason, event, {"timestamp": event.timestamp, "bytes": size}))
            continue
        span = bool(chunk) and event.timestamp - chunk[0].timestamp >= MAX_BATCH_SPAN_MS
        if chunk and (total + size > MAX_BATCH_BYTES or span or len(chunk) >= settings.max_events_per_batch):
            yield chunk
            chunk, total = [], 0
        chunk.append(event)
        total += size
    if chunk:
        yield chunk


def _reject(reason: str, event: Emitted, where: str | None) -> Reject:
    source, line = _split_source(where)
    return Reject("cloudwatch", reason, source, line, {"time_ns": event.time_ns, "sources": list(event.sources)})


def _reject_event(reason: str, event: PutEvent, item: dict[str, Any]) -> Reject:
    source, line = _split_source(event.sources[0] if event.sources else None)
    return Reject("cloudwatch", reason, source, line, {**item, "sources": list(event.sources)})


def _split_source(where: str | None) -> tuple[str | None, str | None]:
    """``file:line`` -> (file, line); a bare name -> (name, None)."""
    if not where:
        return None, None
    source, sep, line = where.rpartition(":")
    return (source, line) if sep and line.isdigit() else (where, None)


def deliver_payloads(batches: Iterable[PutBatch], rng: random.Random,
                     subscription: Subscription = Subscription()) -> tuple[list[Delivery], list[Reject]]:
    """Subscription payloads in delivery order, ids increasing per stream, and the events CloudWatch refuses."""
    deliveries: list[Delivery] = []
    rejects: list[Reject] = []
    counters: dict[tuple[str, str], int] = {}
    last_ingest: dict[tuple[str, str], int] = {}
    last_delivery: dict[tuple[str, str], int] = {}
    for batch in batches:
        accepted = []
        put_ms = batch.put_ns // 10**6
        for event in batch.events:
            if event.timestamp < put_ms - TOO_OLD_MS or event.timestamp > put_ms + TOO_NEW_MS:
                reason = "PutLogEvents rejects events more than 14 days old or 2 hours ahead of ingestion"
                rejects.append(_reject_event(reason, event, {"timestamp": event.timestamp, "put_ms": put_ms}))
            else:
                accepted.append(event)
        if not accepted:
            continue
        key = (batch.log_group, batch.log_stream)
        if key not in counters:
            counters[key] = rng.getrandbits(72) << 6  # opaque low bits, room for 2**6 * 2**72 events
        ingest_ms = max(put_ms + rng.randint(5, 120), last_ingest.get(key, 0))
        last_ingest[key] = ingest_ms
        ids = []
        for event in accepted:
            counters[key] += 1
            ids.append(make_event_id(event.timestamp, ingest_ms, counters[key]))
        payload = {
            "messageType": "DATA_MESSAGE",
            "owner": subscription.owner,
            "logGroup": batch.log_group,
            "logStream": batch.log_stream,
            "subscriptionFilters": [subscription.filter_name],
            "logEvents": [{"id": i, "timestamp": e.timestamp, "message": e.message}
                          for i, e in zip(ids, accepted, strict=True)],
        }
        deliver_ns = (ingest_ms + rng.randint(*subscription.delay_ms)) * 10**6
        if subscription.in_order_per_stream:
            deliver_ns = max(deliver_ns, last_delivery.get(key, 0) + 1)
            last_delivery[key] = deliver_ns
        deliveries.append(Delivery(deliver_ns, payload, tuple(e.sources for e in accepted)))
    deliveries.sort(key=lambda d: d.deliver_ns)
    if subscription.control_message and deliveries:
        deliveries.insert(0, Delivery(deliveries[0].deliver_ns, control_payload(deliveries[0].deliver_ns // 10**6)))
    return deliveries, rejects


def make_event_id(timestamp: int, ingest_ms: int, sequence: int) -> str:
    """A 56-digit id as AWS's samples show them: timestamp in the bits above 144, ingestion time above 80."""
    value = (timestamp << 144) | ((ingest_ms & (2**64 - 1)) << 80) | (sequence & (2**80 - 1))
    return f"{value:056d}"


def control_payload(timestamp: int) -> dict[str, Any]:
    """The CONTROL_MESSAGE CloudWatch Logs sends to check that a destination is reachable.

    Shape and wording follow AWS's documented sample (which names a Kinesis stream).
    """
    return {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": timestamp,
                       "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda function."}],
    }


def data_events(deliveries: Iterable[Delivery]) -> int:
    """Log events in DATA_MESSAGE payloads (the control message's event is not a log line)."""
    return sum(len(d.payload["logEvents"]) for d in deliveries if d.payload["messageType"] == "DATA_MESSAGE")


def by_delivery_day(deliveries: Iterable[Delivery]) -> dict[str, list[Delivery]]:
    """Payloads grouped by the UTC day (``YYYY-MM-DD``) they were delivered, in delivery order."""
    days: dict[str, list[Delivery]] = {}
    for d in deliveries:
        day = datetime.fromtimestamp(d.deliver_ns // 10**9, tz=UTC).strftime("%Y-%m-%d")
        days.setdefault(day, []).append(d)
    return days
