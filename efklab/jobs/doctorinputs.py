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
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

from efklab.adapters.files import read_file_bytes
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.adapters.samplefiles import container_log_paths
from efklab.cloudwatch.payloads import payload_from_json
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
    source_for,
)
from efklab.errors import EfklabError, InputError, PayloadError, PolicyError, UsageError
from efklab.fluentd.config.find import load_config
from efklab.fluentd.tail.containerlogs import default_parse, detect_format, read_records
from efklab.fluentd.tail.survey import describe_parse
from efklab.jobs.pipeline import run_config
from efklab.model import UNREADABLE_STAGES, Reject

PAYLOAD_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz")


def read_inputs(*, config: str | None = None, policy: str | None = None, logs: Sequence[str] = (),
                payloads: Sequence[str] = (), settings: DoctorSettings = DEFAULT_SETTINGS,
                node: NodeFacts | None = None, max_lines: int | None = None) -> DoctorInputs:
    """Everything given, read and parsed; payloads are emulated from config + logs when none are given."""
    notes: list[str] = []
    config_facts = read_config(config) if config else None
    log_facts = tuple(read_logs(logs, config_facts, max_lines=max_lines)) if logs else ()
    payload_facts = None
    if payloads:
        payload_facts = read_payloads(payloads, settings)
    elif config and log_facts:
        payload_facts = emulate_payloads(config, [log.path for log in log_facts], settings, notes)
    policy_facts = read_policy(policy) if policy else None
    return DoctorInputs(settings, config_facts, log_facts, payload_facts, policy_facts, node, tuple(notes))


def read_config(path: str) -> ConfigFacts:
    """A fluentd config (plain, ConfigMap YAML, Helm template or filter body) with its concat filters."""
    return read_config_facts(display_name(path), load_config(path))


def read_logs(inputs: Sequence[str], config: ConfigFacts | None, *, max_lines: int | None = None) -> list[LogFacts]:
    """Each container log file (a directory stands for its ``*.log``) as its in_tail source reads it."""
    out = []
    for path, name in container_log_paths(_expand(inputs)):
        base = os.path.basename(path)
        try:
            with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
                fmt = detect_format(islice(handle, 5))
        except OSError as exc:
            raise InputError(f"cannot read log file: {exc.strerror or exc}", source=path) from exc
        source = source_for(config, base) if config else None
        if source is not None and source.parse is not None:
            parse = source.parse
            origin = f"{source.file}:{source.parse.line or source.line} <parse> {describe_parse(source.parse)}"
        else:
            parse = default_parse(fmt)
            unread = f"no source of {config.path} reads it; " if config else ""
            origin = f"{unread}read as {describe_parse(parse)}"
        items = read_records(path, parse=parse, tag=source.tag if source else None)
        site = site_for(config, path) if config else None
        records = islice(items, max_lines) if max_lines else items
        out.append(make_log_facts(path, name, fmt, parse, origin, records, site))
    return out


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


def emulate_payloads(config: str, logs: Sequence[str], settings: DoctorSettings,
                     notes: list[str]) -> PayloadFacts | None:
    """The payloads the whole pipeline (filters, CloudWatch, subscription) delivers for these logs under
    ``config`` (None, with a note, when it cannot be emulated)."""
    try:
        run = run_config(list(logs), config)
    except EfklabError as exc:
        notes.append(f"payloads not emulated from {display_name(config)}: {exc}")
        return None
    records = tuple(payload_from_json(p, source="emulated", position=n) for n, p in enumerate(run.payloads, start=1))
    origin = f"payloads emulated from {display_name(config)} over {len(logs)} log file(s)"
    return make_payload_facts(origin, records, settings, emulated=True, dropped=run.result.rejects)


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
