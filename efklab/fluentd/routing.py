"""Where fluentd sends a container log file's records: source, label, filter chain, output.

``plan_routes(config, env)`` reads a fluentd configuration into plain, validated routes: for
each ``in_tail`` source that reads ``/var/log/containers``, the ``<parse>`` it uses and the chain
of its label (``kubernetes_metadata``, ``record_transformer``, ``concat``), followed through
``relabel`` to the ``cloudwatch_logs`` output and its buffer settings.  The concat filter's
``timeout_label`` is followed the same way.  Filters efklab does not emulate are listed in
``notes``; a chain that cannot be emulated faithfully fails here with the file and line.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from efklab.cloudwatch.delivery import OutputSettings
from efklab.errors import ConfigError
from efklab.fluentd.concat.rule import ConcatRule, build_rule, convert_size, convert_time
from efklab.fluentd.config.find import Config, Directive, ParseSpec, SourceSpec, find_sources
from efklab.fluentd.filters import RecordTransformer, build_record_transformer
from efklab.fluentd.tail.containerlogs import fluentd_tag

CONTAINER_DIR = "/var/log/containers"
_STATELESS = ("kubernetes_metadata", "record_transformer")


@dataclass(frozen=True, slots=True)
class Stage:
    """One filter of a chain: kubernetes_metadata, a record_transformer, or a concat rule."""

    kind: str  # "kubernetes_metadata" | "record_transformer" | "concat"
    pattern: str
    origin: str
    transformer: RecordTransformer | None = None
    rule: ConcatRule | None = None


@dataclass(frozen=True, slots=True)
class Chain:
    """Filters from a label's top to the output it reaches (None: records end elsewhere, see ``end``)."""

    stages: tuple[Stage, ...]
    output: OutputSettings | None
    end: str  # "cloudwatch_logs at file:line" or why records stop ("<match> @type null at ...")


@dataclass(frozen=True, slots=True)
class Route:
    """One ``in_tail`` source reading container logs, and where its records go."""

    source: SourceSpec
    parse: ParseSpec
    chain: Chain
    timeout_chains: Mapping[str, Chain]  # timeout_label -> its chain (stateless stages only)
    notes: tuple[str, ...] = ()

    def reads(self, file_name: str) -> bool:
        """Whether this source's ``path`` (and not its ``exclude_path``) covers the container log ``file_name``."""
        path = f"{CONTAINER_DIR}/{file_name}"
        paths = [p.strip() for p in (self.source.path or "").split(",") if p.strip()]
        excluded = _list_param(self.source.params.get("exclude_path"))
        return (any(fnmatch.fnmatchcase(path, p) for p in paths)
                and not any(fnmatch.fnmatchcase(path, p) for p in excluded))


def route_for(routes: list[Route], file_name: str) -> Route | None:
    """The first route whose source tails ``/var/log/containers/<file_name>``, as fluentd's first matching source."""
    return next((r for r in routes if r.reads(file_name)), None)


def plan_routes(config: Config, env: Mapping[str, str]) -> list[Route]:
    """Routes of every tail source reading /var/log/containers, in config order."""
    labels = {d.arg: d for d, _ in config.walk() if d.name == "label"}
    routes = []
    for source in find_sources(config):
        if source.type != "tail" or not (source.path or "").startswith(CONTAINER_DIR + "/"):
            continue
        if source.parse is None:
            raise ConfigError("in_tail source without <parse>", source=source.file, position=source.line)
        notes: list[str] = []
        body = _label_body(config, labels, source.label, source.file, source.line)
        tag = fluentd_tag(f"{CONTAINER_DIR}/x.log", source.tag or "*")  # the tag its records carry
        chain = _follow(config, labels, body, env, notes, allow_concat=True, seen=(source.label or "",), tag=tag)
        timeouts = {}
        for stage in chain.stages:
            label = stage.rule.timeout_label if stage.rule else None
            if label and label not in timeouts:
                timeouts[label] = _follow(config, labels, _label_body(config, labels, label, stage.origin, None), env,
                                          notes, allow_concat=False, seen=(label,), tag=tag)
        routes.append(Route(source, source.parse, chain, timeouts, tuple(notes)))
    if not routes:
        raise ConfigError(f"no in_tail <source> reads {CONTAINER_DIR}/*.log",
                          source=config.files[0] if config.files else None)
    return routes


def _label_body(config: Config, labels: Mapping[str, Directive], label: str | None, source: str,
                line: int | None) -> list[Directive]:
    """The directives records meet in ``label`` (top level when None), in order."""
    if label is None:
        return [d for d, ancestors in config.walk()
                if d.name in ("filter", "match") and not any(a.name == "label" for a in ancestors)]
    if label not in labels:
        raise ConfigError(f"label {label} is not defined", source=source, position=line)
    return [d for d in labels[label].children if d.name in ("filter", "match")]


def _follow(config: Config, labels: Mapping[str, Directive], body: list[Directive], env: Mapping[str, str],
            notes: list[str], *, allow_concat: bool, seen: tuple[str, ...],
            tag: str = "var.log.containers.x.log") -> Chain:
    """Filters until the first ``<match>`` for container tags; relabel is followed."""
    stages: list[Stage] = []
    for d in body:
        origin = f"{d.file}:{d.line}"
        if not matches_pattern(d.arg, tag):
            continue
        kind = d.value("@type") or ""
        if d.name == "filter":
            if kind == "kubernetes_metadata":
                stages.append(Stage(kind, d.arg, origin))
            elif kind == "record_transformer":
                stages.append(Stage(kind, d.arg, origin, transformer=build_record_transformer(d, env)))
            elif kind == "concat":
                if not allow_concat:
                    raise ConfigError("a concat filter inside a timeout_label is not emulated", source=d.file,
                                      position=d.line)
                stages.append(Stage(kind, d.arg, origin, rule=_concat_rule(d)))
            else:
                notes.append(f"{origin}: filter @type {kind} is not emulated; records pass it unchanged")
            continue
        if kind == "relabel":
            target = d.value("@label") or ""
            if target in seen:
                raise ConfigError(f"relabel loop through {target}", source=d.file, position=d.line)
            rest = _follow(config, labels, _label_body(config, labels, target, d.file, d.line), env, notes,
                           allow_concat=allow_concat, seen=(*seen, target), tag=tag)
            return Chain((*stages, *rest.stages), rest.output, rest.end)
        if kind == "cloudwatch_logs":
            return Chain(tuple(stages), output_settings(d), f"cloudwatch_logs at {origin}")
        return Chain(tuple(stages), None, f"<match {d.arg}> @type {kind} at {origin}")
    return Chain(tuple(stages), None,
                 "no <match> for container tags (fluentd warns 'no patterns matched' and drops them)")


def _concat_rule(d: Directive) -> ConcatRule:
    written = {p.name: p for p in d.params if p.name not in ("@type", "@id")}
    positions = {p.name: p.line for p in d.params}
    return build_rule({k: p.value for k, p in written.items()}, source=d.file, positions=positions, position=d.line,
                      written=written)


def output_settings(d: Directive) -> OutputSettings:
    """The ``cloudwatch_logs`` ``<match>`` parameters efklab emulates, seed defaults where unset."""
    def flag(name: str, default: bool) -> bool:
        value = d.value(name)
        return default if value is None else value in ("", "true")

    if d.value("log_group_name_key") is None or d.value("log_stream_name_key") is None:
        raise ConfigError("cloudwatch_logs without log_group_name_key/log_stream_name_key is not emulated",
                          source=d.file, position=d.line)
    buffer = next((c for c in d.children if c.name == "buffer"), None)
    flush = buffer.value("flush_interval") if buffer is not None else None
    limit = buffer.value("chunk_limit_size") if buffer is not None else None
    keys = d.value("message_keys")
    try:
        return OutputSettings(
            log_group_name_key=d.value("log_group_name_key") or "",
            remove_log_group_name_key=flag("remove_log_group_name_key", False),
            log_stream_name_key=d.value("log_stream_name_key") or "",
            remove_log_stream_name_key=flag("remove_log_stream_name_key", False),
            flush_interval_s=convert_time(flush) if flush else 60.0,  # fluentd's default flush_interval
            chunk_limit_bytes=convert_size(limit) if limit else 8 * 1024 * 1024,
            max_events_per_batch=int(d.value("max_events_per_batch") or 10_000),
            message_keys=tuple(k.strip() for k in keys.split(",")) if keys else (),
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"cloudwatch_logs parameters: {exc}", source=d.file, position=d.line) from exc


def _list_param(param: Any) -> list[str]:
    """A fluentd array value (JSON array or comma list) as a list of strings."""
    if param is None:
        return []
    text = param.value.strip()
    if text.startswith("["):
        return [s.strip().strip('"').strip("'") for s in text[1:-1].split(",") if s.strip()]
    return [s.strip() for s in text.split(",") if s.strip()]


def matches_pattern(patterns: str, tag: str) -> bool:
    """fluentd's match pattern: ``*`` one tag part, ``**`` zero or more, ``{a,b}``, space-separated alternatives."""
    return any(_pattern_regex(p).fullmatch(tag) for p in patterns.split())


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith(".**", i) and i + 3 == len(pattern):  # "a.**" also matches "a"
            out.append(r"(?:\..*)?")
            i += 3
        elif pattern.startswith("**.", i):  # "**.b" also matches "b"
            out.append(r"(?:.*\.)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(r".*")
            i += 2
        elif pattern[i] == "*":
            out.append(r"[^.]*")
            i += 1
        elif pattern[i] == "{":
            end = pattern.index("}", i)
            out.append("(?:" + "|".join(_pattern_regex(alt).pattern for alt in pattern[i + 1 : end].split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Ruby's ``Dir.glob`` pattern as a regexp: ``*`` and ``?`` stay inside one path part, ``**/`` spans
    directories, ``[...]`` is a class and ``{a,b}`` alternatives (what in_tail's ``path`` expands)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(r"[^/]*")
            i += 2
        elif c == "*":
            out.append(r"[^/]*")
            i += 1
        elif c == "?":
            out.append(r"[^/]")
            i += 1
        elif c == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith(("!", "^")) else body).replace("\\", "\\\\") + "]")
            i = end + 1
        elif c == "{" and "}" in pattern[i:]:
            end = pattern.index("}", i)
            out.append("(?:" + "|".join(glob_regex(alt).pattern for alt in pattern[i + 1 : end].split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out))


def tail_globs(source: SourceSpec) -> tuple[list[str], list[str]]:
    """An in_tail source's ``path`` globs (comma-separated) and its ``exclude_path`` globs."""
    paths = [p.strip() for p in (source.path or "").split(",") if p.strip()]
    return paths, _list_param(source.params.get("exclude_path"))


def tailed_as(source: SourceSpec, local_path: str, *, container_file: bool) -> tuple[int, str] | None:
    """Where ``source`` would read a sample file, and how surely: (rank, path on the node), or None.

    The sample's place on the node is unknown, so a file counts as read when its own path
    matches a glob, or when its name does inside the glob's directory: rank 0 for a glob whose
    file name is written out (``/var/log/kubelet.log``), 1 for a wildcard in the container
    directory (only for container-shaped files: docker/CRI lines or a pod log name), 2 for
    any other wildcard when the sample sits in a folder named like the glob's directory
    (``audit/api.log`` for ``/var/log/audit/*.log``).  ``exclude_path`` wins, as in in_tail.
    """
    if source.type != "tail":
        return None
    paths, excluded = tail_globs(source)
    folder, _, name = local_path.rpartition("/")
    best: tuple[int, str] | None = None
    for glob in paths:
        directory, _, last = glob.rpartition("/")
        literal = not any(ch in last for ch in "*?[{")
        if literal and last != name and glob != local_path:
            continue
        if directory == CONTAINER_DIR and not literal and not container_file:
            continue
        if (not literal and directory != CONTAINER_DIR and folder.rpartition("/")[2] != directory.rpartition("/")[2]
                and not glob_regex(glob).fullmatch(local_path)):
            continue
        candidate = local_path if glob_regex(glob).fullmatch(local_path) else f"{directory}/{name}"
        if not glob_regex(glob).fullmatch(candidate):
            continue
        if any(glob_regex(x).fullmatch(candidate) for x in excluded):
            return None
        rank = 0 if literal else 1 if directory == CONTAINER_DIR else 2
        if best is None or rank < best[0]:
            best = (rank, candidate)
    return best
