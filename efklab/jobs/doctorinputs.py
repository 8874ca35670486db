"""Read what ``efklab doctor`` checks from files: config, container logs, payloads, ISM policy.

The reading is done by the existing loaders (fluentd config, container logs, payload files, ISM
policy); this module only decides which ``<parse>`` and concat filter each log file meets,
emulates payloads from config + logs when none are given, and hands plain data to the checks.
A file that cannot be read at all is an ``InputError`` (exit 2); a policy the plugin would
refuse is kept as a finding, not raised.
"""
from __future__ import annotations

import glob
import json
import os
from collections.abc import Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from efklab.adapters.files import read_file_bytes
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.adapters.samplefiles import container_log_paths, load_pods, log_files
from efklab.cloudwatch.payloads import payload_from_json
from efklab.doctor.checks.logformat import NOT_TAILED
from efklab.doctor.inputs import (
    DEFAULT_SETTINGS,
    ConfigFacts,
    DoctorInputs,
    DoctorSettings,
    LogFacts,
    NodeFacts,
    PayloadFacts,
    PolicyFacts,
    make_log_facts,
    make_payload_facts,
    make_policy_facts,
    read_config_facts,
    site_for,
    site_for_tag,
    source_for,
    source_of_tag,
)
from efklab.errors import EfklabError, InputError, PayloadError, PolicyError, UsageError
from efklab.fluentd.config.embedded import describe_assumptions, evaluate_config
from efklab.fluentd.config.find import ParseSpec, SourceSpec, load_config
from efklab.fluentd.eventtime import parse_event_time
from efklab.fluentd.pipeline import PipelineOptions, run_pipeline
from efklab.fluentd.routing import CONTAINER_DIR, plan_routes
from efklab.fluentd.tail.containerlogs import (
    FluentRecord,
    default_parse,
    detect_format,
    fluentd_tag,
    kubernetes_metadata,
    read_records,
)
from efklab.fluentd.tail.survey import describe_parse
from efklab.jobs.defaults import SEED_ENV
from efklab.jobs.pipeline import read_container_logs
from efklab.model import UNREADABLE_STAGES, Reject

PAYLOAD_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz")


def read_inputs(*, config: str | None = None, policy: str | None = None, logs: Sequence[str] = (),
                payloads: Sequence[str] = (), settings: DoctorSettings = DEFAULT_SETTINGS,
                node: NodeFacts | None = None, max_lines: int | None = None, env: Mapping[str, str] | None = None,
                records: Sequence[str] = ()) -> DoctorInputs:
    """Everything given, read and parsed; payloads are emulated from config + logs when none are given.

    ``env`` is the environment embedded Ruby (``#{ENV['X'] || 'd'}``) reads; ``records`` are
    ``TAG=FILE`` items: JSON-lines records of other sources (systemd, forward) with their tag.
    """
    notes: list[str] = []
    environment = dict(env or {})
    config_facts = read_config(config, environment, notes) if config else None
    log_facts = tuple(read_logs(logs, config_facts, max_lines=max_lines, notes=notes)) if logs else ()
    log_facts += tuple(read_tagged_records(item, config_facts, max_lines=max_lines) for item in records)
    payload_facts = None
    if payloads:
        payload_facts = read_payloads(payloads, settings)
    elif config_facts is not None and any(log.container for log in log_facts):
        container_logs = [log.path for log in log_facts if log.container]
        payload_facts = emulate_payloads(config_facts, container_logs, settings, notes, environment)
    policy_facts = read_policy(policy) if policy else None
    return DoctorInputs(settings, config_facts, log_facts, payload_facts, policy_facts, node, tuple(notes))


def parse_env(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` items (``--env``) as a mapping; UsageError for anything else."""
    env = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--env wants NAME=VALUE, not {item!r}")
        env[name] = value
    return env


def read_config(path: str, env: Mapping[str, str] | None = None, notes: list[str] | None = None) -> ConfigFacts:
    """A fluentd config (plain, ConfigMap YAML, Helm template or filter body) with its concat filters.

    Embedded Ruby environment lookups are evaluated with ``env`` and their written defaults;
    each value assumed, and each parameter left unevaluated, is added to ``notes``.
    """
    given = dict(env or {})
    config, assumed, unevaluated = evaluate_config(load_config(path), {**SEED_ENV, **given})
    if notes is not None:
        notes += [f"assumed {line}" for line in describe_assumptions(assumed)]
        seed = sorted(k for k in SEED_ENV if k not in given and any(f"{k}=" in a.why for a in assumed))
        if seed:
            notes.append(f"{', '.join(seed)}: the seed DaemonSet's values unless given with --env NAME=VALUE")
        notes += [f"not evaluated: {n}" for n in unevaluated]
    return read_config_facts(display_name(path), config)


def read_logs(inputs: Sequence[str], config: ConfigFacts | None, *, max_lines: int | None = None,
              notes: list[str] | None = None) -> list[LogFacts]:
    """Each log file (a directory stands for its ``*.log``) as the in_tail source that reads it reads it.

    Every ``path`` glob of every in_tail source is matched (:func:`efklab.doctor.inputs.source_for`);
    a file no source reads is read by its format's default parser and checked for nothing the
    config's ``<parse>`` would do.  A file whose ``<parse>`` efklab does not emulate is left out
    with a note (the rest of the run goes on).
    """
    out = []
    for path, name in container_log_paths(_expand(inputs)):
        try:
            with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
                fmt = detect_format(islice(handle, 5))
        except OSError as exc:
            raise InputError(f"cannot read log file: {exc.strerror or exc}", source=path) from exc
        container_file = fmt in ("docker", "cri") or kubernetes_metadata(path) is not None
        found = source_for(config, os.path.abspath(path), container_file=container_file) if config else None
        try:
            out.append(_read_log(path, name, fmt, config, found, max_lines))
        except EfklabError as exc:
            if found is None:
                raise
            if notes is not None:
                where = f" ({found[0].file}:{found[0].line})"
                notes.append(f"{name} left out: {exc.reason}{where}; the other files are checked")
    return out


def _read_log(path: str, name: str, fmt: str, config: ConfigFacts | None, found: tuple[SourceSpec, str] | None,
              max_lines: int | None) -> LogFacts:
    source, node_path = found if found is not None else (None, None)
    if source is not None and source.parse is not None and config is not None:
        parse = source.parse
        origin = f"{source.file}:{source.parse.line or source.line} <parse> {describe_parse(source.parse)}"
    else:
        parse = default_parse(fmt)
        unread = f"{NOT_TAILED} of {config.path} reads it; " if config else ""
        origin = f"{unread}read as {describe_parse(parse)}"
    in_containers = node_path is None or os.path.dirname(node_path) == CONTAINER_DIR
    tag = None if source is None else fluentd_tag(node_path or path, source.tag or "*",
                                                  os.path.dirname(node_path or path))
    items = read_records(path, parse=parse, tag=source.tag if source and in_containers else tag)
    if config is None:
        site = None
    elif source is None or in_containers:
        site = site_for(config, path)
    else:
        site = site_for_tag(config, source.label, tag or "")
    records = islice(items, max_lines) if max_lines else items
    return make_log_facts(path, name, fmt, parse, origin, records, site, source=source)


def read_tagged_records(item: str, config: ConfigFacts | None, *, max_lines: int | None = None) -> LogFacts:
    """``TAG=FILE``: JSON-lines records another source emits (journald, forward), routed by their tag.

    Each line is one record; its time comes from ``time`` (seconds, or an RFC 3339 string) or
    journald's ``__REALTIME_TIMESTAMP`` (microseconds).  The concat filter they meet is the one
    the emitting source's label (or the top level) applies to the tag.
    """
    tag, sep, path = item.partition("=")
    if not sep or not tag or not path:
        raise UsageError(f"--records wants TAG=FILE, not {item!r}")
    records: list[FluentRecord | Reject] = []
    for lineno, line in enumerate(read_file_bytes(path, what="records").decode("utf-8", "surrogateescape")
                                  .splitlines(), start=1):
        if max_lines is not None and lineno > max_lines:
            break
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            raise InputError("not a JSON object (one record per line)", source=path, position=lineno)
        records.append(FluentRecord(tag, _record_time(record), record, path, lineno))
    source = source_of_tag(config, tag) if config else None
    site = site_for_tag(config, source.label if source else None, tag) if config else None
    origin = f"records tagged {tag}" + (f" from {source.file}:{source.line} @type {source.type}" if source else "")
    return make_log_facts(path, f"{tag}={os.path.basename(path)}", "records", ParseSpec(type="json"), origin, records,
                          site, source=source, tag=tag)


def _record_time(record: Mapping[str, Any]) -> int:
    realtime = record.get("__REALTIME_TIMESTAMP")
    if isinstance(realtime, str) and realtime.isdigit():
        return int(realtime) * 1000
    value = record.get("time")
    if isinstance(value, int | float):
        return int(value * 1_000_000_000)
    if isinstance(value, str):
        try:
            return parse_event_time(value)
        except ValueError:
            return 0
    return 0


def _expand(inputs: Sequence[str]) -> list[str]:
    """A sample-set folder (with ``containers/``) stands for its container logs."""
    return [str(Path(i) / "containers") if (Path(i) / "containers").is_dir() else i for i in inputs]


def read_payloads(paths: Sequence[str], settings: DoctorSettings) -> PayloadFacts:
    """Captured payload files (JSON lines or Lambda events, .gz ok) and the layout they imply."""
    records = tuple(iter_payload_records(list(paths)))
    for record in records:  # a record that cannot be read is bad input, not a finding
        if isinstance(record, Reject) and record.stage in UNREADABLE_STAGES:
            raise PayloadError(record.reason, source=record.source, position=record.position)
    origin = f"read from {display_name(paths[0])}" + (f" and {len(paths) - 1} more" if len(paths) > 1 else "")
    return make_payload_facts(origin, records, settings)


def emulate_payloads(config: ConfigFacts, logs: Sequence[str], settings: DoctorSettings, notes: list[str],
                     env: Mapping[str, str] | None = None) -> PayloadFacts | None:
    """The payloads the whole pipeline (filters, CloudWatch, subscription) delivers for these container logs
    under the config as read (embedded Ruby evaluated), or None with a note when it cannot be emulated."""
    try:
        routes = plan_routes(config.config, {**SEED_ENV, **(env or {})})  # what evaluation left is read here
        paths = log_files(list(logs))
        pods = Path(paths[0]).parent.parent / "pods.json" if paths else None
        facts = load_pods(str(pods)) if pods is not None and pods.is_file() else None
        named = [(path, f"containers/{Path(path).name}") for path in paths]
        result = run_pipeline(read_container_logs(named, routes), routes, PipelineOptions(facts=facts))
    except EfklabError as exc:
        notes.append(f"payloads not emulated from {config.path}: {exc}")
        return None
    records = tuple(payload_from_json(d.payload, source="emulated", position=n)
                    for n, d in enumerate(result.deliveries, start=1))
    origin = f"payloads emulated from {config.path} over {len(logs)} log file(s)"
    return make_payload_facts(origin, records, settings, emulated=True, dropped=result.rejects)


def read_policy(path: str) -> PolicyFacts:
    """An ISM policy file: its JSON, and the policy or the error the plugin would answer with."""
    text = read_file_bytes(path, what="policy")
    try:
        json.loads(text)
    except ValueError as exc:  # not JSON at all: bad input; a JSON policy ISM refuses is a finding
        where = f"{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        reason = f"not valid JSON: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else f"not valid JSON: {exc}"
        raise PolicyError(reason, source=path, position=where) from None
    return make_policy_facts(display_name(path), text)


def payload_files(spec: str) -> list[str]:
    """Payload files from a file, a folder (its JSON and JSON-lines files, .gz ok) or a glob."""
    path = Path(spec)
    if path.is_dir():
        found = sorted(str(p) for p in path.iterdir() if p.name.endswith(PAYLOAD_SUFFIXES))
    else:
        found = sorted(glob.glob(spec)) if any(c in spec for c in "*?[") else [spec]
    if not found:
        raise UsageError(f"no payload files in {spec}", source="payloads")
    return found


def display_name(path: str) -> str:
    """A short name for evidence: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path, os.getcwd())
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
