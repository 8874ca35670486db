"""Sample data: generated container logs and the payloads the seed's pipeline delivers for them, or your own logs.

``generate_samples`` and ``samples_payloads`` are ``efklab samples generate|payloads``; both run the
pipeline emulation (``efklab.fluentd.pipeline``) under a fluentd config.  ``sample_logs`` and
``container_logs`` give notebooks and tests their container logs.
"""
from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from efklab.adapters.samplefiles import (
    container_log_paths,
    jsonl,
    load_pods,
    log_files,
    pods_json,
    prepare_out_dir,
    write_output,
    write_text,
)
from efklab.cloudwatch.delivery import Subscription, by_delivery_day, data_events
from efklab.cloudwatch.payloads import payload_json, to_lambda_event
from efklab.errors import UsageError
from efklab.fluentd.config.find import load_config
from efklab.fluentd.filters import PodFacts
from efklab.fluentd.pipeline import PipelineOptions, PipelineResult, run_pipeline
from efklab.fluentd.routing import Route, plan_routes, route_for
from efklab.fluentd.tail.parsers import make_line_parser
from efklab.jobs.defaults import SAMPLE_CONTAINERS, SEED_CONFIG
from efklab.jobs.pipeline import read_container_logs
from efklab.samples.generate import (
    ContainerLog,
    SampleSpec,
    format_rfc3339nano,
    generate_containers,
    pod_facts,
    render_log,
    truth_rows,
)

_SUBSCRIPTION = Subscription()  # the account and filter name the payloads carry unless told


@dataclass(frozen=True, slots=True)
class GeneratedSamples:
    """A sample set written to ``out``: how many container logs, and what the pipeline made of them."""

    out: Path
    containers: int
    result: PipelineResult


@dataclass(frozen=True, slots=True)
class SamplePayloads:
    """The payloads (and rejects) a config delivers for some container log files."""

    files: int
    result: PipelineResult


def generate_samples(
    *, out: str, events: int = 3000, seed: int = 1, days: int = 40, recent_days: int = 3, old_day_events: int = 6,
    start: str = "2021-03-22", format: str = "docker", lambda_events: bool = False, force: bool = False,
    config: str | None = None, cluster_name: str = "MyClusterName", env: Sequence[str] = (),
    owner: str = _SUBSCRIPTION.owner, filter_name: str = _SUBSCRIPTION.filter_name, no_control_message: bool = False,
) -> GeneratedSamples:
    """Write a complete, reproducible sample set into ``out``: same options, same bytes.

    Container logs, the payloads the pipeline delivers for them (per UTC day), per-event provenance,
    the truth of every logical statement, pods.json and a manifest of the options.
    """
    try:
        first_day = datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise UsageError(f"--start wants a date like 2021-03-22, not {start!r}") from exc
    spec = SampleSpec(seed=seed, events=events, days=days, recent_days=recent_days,
                      old_day_events=old_day_events, start=first_day, format=format)
    config_file = _config_file(config)
    routes = plan_routes(load_config(config_file), _environment(cluster_name, env))  # config errors before writing
    logs = generate_containers(spec)
    _check_format_parses(logs, routes, spec.format, config_file)
    target = Path(out)
    prepare_out_dir(target, force)
    facts = _write_logs(target, logs, spec.format)
    write_text(target / "truth.jsonl", jsonl(truth_rows(logs)))
    files = [(str(target / "containers" / log.file_name), f"containers/{log.file_name}") for log in logs]
    options = _pipeline_options(cluster_name, owner, filter_name, no_control_message, seed,
                                lambda pod, ns, c: facts.get((pod, ns, c)))
    result = run_pipeline(read_container_logs(files, routes), routes, options)
    for day, deliveries in by_delivery_day(result.deliveries).items():
        write_output(str(target / "payloads" / f"{day}.jsonl.gz"), jsonl(payload_json(d.payload) for d in deliveries))
        if lambda_events:
            write_output(str(target / "lambda-events" / f"{day}.jsonl.gz"),
                         jsonl(to_lambda_event(d.payload) for d in deliveries))
    write_output(str(target / "provenance.jsonl.gz"), jsonl(result.provenance()))
    rejects_path = target / "rejects.jsonl"
    if result.rejects:
        write_text(rejects_path, jsonl(r.to_json() for r in result.rejects))
    elif rejects_path.exists():
        rejects_path.unlink()
    options_text = _generate_options(spec, start=start, config=config, cluster_name=cluster_name, env=env, owner=owner,
                                     filter_name=filter_name, no_control_message=no_control_message,
                                     lambda_events=lambda_events)
    write_text(target / "manifest.json", _manifest(options_text, logs, result))
    return GeneratedSamples(target, len(logs), result)


def samples_payloads(
    logs: Sequence[str], *, out: str, config: str, provenance: str | None = None, rejects: str | None = None,
    lambda_events: str | None = None, pods: str | None = None, seed: int = 1, cluster_name: str = "MyClusterName",
    env: Sequence[str] = (), owner: str = _SUBSCRIPTION.owner, filter_name: str = _SUBSCRIPTION.filter_name,
    no_control_message: bool = False,
) -> SamplePayloads:
    """Payloads (and provenance, rejects, Lambda events) for existing container logs under ``config``.

    Each output is a file (gzip when it ends in .gz) or ``-`` for stdout.
    """
    routes = plan_routes(load_config(config), _environment(cluster_name, env))
    files = container_log_paths(logs)
    facts = load_pods(pods) if pods else None
    options = _pipeline_options(cluster_name, owner, filter_name, no_control_message, seed, facts)
    result = run_pipeline(read_container_logs(files, routes), routes, options)
    write_output(out, jsonl(payload_json(d.payload) for d in result.deliveries))
    if provenance:
        write_output(provenance, jsonl(result.provenance()))
    if rejects:
        write_output(rejects, jsonl(r.to_json() for r in result.rejects))
    if lambda_events:
        write_output(lambda_events, jsonl(to_lambda_event(d.payload) for d in result.deliveries))
    return SamplePayloads(len(files), result)


def sample_logs(out: str | Path, *, events: int = 300, seed: int = 1, days: int = 2,
                end: str = "2021-04-30") -> list[str]:
    """Generate container logs (docker json-file) into ``out/containers`` for the ``days`` ending on ``end``.

    Few days keep a notebook quick; the last ``min(3, days)`` days hold the bulk of the lines.
    Returns the paths of the log files.
    """
    last = datetime.strptime(end, "%Y-%m-%d").replace(tzinfo=UTC)
    spec = SampleSpec(seed=seed, events=events, days=days, recent_days=min(3, days),
                      start=last - timedelta(days=days - 1))
    spec.validate()
    logs = generate_containers(spec)
    _write_logs(Path(out), logs, spec.format)
    return [str(Path(out) / "containers" / log.file_name) for log in logs]


def _check_format_parses(logs: Sequence[ContainerLog], routes: list[Route], log_format: str, config: str) -> None:
    """Refuse a ``--format`` the config's ``<parse>`` cannot read, before anything is written.

    Otherwise every line lands in rejects.jsonl and the set holds no payload at all (CRI lines
    under the seed's docker json-file parser).
    """
    for log in logs:
        route = route_for(routes, log.file_name)
        if route is None or not log.lines:
            continue
        first = render_log(log, log_format).split("\n", 1)[0]
        parsed = make_line_parser(route.parse)(first)
        if isinstance(parsed, str):
            where = f"{config}:{route.parse.line}" if route.parse.line else config
            raise UsageError(
                f"--format {log_format}: the config's in_tail <parse> ({where}) cannot read {log_format} lines "
                f"({log.file_name}: {parsed[:120]}); every line would be rejected. Use --format docker, or a "
                f"--config whose <parse> reads {log_format} lines (e.g. @type cri)", source="--format")


def _write_logs(out: Path, logs: Sequence[ContainerLog], log_format: str) -> dict[tuple[str, str, str], PodFacts]:
    """``out/containers/*.log`` and ``out/pods.json`` (what kubernetes_metadata knows); returns those pod facts."""
    for log in logs:
        write_text(out / "containers" / log.file_name, render_log(log, log_format))
    facts = {(log.pod, log.namespace, log.container): pod_facts(log) for log in logs}
    write_text(out / "pods.json", pods_json(facts))
    return facts


def container_logs(logs: str = "") -> list[str]:
    """The container log files to work on: ``logs`` (a folder or a file), or the committed sample set when empty."""
    return log_files(logs or str(SAMPLE_CONTAINERS))


def _config_file(config: str | None) -> str:
    if config:
        return str(config)
    if not SEED_CONFIG.exists():
        raise UsageError("--config is required here (data/samples/fluentd.yaml is not beside this installation)")
    return str(SEED_CONFIG)


def _environment(cluster_name: str, env: Sequence[str]) -> dict[str, str]:
    """What ``#{ENV.fetch(...)}`` reads: CLUSTER_NAME, REGION, and each ``NAME=VALUE`` of ``env``."""
    variables = {"CLUSTER_NAME": cluster_name, "REGION": "ap-northeast-2"}
    for item in env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--env wants NAME=VALUE, not {item!r}")
        variables[name] = value
    return variables


def _pipeline_options(cluster_name: str, owner: str, filter_name: str, no_control_message: bool, seed: int,
                      facts: Callable[[str, str, str], PodFacts | None] | None) -> PipelineOptions:
    subscription = Subscription(owner=owner, filter_name=filter_name, control_message=not no_control_message)
    return PipelineOptions(cluster=cluster_name, subscription=subscription, seed=seed, facts=facts)


def _generate_options(spec: SampleSpec, *, start: str, config: str | None, cluster_name: str, env: Sequence[str],
                      owner: str, filter_name: str, no_control_message: bool, lambda_events: bool) -> str:
    """The ``efklab samples generate`` options that made the set (the output directory left out)."""
    options = ["--events", str(spec.events), "--seed", str(spec.seed), "--days", str(spec.days), "--recent-days",
               str(spec.recent_days), "--old-day-events", str(spec.old_day_events), "--start", start,
               "--format", spec.format, "--cluster-name", cluster_name, "--owner", owner, "--filter-name", filter_name]
    options += ["--config", config] if config else []
    for item in env:
        options += ["--env", item]
    options += ["--no-control-message"] if no_control_message else []
    options += ["--lambda-events"] if lambda_events else []
    return shlex.join(options)


def _manifest(options: str, logs: list[ContainerLog], result: PipelineResult) -> str:
    """What was generated and with which options (the output directory left out, so any copy is identical)."""
    manifest: dict[str, Any] = {
        "generator": "efklab samples generate",
        "options": options,
        "containers": len(logs),
        "lines": result.lines,
        "statements": sum(len(log.statements) for log in logs),
        "payloads": len(result.deliveries),
        "events": data_events(result.deliveries),
        "rejects": dict(Counter(r.reason for r in result.rejects)),
        "first_line": format_rfc3339nano(min((log.lines[0].time_ns for log in logs if log.lines), default=0)),
        "last_line": format_rfc3339nano(max((log.lines[-1].time_ns for log in logs if log.lines), default=0)),
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
