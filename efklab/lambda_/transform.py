"""The seed Lambda's ``transform()``: a subscription payload -> OpenSearch ``_bulk`` actions.

``mode="seed"`` is byte-identical to the seed's Node.js code (its index names, ``_type``, and
every JavaScript quirk of ``buildSource``); ``mode="opensearch"`` writes the same documents as
actions OpenSearch 2.x accepts, named by an index strategy and checked against OpenSearch's
rules.  Where the seed would throw (and fail the whole invocation), the event becomes a Reject
saying so and the other events still yield actions.  Every log event ends as exactly one
BulkAction or one Reject.

The hot path parses each message with orjson and prints the whole document with one orjson
call: as it is when the value provably prints as ``JSON.stringify`` prints it (no floats, no
integers past 2**53, no integer-like keys: ``jsontext.is_plain``), otherwise after
``jsontext.js_ready`` replaced what orjson would print differently; only lone surrogates take the
exact Python walk.  ``render_payload`` keeps orjson's UTF-8 as it is (``efklab transform``).
"""
from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from efklab.cloudwatch.payloads import LogEvent, Payload, encode_event
from efklab.errors import UsageError
from efklab.js.dates import MS_PER_DAY, civil_from_days, iso_timestamp, time_clip
from efklab.js.jsontext import JsonScanner, encode_plain_utf8, property_order, quote, quote_raw, stringify_utf8
from efklab.js.numbers import is_numeric, numeric_value
from efklab.model import Reject
from efklab.opensearch.bulk import BulkAction
from efklab.opensearch.indexnames import SEED_PREFIX, IndexStrategy, compile_index_strategy, seed_index_name

SEED = "seed"
OPENSEARCH = "opensearch"
MODES = (SEED, OPENSEARCH)
_THROWS = "the seed Lambda would throw {error} and fail the whole invocation"
SEED_THROWS_MARK = "the seed Lambda would throw"  # in a Reject's reason: the invocation fails as a whole
_NO_INDEX_OF = "TypeError: message.indexOf is not a function"
_ORDINAL = re.compile(r"\[(\d+)\]$")
MAX_TIME = 8_640_000_000_000_000  # jsdate.MAX_TIME_MS as an int, for the integer fast path


@dataclass(frozen=True)
class TransformOptions:
    """How payloads become actions (the CLI's --mode, --index-strategy, --prefix, --tz)."""

    mode: str = OPENSEARCH
    index_strategy: str = "seed"
    prefix: str = SEED_PREFIX
    tz: str = "UTC"


_new = object.__new__
_SETTERS = tuple(getattr(BulkAction, name).__set__
                 for name in ("index", "id", "action_line", "source_line", "source", "position"))


def _bulk_action(index: str, event_id: str, action_line: str, source_line: str, source: str | None,
                 position: str) -> BulkAction:
    """``BulkAction(...)`` without the frozen __init__'s per-field checks (the hot loop makes one per event)."""
    action = _new(BulkAction)
    set_index, set_id, set_action, set_source_line, set_source, set_position = _SETTERS
    set_index(action, index)
    set_id(action, event_id)
    set_action(action, action_line)
    set_source_line(action, source_line)
    set_source(action, source)
    set_position(action, position)
    return action


class _SeedThrows(Exception):
    """The seed's code would throw here; ``reason`` says what and why."""

    def __init__(self, reason: str, error: str) -> None:
        super().__init__(reason)
        self.reason = f"{reason}; {_THROWS.format(error=error)}"


class _Unsupported(Exception):
    """A shape efklab does not reproduce byte for byte; the event is rejected, never guessed."""


@dataclass(frozen=True)
class _Plan:
    mode: str
    strategy: IndexStrategy | None


@functools.lru_cache(maxsize=64)
def compile_options(options: TransformOptions) -> _Plan:
    """Validate options once; UsageError names the problem (unknown mode, field, zone ...)."""
    if options.mode not in MODES:
        raise UsageError(f"unknown mode {options.mode!r}: use seed or opensearch")
    if options.mode == SEED:
        for name, value, default in (
            ("--index-strategy", options.index_strategy, "seed"),
            ("--prefix", options.prefix, SEED_PREFIX),
            ("--tz", options.tz, "UTC"),
        ):
            if value != default:
                raise UsageError(f"{name} applies to --mode opensearch only: "
                                 "--mode seed names indices exactly as the seed Lambda does")
        return _Plan(SEED, None)
    return _Plan(OPENSEARCH, compile_index_strategy(options.index_strategy, prefix=options.prefix, tz=options.tz))


_local = threading.local()


def _scanner() -> JsonScanner:
    scanner = getattr(_local, "scanner", None)
    if scanner is None:
        scanner = _local.scanner = JsonScanner()
    return scanner


def transform_payload(p: Payload,
                      options: TransformOptions = TransformOptions()) -> tuple[list[BulkAction], list[Reject]]:
    """All actions of one payload in event order, and a Reject for every event that yields none."""
    actions: list[BulkAction] = []
    add = actions.append
    source = p.source
    where = "" if p.position is None else f"{p.position}:"

    def keep(index: str, event_id: str, action_line: str, source_line: bytes, ordinal: int) -> None:
        add(_bulk_action(index, event_id, action_line, source_line.decode("utf-8"), source,
                         f"{where}logEvents[{ordinal}]"))

    return actions, _each_event(p, options, keep)


def render_payload(p: Payload, options: TransformOptions = TransformOptions()) -> tuple[bytes, int, list[Reject]]:
    """One payload's ``_bulk`` body in UTF-8 (``render_bulk`` of its actions, encoded), its action count, its rejects.

    The source lines stay the bytes orjson printed: no text objects in between (efklab transform).
    """
    parts: list[bytes] = []
    add = parts.append

    def keep(index: str, event_id: str, action_line: str, source_line: bytes, ordinal: int) -> None:
        add(action_line.encode("utf-8"))
        add(source_line)

    rejects = _each_event(p, options, keep)
    if not parts:
        return b"", 0, rejects
    add(b"")
    return b"\n".join(parts), len(parts) // 2, rejects


def _each_event(p: Payload, options: TransformOptions,
                keep: Callable[[str, str, str, bytes, int], None]) -> list[Reject]:
    """Hand each event's (index, id, action line, source line, ordinal) to ``keep``; return the rejects."""
    plan = compile_options(options)
    if p.is_control:
        return []
    scanner = _scanner()
    seed = plan.mode == SEED
    group_json = quote(p.log_group)
    tail = _Tail(p.owner, p.log_group, p.log_stream)
    namer = None if seed else plan.strategy.for_stream(p.log_group, p.log_stream)  # type: ignore[union-attr]
    heads: dict[Any, tuple[str, str, str | None]] = {}  # day (seed) or index name -> (index, action head, problem)
    where = "" if p.position is None else f"{p.position}:"
    rejects: list[Reject] = []
    for k, event in enumerate(p.log_events):
        ordinal = k if event.ordinal is None else event.ordinal
        ts = event.timestamp
        ms = ts if type(ts) is int and -MAX_TIME <= ts <= MAX_TIME else time_clip(ts)
        try:
            source_line = _source_line(event, ms, scanner, tail)
        except _SeedThrows as exc:
            rejects.append(Reject("transform", exc.reason, p.source, f"{where}logEvents[{ordinal}]",
                                  encode_event(event)))
            continue
        except _Unsupported as exc:
            rejects.append(Reject("transform", str(exc), p.source, f"{where}logEvents[{ordinal}]", encode_event(event)))
            continue
        assert ms is not None
        if seed:
            day = ms // MS_PER_DAY
            head = heads.get(day)
            if head is None:
                index = seed_index_name(p.log_group, *civil_from_days(day))
                head = heads[day] = (index, f'{{"index":{{"_index":{quote(index)},"_type":{group_json},"_id":', None)
        else:
            index, problem = namer.name(ms)  # type: ignore[union-attr]
            head = heads.get(index)
            if head is None:
                head = heads[index] = (index, f'{{"index":{{"_index":{quote(index)},"_id":', problem)
        index, action_head, problem = head
        if problem is not None:
            rejects.append(Reject("index-name", problem, p.source, f"{where}logEvents[{ordinal}]", encode_event(event)))
            continue
        event_id = event.id
        if event_id.isdigit():  # CloudWatch's 56-digit ids need no escaping
            action_line = f'{action_head}"{event_id}"}}}}'
        else:
            action_line = action_head + (quote_raw(event_id) if event_id.isascii() else quote(event_id)) + "}}"
        keep(index, event_id, action_line, source_line, ordinal)
    if p.invalid_events:
        rejects = sorted([*p.invalid_events, *rejects], key=_reject_ordinal)
    return rejects


def _reject_ordinal(reject: Reject) -> int:
    match = _ORDINAL.search(str(reject.position or ""))
    return int(match.group(1)) if match else -1


@dataclass(frozen=True, slots=True)
class _Tail:
    """The payload-wide @ fields."""

    owner: str
    log_group: str
    log_stream: str


def _source_line(event: LogEvent, ms: int | None, scanner: JsonScanner, tail: _Tail) -> bytes:
    """``JSON.stringify(source)`` of the seed's document for one event (buildSource, then the @ fields), UTF-8."""
    fields = event.extracted_fields
    if fields is None:
        message = event.message
        brace = message.find("{")
        source, plain = _extract_json(message[brace:] if brace else message, scanner) if brace >= 0 else (None, True)
        if source is None:
            source, plain = {}, True
    else:
        source, plain = build_source_from_fields(fields, scanner), False
    if ms is None:
        raise _invalid_date(event)
    document = _with_at_fields(source, event, ms, tail)
    return encode_plain_utf8(document) if plain else stringify_utf8(document)


def _with_at_fields(source: dict[str, Any], event: LogEvent, ms: int, tail: _Tail) -> dict[str, Any]:
    """The seed's ``source['@id'] = …`` assignments on a dict we own (an existing key keeps its place)."""
    source["@id"] = event.id
    source["@timestamp"] = _iso(ms)
    source["@message"] = event.message
    source["@owner"] = tail.owner
    source["@log_group"] = tail.log_group
    source["@log_stream"] = tail.log_stream
    return source


_SECOND_PREFIX: dict[int, str] = {}  # second -> "YYYY-MM-DDTHH:MM:SS"
_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))


def _iso(ms: int) -> str:
    """``toISOString()``, the text up to the second cached (events come in bursts)."""
    second, millis = divmod(ms, 1000)
    prefix = _SECOND_PREFIX.get(second)
    if prefix is None:
        if len(_SECOND_PREFIX) > 65_536:
            _SECOND_PREFIX.clear()
        prefix = _SECOND_PREFIX[second] = iso_timestamp(second * 1000)[:-5]
    return prefix + _MILLIS[millis]


def _invalid_date(event: LogEvent) -> _SeedThrows:
    return _SeedThrows(f"timestamp {event.timestamp!r} is not a valid date",
                       "RangeError: Invalid time value (in toISOString)")


def _extract_json(text: str, scanner: JsonScanner) -> tuple[dict[str, Any] | None, bool]:
    """``extractJson``: the text from the first ``{`` if it is valid JSON (always an object then)."""
    try:
        value, plain = scanner.scan(text)
    except RecursionError as exc:
        raise _Unsupported(
            "the JSON in this message nests too deeply for efklab to reproduce the seed's output "
            "(node's JSON.stringify overflows its stack at a few thousand levels)"
        ) from exc
    except ValueError:
        return None, False
    return value, plain


def build_source_from_fields(fields: dict[str, Any], scanner: JsonScanner | None = None) -> dict[str, Any]:
    """The seed's ``buildSource`` for an event with ``extractedFields`` (JS semantics, fresh dict)."""
    scanner = scanner or _scanner()
    if "hasOwnProperty" in fields:
        raise _SeedThrows(
            "extractedFields has its own key 'hasOwnProperty', which hides the method buildSource calls",
            "TypeError: extractedFields.hasOwnProperty is not a function",
        )
    source: dict[str, Any] = {}
    for key in property_order(fields):
        value = fields[key]
        if not _truthy(value):
            continue
        if isinstance(value, str):
            number = numeric_value(value)
            if number is not None:  # isNumeric(value): 1 * value
                _assign(source, key, number)
                continue
            brace = value.find("{")
            if brace >= 0:
                parsed, _ = _extract_json(value[brace:], scanner)
                if parsed is not None:
                    source["$" + key] = parsed
            _assign(source, key, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if not is_numeric(value):  # Infinity: not numeric, and a number has no indexOf
                raise _SeedThrows(f"extractedFields[{key!r}] is Infinity: not numeric, so extractJson() gets a number",
                                  _NO_INDEX_OF)
            _assign(source, key, value)
        elif isinstance(value, list):
            raise _Unsupported(
                f"extractedFields[{key!r}] is an array; CloudWatch extracts strings, and efklab does not "
                "reproduce JavaScript's coercion of arrays"
            )
        else:
            kind = "true" if value is True else "an object"
            raise _SeedThrows(f"extractedFields[{key!r}] is {kind}, which extractJson() cannot search", _NO_INDEX_OF)
    return source


def _truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    return True


def _assign(source: dict[str, Any], key: str, value: Any) -> None:
    """``source[key] = value``: assigning a primitive to ``__proto__`` does nothing in JS."""
    if key != "__proto__":
        source[key] = value


def render_bulk(actions: Iterable[BulkAction]) -> str:
    """The ``_bulk`` body: action line and source line per action, each ending in a newline."""
    lines: list[str] = []
    for action in actions:
        lines.append(action.action_line)
        lines.append(action.source_line)
    if not lines:
        return ""
    lines.append("")
    return "\n".join(lines)


__all__ = [
    "MODES",
    "OPENSEARCH",
    "SEED",
    "SEED_THROWS_MARK",
    "BulkAction",
    "TransformOptions",
    "build_source_from_fields",
    "compile_options",
    "render_bulk",
    "render_payload",
    "transform_payload",
]
