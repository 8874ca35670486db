"""Index names: the seed's naming, the AWS blueprint's, user templates, and OpenSearch's rules.

A strategy is compiled once (unknown template fields and names OpenSearch would refuse fail
there, as a UsageError); per log stream it becomes a :class:`StreamIndexNamer` whose per-event
call is a dictionary lookup for every day after the first.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from efklab.errors import IndexNameError, UsageError
from efklab.js.dates import MS_PER_DAY, civil_from_days, two_digits

MAX_INDEX_NAME_BYTES = 255
# OpenSearch's Strings.INVALID_FILENAME_CHARS, in the order its HashSet prints in error messages.
INVALID_FILENAME_CHARS = '[ , ", *, \\, <, |, ,, >, /, ?]'
_INVALID_CHARS = frozenset('\\/*?"<>| ,')
_UNSAFE_IN_PART = re.compile(r'[\\/*?"<>| ,#:]+')

SEED_PREFIX = "mydata"
BUILTIN_STRATEGIES: dict[str, str] = {
    "seed": "{prefix}-{namespace}-{container}-{date:%Y.%m.%d}",
    "cwl": "cwl-{date:%Y.%m.%d}",
    "cwl-group": "cwl-{log_group_name}-{date:%Y.%m.%d}",
}
TEMPLATE_FIELDS: dict[str, str] = {
    "prefix": "the --prefix option",
    "namespace": "segment 5 of the lower-cased log group split on '/' (the seed's namespace)",
    "container": "segment 6 of the lower-cased log group split on '/' (the seed's container)",
    "log_group": "the log group, lower-cased, characters OpenSearch forbids replaced by '-'",
    "log_group_name": "the last segment of the log group, as is (the seed's first snippet)",
    "log_stream": "the log stream, lower-cased, characters OpenSearch forbids replaced by '-'",
    "date": "the event date in --tz, strftime format after ':' (default %Y.%m.%d)",
}
_DEFAULT_DATE_FORMAT = "%Y.%m.%d"
_DATE_ONLY = re.compile(r"(?:[^%]|%[YmdyjbBaAUWGVuw%])*")  # formats that change only at midnight
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def index_name_problem(name: str) -> str | None:
    """OpenSearch's message refusing ``name`` for a new index (MetadataCreateIndexService), or None."""
    desc = None
    if not _INVALID_CHARS.isdisjoint(name):
        desc = f"must not contain the following characters {INVALID_FILENAME_CHARS}"
    elif not name:
        desc = "must not be empty"
    elif "#" in name:
        desc = "must not contain '#'"
    elif ":" in name:
        desc = "must not contain ':'"
    elif name[0] in "_-+":
        desc = "must not start with '_', '-', or '+'"
    elif len(name.encode("utf-8", "surrogatepass")) > MAX_INDEX_NAME_BYTES:
        desc = f"index name is too long, ({len(name.encode('utf-8', 'surrogatepass'))} > {MAX_INDEX_NAME_BYTES})"
    elif name in (".", ".."):
        desc = "must not be '.' or '..'"
    elif name.lower() != name:
        desc = "must be lowercase"
    return None if desc is None else f"Invalid index name [{name}], {desc}"


def check_index_name(name: str, *, source: str | None = None, position: str | int | None = None) -> str:
    """Return ``name`` if OpenSearch would create it, else raise IndexNameError with its reason."""
    problem = index_name_problem(name)
    if problem is not None:
        raise IndexNameError(problem, source=source, position=position)
    return name


def log_group_segment(log_group: str, n: int) -> str | None:
    """``logGroup.toLowerCase().split('/')[n]``, None where JS would give ``undefined``."""
    parts = log_group.lower().split("/")
    return parts[n] if n < len(parts) else None


def seed_index_name(log_group: str, year: int, month: int, day: int) -> str:
    """The seed Lambda's index name, ``undefined`` segments and all."""
    namespace = log_group_segment(log_group, 5)
    container = log_group_segment(log_group, 6)
    return (
        f"{SEED_PREFIX}-{'undefined' if namespace is None else namespace}-"
        f"{'undefined' if container is None else container}-{year}.{two_digits(month)}.{two_digits(day)}"
    )


def sanitize_name_part(text: str) -> str:
    """Lower-case ``text`` and replace runs of characters OpenSearch forbids by ``-``."""
    return _UNSAFE_IN_PART.sub("-", text.lower()).strip("-")


@dataclass(frozen=True)
class _Part:
    literal: str
    field: str | None
    date_format: str | None


@dataclass(frozen=True)
class IndexStrategy:
    """A compiled naming strategy: ``seed``, ``cwl``, ``cwl-group`` or a ``{field}`` template."""

    spec: str
    template: str
    prefix: str
    tz: str
    parts: tuple[_Part, ...] = field(repr=False)
    zone: ZoneInfo | None = field(repr=False)  # None means UTC

    def for_stream(self, log_group: str, log_stream: str) -> StreamIndexNamer:
        """The namer for one (log group, log stream): every field but the date is fixed here."""
        values: dict[str, str | None] = {
            "prefix": self.prefix,
            "namespace": log_group_segment(log_group, 5),
            "container": log_group_segment(log_group, 6),
            "log_group": sanitize_name_part(log_group),
            "log_group_name": log_group[log_group.rfind("/") + 1 :],
            "log_stream": sanitize_name_part(log_stream),
        }
        problem = None
        for part in self.parts:
            if part.field in ("namespace", "container") and values[part.field] is None:
                n = 5 if part.field == "namespace" else 6
                problem = (
                    f"log group {log_group!r} has no segment {n} ({part.field}) when split on '/'; "
                    f"the seed Lambda would name the index with 'undefined' there"
                )
                break
        return StreamIndexNamer(self, values, problem)


class StreamIndexNamer:
    """Index names for the events of one log stream, cached per day, per minute (--tz) or per instant."""

    __slots__ = ("_cache", "_granularity", "_strategy", "_values", "problem")

    def __init__(self, strategy: IndexStrategy, values: dict[str, str | None], problem: str | None) -> None:
        self._strategy = strategy
        self._values = values
        self.problem = problem  # a reason that applies to every event of the stream
        self._cache: dict[int, tuple[str, str | None]] = {}
        date_only = all(p.date_format is None or _DATE_ONLY.fullmatch(p.date_format) for p in strategy.parts)
        # A name with only date fields changes at UTC midnight, or (in a zone) on a minute boundary.
        self._granularity = (MS_PER_DAY if strategy.zone is None else 60_000) if date_only else 1

    def name(self, ms: int) -> tuple[str, str | None]:
        """(index name, None) or (best-effort name, reason OpenSearch or efklab refuses it)."""
        key = ms // self._granularity
        hit = self._cache.get(key)
        if hit is None:
            hit = self._render(ms)
            if self._granularity != 60_000 or _steady_minute(self._strategy.zone, key * 60_000):
                self._cache[key] = hit
        return hit

    def _render(self, ms: int) -> tuple[str, str | None]:
        chunks: list[str] = []
        for part in self._strategy.parts:
            chunks.append(part.literal)
            if part.field == "date":
                text, problem = _format_date(ms, self._strategy.zone, part.date_format or _DEFAULT_DATE_FORMAT)
                if problem:
                    return "".join(chunks), problem
                chunks.append(text)
            elif part.field is not None:
                value = self._values[part.field]
                chunks.append("undefined" if value is None else value)
        name = "".join(chunks)
        return name, self.problem or index_name_problem(name)


def _steady_minute(zone: ZoneInfo | None, start_ms: int) -> bool:
    """Whether the local date is the same for the whole UTC minute from ``start_ms``.

    True when the zone's offset is whole minutes and does not change within the minute (so
    local midnight falls on a minute boundary); false for historical offsets with seconds.
    """
    try:
        first = (_EPOCH + timedelta(milliseconds=start_ms)).astimezone(zone).utcoffset()
        last = (_EPOCH + timedelta(milliseconds=start_ms + 59_999)).astimezone(zone).utcoffset()
    except OverflowError:
        return False
    return first == last and first is not None and first.total_seconds() % 60 == 0


def _format_date(ms: int, zone: ZoneInfo | None, fmt: str) -> tuple[str, str | None]:
    if zone is None and fmt == _DEFAULT_DATE_FORMAT:  # the seed's own formatting, any year
        year, month, day = civil_from_days(ms // MS_PER_DAY)
        return f"{year}.{two_digits(month)}.{two_digits(day)}", None
    try:
        moment = _EPOCH + timedelta(milliseconds=ms)
        if zone is not None:
            moment = moment.astimezone(zone)
    except OverflowError:
        return "", f"timestamp {ms} is outside the years 1-9999 that date formats support"
    return moment.strftime(fmt), None


def compile_index_strategy(spec: str, *, prefix: str = SEED_PREFIX, tz: str = "UTC") -> IndexStrategy:
    """Validate and compile ``--index-strategy``/``--prefix``/``--tz``; UsageError naming the problem."""
    template = BUILTIN_STRATEGIES.get(spec)
    if template is None:
        if "{" not in spec:
            names = ", ".join(BUILTIN_STRATEGIES)
            raise UsageError(f"unknown index strategy {spec!r}: use one of {names} or a template with {{fields}}")
        template = spec
    parts = _parse_template(template)
    zone = _load_zone(tz)
    strategy = IndexStrategy(spec, template, prefix, tz, parts, zone)
    sample = strategy.for_stream("/aws/containerinsights/cluster/application/ns/app", "stream")
    _name, problem = sample.name(1_619_600_944_301)
    if problem:
        raise UsageError(f"index strategy {spec!r} with prefix {prefix!r} makes names OpenSearch refuses: {problem}")
    return strategy


def _parse_template(template: str) -> tuple[_Part, ...]:
    parts = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(f"index template {template!r}: {exc}") from exc
    for literal, name, spec, conversion in parsed:
        if name is None:
            parts.append(_Part(literal, None, None))
            continue
        if name not in TEMPLATE_FIELDS:
            known = ", ".join(TEMPLATE_FIELDS)
            raise UsageError(f"index template {template!r}: unknown field {{{name}}} (fields: {known})")
        if conversion:
            raise UsageError(f"index template {template!r}: conversions like !{conversion} are not supported")
        if spec and name != "date":
            raise UsageError(f"index template {template!r}: only {{date}} takes a format, not {{{name}:{spec}}}")
        parts.append(_Part(literal, name, (spec or _DEFAULT_DATE_FORMAT) if name == "date" else None))
    return tuple(parts)


def _load_zone(tz: str) -> ZoneInfo | None:
    if tz.upper() in ("UTC", "Z", "ETC/UTC"):
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"unknown time zone {tz!r}: use an IANA name such as Asia/Seoul or UTC") from exc


__all__ = [
    "BUILTIN_STRATEGIES",
    "INVALID_FILENAME_CHARS",
    "MAX_INDEX_NAME_BYTES",
    "TEMPLATE_FIELDS",
    "IndexStrategy",
    "StreamIndexNamer",
    "check_index_name",
    "compile_index_strategy",
    "index_name_problem",
    "log_group_segment",
    "sanitize_name_part",
    "seed_index_name",
]
