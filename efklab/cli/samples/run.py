"""``efklab samples``: generate a deterministic sample set, or turn your own container logs into payloads.

``generate`` writes container logs, the CloudWatch payloads the seed's pipeline delivers for
them, per-event provenance and the truth of every logical statement; ``payloads`` runs any
fluentd config over existing container logs.  Both go through ``efklab.fluentd.pipeline``.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from efklab.errors import UsageError

if TYPE_CHECKING:
    from efklab.cloudwatch.delivery import Delivery
    from efklab.fluentd.pipeline import PipelineOptions, PipelineResult
    from efklab.samples.generate import SampleSpec


from efklab.jobs.defaults import SEED_CONFIG


def _missing(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _env(args: argparse.Namespace) -> dict[str, str]:
    env = {"CLUSTER_NAME": args.cluster_name, "REGION": "ap-northeast-2"}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--env wants NAME=VALUE, not {item!r}")
        env[name] = value
    return env


def _options(args: argparse.Namespace, facts: Any = None) -> PipelineOptions:
    from efklab.cloudwatch.delivery import Subscription
    from efklab.fluentd.pipeline import PipelineOptions

    subscription = Subscription(owner=args.owner, filter_name=args.filter_name, control_message=not args.no_control_message)
    return PipelineOptions(cluster=args.cluster_name, subscription=subscription, seed=args.seed, facts=facts)


def _config_path(args: argparse.Namespace) -> str:
    if args.config:
        return str(args.config)
    if not SEED_CONFIG.exists():
        raise UsageError("--config is required here (data/samples/fluentd.yaml is not beside this installation)")
    return str(SEED_CONFIG)


def run_generate(args: argparse.Namespace) -> int:
    """Write a complete, reproducible sample set."""
    from efklab.cloudwatch.payloads import payload_json, to_lambda_event
    from efklab.fluentd.config.find import load_config
    from efklab.fluentd.pipeline import run_pipeline
    from efklab.fluentd.routing import plan_routes
    from efklab.adapters.samplefiles import (
        gzip_bytes,
        jsonl,
        pods_json,
        prepare_out_dir,
        write_text,
    )
    from efklab.jobs.pipeline import read_container_logs
    from efklab.samples.generate import (
        SampleSpec,
        generate_containers,
        pod_facts,
        render_log,
        truth_rows,
    )

    try:
        start = datetime.strptime(args.start, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError as exc:
        raise UsageError(f"--start wants a date like 2021-03-22, not {args.start!r}") from exc
    spec = SampleSpec(seed=args.seed, events=args.events, days=args.days, recent_days=args.recent_days,
                      old_day_events=args.old_day_events, start=start, format=args.format)
    routes = plan_routes(load_config(_config_path(args)), _env(args))  # config errors before anything is written
    logs = generate_containers(spec)
    out = Path(args.out)
    prepare_out_dir(out, args.force)
    for log in logs:
        write_text(out / "containers" / log.file_name, render_log(log, spec.format))
    facts = {(log.pod, log.namespace, log.container): pod_facts(log) for log in logs}
    write_text(out / "pods.json", pods_json(facts))
    write_text(out / "truth.jsonl", jsonl(truth_rows(logs)))
    files = [(str(out / "containers" / log.file_name), f"containers/{log.file_name}") for log in logs]
    result = run_pipeline(read_container_logs(files, routes), routes, _options(args, lambda pod, ns, c: facts.get((pod, ns, c))))
    by_day = _by_day(result.deliveries)
    for day, deliveries in by_day.items():
        (out / "payloads").mkdir(exist_ok=True)
        (out / "payloads" / f"{day}.jsonl.gz").write_bytes(gzip_bytes(jsonl(payload_json(d.payload) for d in deliveries)))
        if args.lambda_events:
            (out / "lambda-events").mkdir(exist_ok=True)
            (out / "lambda-events" / f"{day}.jsonl.gz").write_bytes(gzip_bytes(jsonl(to_lambda_event(d.payload) for d in deliveries)))
    (out / "provenance.jsonl.gz").write_bytes(gzip_bytes(jsonl(result.provenance())))
    rejects_path = out / "rejects.jsonl"
    if result.rejects:
        write_text(rejects_path, jsonl(r.to_json() for r in result.rejects))
    elif rejects_path.exists():
        rejects_path.unlink()
    write_text(out / "manifest.json", _manifest(args, spec, logs, result))
    _summarise(out, len(logs), result, sys.stderr if result.rejects else sys.stdout)
    return 0


def run_payloads(args: argparse.Namespace) -> int:
    """Payloads (and provenance, rejects) for existing container logs."""
    from efklab.cloudwatch.payloads import payload_json, to_lambda_event
    from efklab.fluentd.config.find import load_config
    from efklab.fluentd.pipeline import run_pipeline
    from efklab.fluentd.routing import plan_routes
    from efklab.adapters.samplefiles import (
        container_log_paths,
        jsonl,
        load_pods,
        write_output,
    )
    from efklab.jobs.pipeline import read_container_logs

    routes = plan_routes(load_config(args.config), _env(args))
    files = container_log_paths(args.logs)
    facts = load_pods(args.pods) if args.pods else None
    result = run_pipeline(read_container_logs(files, routes), routes, _options(args, facts))
    write_output(args.out, jsonl(payload_json(d.payload) for d in result.deliveries))
    if args.provenance:
        write_output(args.provenance, jsonl(result.provenance()))
    if args.rejects:
        write_output(args.rejects, jsonl(r.to_json() for r in result.rejects))
    if args.lambda_events:
        write_output(args.lambda_events, jsonl(to_lambda_event(d.payload) for d in result.deliveries))
    for reject in result.rejects[:5]:
        print(f"efklab samples: {reject.location()}: {reject.reason}", file=sys.stderr)
    if len(result.rejects) > 5:
        print(f"efklab samples: ... and {len(result.rejects) - 5} more rejects" + (f" (see {args.rejects})" if args.rejects else " (--rejects FILE lists them)"), file=sys.stderr)
    events = _data_events(result.deliveries)
    print(f"{result.lines} lines from {len(files)} files -> {len(result.deliveries)} payloads, {events} events, {len(result.rejects)} rejects",
          file=sys.stderr if args.out == "-" else sys.stdout)
    return 2 if result.rejects else 0


def _data_events(deliveries: list[Delivery]) -> int:
    """Log events in DATA_MESSAGE payloads (the control message's event is not a log line)."""
    return sum(len(d.payload["logEvents"]) for d in deliveries if d.payload["messageType"] == "DATA_MESSAGE")


def _by_day(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    """Payloads grouped by the UTC day they were delivered, in delivery order."""
    days: dict[str, list[Delivery]] = {}
    for d in deliveries:
        day = datetime.fromtimestamp(d.deliver_ns // 10**9, tz=timezone.utc).strftime("%Y-%m-%d")
        days.setdefault(day, []).append(d)
    return days


def _manifest(args: argparse.Namespace, spec: SampleSpec, logs: list[Any], result: PipelineResult) -> str:
    """What was generated and with which options (the output directory left out, so any copy is identical)."""
    import json

    from efklab.samples.generate import format_rfc3339nano

    options = ["--events", str(spec.events), "--seed", str(spec.seed), "--days", str(spec.days), "--recent-days",
               str(spec.recent_days), "--old-day-events", str(spec.old_day_events), "--start", args.start, "--format", spec.format,
               "--cluster-name", args.cluster_name, "--owner", args.owner, "--filter-name", args.filter_name]
    options += ["--config", args.config] if args.config else []
    for item in args.env:
        options += ["--env", item]
    options += ["--no-control-message"] if args.no_control_message else []
    options += ["--lambda-events"] if args.lambda_events else []
    manifest = {
        "generator": "efklab samples generate",
        "options": shlex.join(options),
        "containers": len(logs),
        "lines": result.lines,
        "statements": sum(len(log.statements) for log in logs),
        "payloads": len(result.deliveries),
        "events": _data_events(result.deliveries),
        "rejects": dict(Counter(r.reason for r in result.rejects)),
        "first_line": format_rfc3339nano(min((log.lines[0].time_ns for log in logs if log.lines), default=0)),
        "last_line": format_rfc3339nano(max((log.lines[-1].time_ns for log in logs if log.lines), default=0)),
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def _summarise(out: Path, containers: int, result: PipelineResult, stream: Any) -> None:
    events = _data_events(result.deliveries)
    print(f"wrote {containers} container logs ({result.lines} lines), {len(result.deliveries)} payloads ({events} events) to {out}", file=stream)
    if result.rejects:
        reasons = Counter(r.reason for r in result.rejects).most_common(3)
        print(f"{len(result.rejects)} lines or events rejected (see {out / 'rejects.jsonl'}): "
              + "; ".join(f"{n} x {reason}" for reason, n in reasons), file=stream)
