"""``efklab doctor``: run every known-trap check on a pipeline's config, policy, logs and payloads.
"""
from __future__ import annotations

import argparse
import json
import sys


def run_doctor(args: argparse.Namespace) -> int:
    """Read the inputs, run the checks, print the findings; exit 1 on an error."""
    from efklab.cli.doctor.text import print_checks, print_report
    from efklab.doctor.inputs import DoctorSettings
    from efklab.doctor.registry import select_checks
    from efklab.errors import UsageError
    from efklab.jobs.doctorrun import diagnose

    checks = select_checks(args.only, args.skip)
    if args.list:
        print_checks(checks, sys.stdout)
        return 0
    for name in ("primaries", "data_nodes", "max_shards_per_node", "field_limit"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.replicas < 0 or (args.max_lines is not None and args.max_lines < 1):
        raise UsageError("--replicas must not be negative and --max-lines must be at least 1")
    settings = DoctorSettings(mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz,
                              primaries=args.primaries, replicas=args.replicas, data_nodes=args.data_nodes,
                              max_shards_per_node=args.max_shards_per_node, field_limit=args.field_limit)
    report = diagnose(config=args.config, policy=args.policy, logs=args.logs, payloads=args.payloads, settings=settings,
                      opensearch_url=args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
                      no_verify_tls=args.no_verify_tls, local=args.local, checks=checks, max_lines=args.max_lines)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        print_report(report, sys.stdout, min_severity=args.min_severity)
    return report.exit_code(strict=args.strict)
