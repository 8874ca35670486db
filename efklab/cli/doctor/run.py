"""``efklab doctor``: run every known-trap check on a pipeline's config, policy, logs and payloads."""
from __future__ import annotations

import argparse
import json
import sys

from efklab.cli.doctor.text import print_checks, print_report
from efklab.jobs.doctor import diagnose, doctor_checks


def run_doctor(args: argparse.Namespace) -> int:
    """Read the inputs, run the checks, print the findings; exit 1 on an error."""
    if args.list:
        print_checks(doctor_checks(only=args.only, skip=args.skip), sys.stdout)
        return 0
    report = diagnose(config=args.config, policy=args.policy, logs=args.logs, payloads=args.payloads,
                      max_lines=args.max_lines, mode=args.mode, index_strategy=args.index_strategy,
                      prefix=args.prefix, tz=args.tz, primaries=args.primaries, replicas=args.replicas,
                      data_nodes=args.data_nodes, max_shards_per_node=args.max_shards_per_node,
                      field_limit=args.field_limit, only=args.only, skip=args.skip,
                      opensearch_url=args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
                      no_verify_tls=args.no_verify_tls, local=args.local, env=args.env, records=args.records)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        print_report(report, sys.stdout, min_severity=args.min_severity)
    return report.exit_code(strict=args.strict)
