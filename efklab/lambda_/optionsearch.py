"""Which efklab transform options reproduce a user's function, inferred from the indices it names.

Candidates are the seed mode, the built-in strategies, and templates read back from the
function's own index names: the event's date in a few common formats and the log group's
fields (namespace, container, …) are replaced by their ``{field}`` placeholders.  A candidate
counts only when it reproduces every body byte for byte (the caller checks).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from efklab.cloudwatch.payloads import Payload
from efklab.lambda_.transform import OPENSEARCH, SEED, TransformOptions
from efklab.opensearch.indexnames import BUILTIN_STRATEGIES, SEED_PREFIX, log_group_segment, sanitize_name_part

_PLACEHOLDER = re.compile(r"(\{[^{}]*\})")
_DIGIT_AFTER = re.compile(r"[.\-_]?\d")
_DIGIT_BEFORE = re.compile(r"\d[.\-_]?$")
DATE_FORMATS = ("%Y.%m.%d", "%Y-%m-%d", "%Y%m%d", "%Y.%m", "%Y-%m", "%Y.%W", "%Y")


def candidate_options(seen: Iterable[tuple[str, Payload, int]], *,
                      zones: Iterable[str] = ("UTC",)) -> list[TransformOptions]:
    """Options worth checking, most specific last: (index name, payload, event timestamp ms) samples."""
    found: list[TransformOptions] = [TransformOptions(mode=SEED)]
    found += [TransformOptions(mode=OPENSEARCH, index_strategy=name) for name in BUILTIN_STRATEGIES]
    for index, payload, timestamp in seen:
        for zone in zones:
            for template in infer_templates(index, payload, timestamp, zone):
                option = TransformOptions(mode=OPENSEARCH, index_strategy=template, tz=zone)
                if option not in found:
                    found.append(option)
    return found


def infer_templates(index: str, payload: Payload, timestamp: int, zone: str) -> Iterator[str]:
    """Templates that would give ``index`` for this event: its date and log-group fields as placeholders."""
    try:
        tz = UTC if zone == "UTC" else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return
    moment = datetime.fromtimestamp(timestamp / 1000, tz=tz)
    values = {
        "namespace": log_group_segment(payload.log_group, 5),
        "container": log_group_segment(payload.log_group, 6),
        "log_group": sanitize_name_part(payload.log_group),
        "log_group_name": payload.log_group[payload.log_group.rfind("/") + 1:],
        "log_stream": sanitize_name_part(payload.log_stream),
    }
    for fmt in DATE_FORMATS:
        text = moment.strftime(fmt)
        at = index.rfind(text)
        if at < 0:
            continue
        head, tail = index[:at], index[at + len(text):]
        if _DIGIT_AFTER.match(tail) or _DIGIT_BEFORE.search(head):
            continue  # part of a longer date: a finer format explains it
        yield _fields(head, values) + "{date:" + fmt + "}" + _fields(tail, values)


def _fields(text: str, values: dict[str, str | None]) -> str:
    """Replace each field's value (longest first, never inside a placeholder already set) by ``{field}``."""
    for name, value in sorted(values.items(), key=lambda item: -len(item[1] or "")):
        if value:
            pieces = _PLACEHOLDER.split(text)
            text = "".join(p if _PLACEHOLDER.fullmatch(p) else p.replace(value, "{" + name + "}") for p in pieces)
    return text


def options_text(options: TransformOptions) -> str:
    """The command-line options that select ``options`` (as ``efklab transform``/``replay`` take them)."""
    if options.mode == SEED:
        return "--mode seed"
    text = f"--mode opensearch --index-strategy '{options.index_strategy}'"
    if options.tz != "UTC":
        text += f" --tz {options.tz}"
    if options.prefix != SEED_PREFIX and "{prefix}" in options.index_strategy:
        text += f" --prefix {options.prefix}"
    return text
