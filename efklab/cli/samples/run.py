"""``efklab samples``: generate a deterministic sample set, or turn your own container logs into payloads.

``generate`` writes container logs, the CloudWatch payloads the seed's pipeline delivers for
them, per-event provenance and the truth of every logical statement; ``payloads`` runs any
fluentd config over existing container logs.  Both are recipes of ``efklab.jobs.samples``.
"""
from __future__ import annotations

import argparse
import sys

from efklab.cli.samples.text import generated_text, payloads_text, reject_lines
from efklab.jobs.samples import generate_samples, samples_payloads


def run_generate(args: argparse.Namespace) -> int:
    """Write a complete, reproducible sample set."""
    samples = generate_samples(
        out=args.out, events=args.events, seed=args.seed, days=args.days, recent_days=args.recent_days,
        old_day_events=args.old_day_events, start=args.start, format=args.format, lambda_events=args.lambda_events,
        force=args.force, config=args.config, cluster_name=args.cluster_name, env=args.env, owner=args.owner,
        filter_name=args.filter_name, no_control_message=args.no_control_message,
    )
    print(generated_text(samples), file=sys.stderr if samples.result.rejects else sys.stdout)
    return 0


def run_payloads(args: argparse.Namespace) -> int:
    """Payloads (and provenance, rejects) for existing container logs."""
    payloads = samples_payloads(
        args.logs, out=args.out, config=args.config, provenance=args.provenance, rejects=args.rejects,
        lambda_events=args.lambda_events, pods=args.pods, seed=args.seed, cluster_name=args.cluster_name,
        env=args.env, owner=args.owner, filter_name=args.filter_name, no_control_message=args.no_control_message,
    )
    for line in reject_lines(payloads.result.rejects, args.rejects):
        print(line, file=sys.stderr)
    print(payloads_text(payloads), file=sys.stderr if args.out == "-" else sys.stdout)
    return 2 if payloads.result.rejects else 0
