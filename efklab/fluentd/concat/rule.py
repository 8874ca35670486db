"""A fluent-plugin-concat (v2.6.x) filter configuration, validated and compiled once.

``ConcatRule`` is the frozen definition (no running state): the shared options plus exactly one
mode, a tagged union (``LineMode`` | ``RegexpMode`` | ``PartialMode`` | ``PartialMetadataMode`` |
``PartialCriMode``).  ``build_rule`` turns parameter values *as fluentd sees them* (strings,
after config unquoting) into a rule, converting types the way fluentd's non-strict config types
do and refusing what the plugin's ``configure`` refuses, with the same messages, naming the
parameter and, when the values came from a config file, ``file:line``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Protocol

from efklab.errors import RuleError
from efklab.ruby.regexp import compile_concat_param, lint_concat_regexp


class Matcher(Protocol):
    """What the engine needs from a compiled regexp: an unanchored search, truthy on a match."""

    def search(self, text: str) -> Any: ...


# (source text, parameter name, file, line) -> Matcher; raises RuleError for invalid patterns.
RegexpCompiler = Callable[[str, str, "str | None", "int | None"], Matcher]

OVERFLOW_METHODS = ("ignore", "truncate", "drop", "new")
METADATA_FORMATS = ("docker-fluentd", "docker-journald", "docker-journald-lowercase")
DEFAULT_BUFFER_LIMIT = 512000
DEFAULT_FLUSH_INTERVAL = 60.0

# Every parameter fluent-plugin-concat 2.6 declares, with its fluentd config type.
PARAM_TYPES: dict[str, str] = {
    "key": "string",
    "separator": "string",
    "n_lines": "integer",
    "multiline_start_regexp": "string",
    "multiline_end_regexp": "string",
    "continuous_line_regexp": "string",
    "stream_identity_key": "string",
    "flush_interval": "time",
    "timeout_label": "string",
    "use_first_timestamp": "bool",
    "partial_key": "string",
    "partial_value": "string",
    "keep_partial_key": "bool",
    "use_partial_metadata": "bool",
    "partial_metadata_format": "enum",
    "keep_partial_metadata": "bool",
    "use_partial_cri_logtag": "bool",
    "partial_cri_logtag_key": "string",
    "partial_cri_stream_key": "string",
    "buffer_limit_size": "size",
    "buffer_overflow_method": "enum",
}
# Parameters every fluentd plugin accepts (handled by fluentd itself, not by concat).
_FLUENTD_COMMON = {"@type", "@id", "@label", "@log_level", "type", "id", "log_level"}


@dataclass(frozen=True, slots=True)
class LineMode:
    """Flush every ``n_lines`` records (``n_lines 0`` flushes every record: Ruby's 0 is truthy)."""

    n_lines: int
    name: str = "line"


@dataclass(frozen=True, slots=True)
class RegexpMode:
    """Group by start / end / continuous-line regexps (compiled from ``value[1..-2]``)."""

    start: Matcher | None
    end: Matcher | None
    continuous: Matcher | None
    start_source: str | None = None
    end_source: str | None = None
    continuous_source: str | None = None
    name: str = "regexp"


@dataclass(frozen=True, slots=True)
class PartialMode:
    """Join while ``record[partial_key] == partial_value``; the only mode with a buffer limit."""

    partial_key: str
    partial_value: str
    keep_partial_key: bool
    buffer_limit_size: int
    buffer_overflow_method: str
    name: str = "partial"


@dataclass(frozen=True, slots=True)
class PartialMetadataMode:
    """Docker partial-message metadata: one buffer per partial id, pieces sorted by ordinal."""

    message_field: str
    id_field: str
    ordinal_field: str
    last_field: str
    indicator: str
    keep_partial_metadata: bool
    name: str = "partial_metadata"


@dataclass(frozen=True, slots=True)
class PartialCriMode:
    """CRI log tags: join ``P`` pieces until an ``F``; the stream field is always removed."""

    logtag_key: str | None
    stream_key: str | None
    keep_partial_key: bool
    name: str = "partial_cri"


Mode = LineMode | RegexpMode | PartialMode | PartialMetadataMode | PartialCriMode


@dataclass(frozen=True, slots=True)
class ConcatRule:
    """One concat filter: shared options plus exactly one mode.  Built by ``build_rule``."""

    key: str
    mode: Mode
    separator: str = "\n"
    stream_identity_key: str | None = None
    flush_interval: float = DEFAULT_FLUSH_INTERVAL
    timeout_label: str | None = None
    use_first_timestamp: bool = False
    warnings: tuple[str, ...] = field(default=(), compare=False)
    origin: str | None = field(default=None, compare=False)  # "file:line" of the <filter>, when known

    @property
    def start_regexp(self) -> Matcher | None:
        """The compiled start regexp in regexp mode, else None (used by the regression diff)."""
        return self.mode.start if isinstance(self.mode, RegexpMode) else None


def ruby_slice_source(value: str) -> str | None:
    """``value[1..-2]`` as Ruby computes it: drop first and last character; ``""`` gives nil."""
    if value == "":
        return None
    return value[1:-1] if len(value) >= 2 else ""


def ruby_to_i(text: str) -> int:
    """Ruby ``String#to_i``: the leading integer (underscores allowed), 0 when there is none."""
    m = re.match(r"\s*([-+]?\d+(?:_\d+)*)", text)
    return int(m.group(1).replace("_", "")) if m else 0


def ruby_to_f(text: str) -> float:
    """Ruby ``String#to_f``: the leading decimal number, 0.0 when there is none."""
    m = re.match(r"\s*([-+]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:[eE][-+]?\d+)?)", text)
    return float(m.group(1).replace("_", "")) if m else 0.0


def convert_time(text: str) -> float:
    """fluentd's ``time`` type: the first ``<n>s|m|h|d`` anywhere in the text, else ``to_f``."""
    for unit, factor in (("s", 1), ("m", 60), ("h", 3600), ("d", 86400)):
        m = re.search(r"([0-9]+)" + unit, text)
        if m:
            return float(int(m.group(1)) * factor)
    return ruby_to_f(text)


def convert_size(text: str) -> int:
    """fluentd's ``size`` type: ``<n>k|m|g|t`` (case-insensitive, first match) else ``to_i``."""
    for unit, factor in (("k", 1024), ("m", 1024**2), ("g", 1024**3), ("t", 1024**4)):
        m = re.search(r"([0-9]+)" + unit, text, re.IGNORECASE)
        if m:
            return int(m.group(1)) * factor
    return ruby_to_i(text)


def convert_bool(text: str) -> bool | None:
    """fluentd's ``bool`` type: true/yes/"" -> True, false/no -> False, anything else -> nil."""
    if text in ("true", "yes", "") or text.startswith("#"):
        return True
    if text in ("false", "no"):
        return False
    return None


def _where(positions: Mapping[str, int] | None, name: str, default: int | None) -> int | None:
    return positions.get(name, default) if positions else default


def build_rule(
    params: Mapping[str, str | None],
    *,
    compile_regexp: RegexpCompiler | None = None,
    source: str | None = None,
    positions: Mapping[str, int] | None = None,
    position: int | None = None,
    written: Mapping[str, Any] | None = None,
    lint: bool = True,
) -> ConcatRule:
    """Validate and compile a concat filter's parameters exactly as the plugin's ``configure``.

    ``params`` maps parameter names to the string fluentd sees (``None`` = unset).
    ``positions`` gives the line of each parameter, ``position`` the line of the ``<filter>``;
    ``written`` the parameters as written (``fluentconf.Param``) for the regexp lint.
    """
    compile_ = compile_regexp or default_regexp_compiler
    values = {k: v for k, v in params.items() if v is not None}
    warnings: list[str] = []
    for name in values:
        if name not in PARAM_TYPES and name not in _FLUENTD_COMMON and not name.startswith("@"):
            warnings.append(f"parameter '{name}' in <filter> is not used (fluentd warns and ignores it)")

    def err(reason: str, name: str | None = None) -> RuleError:
        line = _where(positions, name, position) if name else position
        return RuleError(reason, source=source, position=line)

    if "key" not in values:
        raise err("'key' parameter is required")
    key = values["key"]

    def string(name: str, default: str | None = None) -> str | None:
        return values.get(name, default)

    def boolean(name: str) -> bool:
        raw = values.get(name)
        if raw is None:
            return False
        converted = convert_bool(raw)
        if converted is None:
            warnings.append(f"{name}: {raw!r} is not a bool; fluentd (non-strict) reads it as nil, i.e. false")
        return bool(converted)

    def enum(name: str, allowed: tuple[str, ...], default: str) -> str:
        raw = values.get(name, default)
        if raw not in allowed:
            raise err(f"valid options are {','.join(allowed)} but got {raw}", name)
        return raw

    n_lines = ruby_to_i(values["n_lines"]) if "n_lines" in values else None
    start, end = string("multiline_start_regexp"), string("multiline_end_regexp")
    continuous = string("continuous_line_regexp")
    partial_key, partial_value = string("partial_key"), string("partial_value")
    use_metadata, use_cri = boolean("use_partial_metadata"), boolean("use_partial_cri_logtag")
    metadata_format = enum("partial_metadata_format", METADATA_FORMATS, "docker-fluentd")
    overflow = enum("buffer_overflow_method", OVERFLOW_METHODS, "ignore")
    flush_interval = convert_time(values["flush_interval"]) if "flush_interval" in values else DEFAULT_FLUSH_INTERVAL
    if re.search(r"\.\d*[smhd]", values.get("flush_interval", "")):
        warnings.append(f"flush_interval {values['flush_interval']}: fluentd reads the first '<digits><unit>', "
                        f"i.e. {flush_interval:g} seconds; write a bare number for fractions")
    limit = convert_size(values["buffer_limit_size"]) if "buffer_limit_size" in values else DEFAULT_BUFFER_LIMIT

    _check_exclusive(n_lines, start, end, partial_key, partial_value, use_metadata, use_cri, err)

    mode: Mode
    if n_lines is not None:
        mode = LineMode(n_lines)
    elif partial_key is not None:
        assert partial_value is not None  # checked above
        mode = PartialMode(partial_key, partial_value, boolean("keep_partial_key"), limit, overflow)
    elif use_metadata:
        mode = _metadata_mode(metadata_format, boolean("keep_partial_metadata"))
    elif use_cri:
        logtag_key = string("partial_cri_logtag_key")
        if logtag_key is None:
            warnings.append(
                "use_partial_cri_logtag without partial_cri_logtag_key: fluentd starts, but every record "
                "fails (record[nil].split) and goes to the @ERROR route while staying buffered"
            )
        mode = PartialCriMode(logtag_key, string("partial_cri_stream_key", "stream"), boolean("keep_partial_key"))
    else:
        mode = RegexpMode(
            _compile(compile_, start, "multiline_start_regexp", source, positions, position),
            _compile(compile_, end, "multiline_end_regexp", source, positions, position),
            _compile(compile_, continuous, "continuous_line_regexp", source, positions, position),
            ruby_slice_source(start) if start is not None else None,
            ruby_slice_source(end) if end is not None else None,
            ruby_slice_source(continuous) if continuous is not None else None,
        )
    if continuous is not None and not isinstance(mode, RegexpMode):
        warnings.append(f"continuous_line_regexp is ignored in {mode.name} mode")
    if not isinstance(mode, PartialMode) and ("buffer_limit_size" in values or "buffer_overflow_method" in values):
        warnings.append(f"buffer_limit_size/buffer_overflow_method only apply in partial_key mode, not {mode.name}")
    if lint and isinstance(mode, RegexpMode):
        warnings.extend(lint_regexp_params(written if written is not None else values))
    if "timeout_label" not in values:
        warnings.append(
            "no timeout_label: timeout and shutdown flushes go to the @ERROR route, "
            "and fluentd drops them unless a <label @ERROR> handles them"
        )
    return ConcatRule(
        key=key,
        mode=mode,
        separator=values.get("separator", "\n"),
        stream_identity_key=string("stream_identity_key"),
        flush_interval=flush_interval,
        timeout_label=string("timeout_label"),
        use_first_timestamp=boolean("use_first_timestamp"),
        warnings=tuple(warnings),
        origin=f"{source}:{position}" if source and position is not None else source,
    )


def _check_exclusive(
    n_lines: int | None,
    start: str | None,
    end: str | None,
    partial_key: str | None,
    partial_value: str | None,
    use_metadata: bool,
    use_cri: bool,
    err: Callable[..., RuleError],
) -> None:
    """The plugin's configure checks, in its order and with its messages."""
    regexps = start is not None or end is not None
    if n_lines is None and not regexps and partial_key is None and not use_metadata and not use_cri:
        raise err(
            "Either n_lines, multiline_start_regexp, multiline_end_regexp, partial_key, "
            "use_partial_metadata or use_partial_cri_logtag is required"
        )
    regexp_names = "multiline_start_regexp/multiline_end_regexp"
    checks = (
        (n_lines is not None and regexps, f"n_lines and {regexp_names} are exclusive", "n_lines"),
        (partial_key is not None and n_lines is not None, "partial_key and n_lines are exclusive", "partial_key"),
        (partial_key is not None and regexps, f"partial_key and {regexp_names} are exclusive", "partial_key"),
        (partial_key is not None and partial_value is None,
         "partial_value is required when partial_key is specified", "partial_key"),
        (use_metadata and n_lines is not None,
         "use_partial_metadata and n_lines are exclusive", "use_partial_metadata"),
        (use_metadata and regexps,
         f"use_partial_metadata and {regexp_names} are exclusive", "use_partial_metadata"),
        (use_metadata and partial_key is not None,
         "use_partial_metadata and partial_key are exclusive", "use_partial_metadata"),
        (use_cri and n_lines is not None,
         "use_partial_cri_logtag and n_lines are exclusive", "use_partial_cri_logtag"),
        (use_cri and regexps,
         f"use_partial_cri_logtag and {regexp_names} are exclusive", "use_partial_cri_logtag"),
        (use_cri and partial_key is not None,
         "use_partial_cri_logtag and partial_key are exclusive", "use_partial_cri_logtag"),
    )
    for failed, message, name in checks:
        if failed:
            raise err(message, name)


def _metadata_mode(fmt: str, keep: bool) -> PartialMetadataMode:
    if fmt == "docker-fluentd":
        return PartialMetadataMode("partial_message", "partial_id", "partial_ordinal", "partial_last",
                                   "partial_message", keep)
    if fmt == "docker-journald":
        names = ["CONTAINER_PARTIAL_" + n for n in ("MESSAGE", "ID", "ORDINAL", "LAST")]
    else:
        names = ["container_partial_" + n for n in ("message", "id", "ordinal", "last")]
    # The journald driver omits the message flag on the last piece, so the id is the indicator.
    return PartialMetadataMode(names[0], names[1], names[2], names[3], names[1], keep)


def _compile(
    compile_: RegexpCompiler,
    value: str | None,
    name: str,
    source: str | None,
    positions: Mapping[str, int] | None,
    position: int | None,
) -> Matcher | None:
    if value is None:
        return None
    line = _where(positions, name, position)
    if ruby_slice_source(value) is None:
        raise RuleError(f"{name}: no implicit conversion of nil into String (\"\"[1..-2] is nil)",
                        source=source, position=line)
    return compile_(value, name, source, line)


def default_regexp_compiler(value: str, name: str, source: str | None, line: int | None) -> Matcher:
    """Compile a concat regexp parameter as the plugin does, through the Ruby-regexp translator."""
    return compile_concat_param(value, origin=source, position=line)


def lint_regexp_params(written: Mapping[str, Any]) -> list[str]:
    """The Ruby-regexp traps (``/x/i``, missing slashes, quoting) in concat's regexp parameters.

    ``written`` maps names to ``fluentconf.Param`` objects, or to plain values (taken as unquoted).
    """
    notes: list[str] = []
    for name in ("multiline_start_regexp", "multiline_end_regexp", "continuous_line_regexp"):
        p = written.get(name)
        if p is None:
            continue
        if isinstance(p, str):
            p = SimpleNamespace(name=name, value=p, raw=p, quote="", trailing_comment=None)
        notes.extend(lint_concat_regexp(p))
    return notes
