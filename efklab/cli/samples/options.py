"""Options of ``efklab samples``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

FORMATS = ("docker", "cri")  # efklab.samples.generate.FORMATS (the pipeline loads when a sub-command runs)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """``efklab samples generate|payloads``."""
    p = sub.add_parser("samples", help=summary,
                       description="Generate deterministic sample data for the seed's pipeline, or run a fluentd "
                       "config over your own container logs to get the CloudWatch payloads it would deliver.")
    commands = p.add_subparsers(dest="samples_command", metavar="SUBCOMMAND", parser_class=type(p))
    commands.required = True
    gen = commands.add_parser("generate", help="container logs + payloads + provenance into --out DIR",
                              description="Write DIR/containers/*.log, DIR/payloads/<day>.jsonl.gz (decoded payload "
                              "JSON, one per line), DIR/provenance.jsonl.gz (event id -> source lines), "
                              "DIR/truth.jsonl (the lines of every logical statement), DIR/pods.json and "
                              "DIR/manifest.json. Same options, same bytes.")
    gen.add_argument("--out", required=True, metavar="DIR",
                     help="output directory (created; must be empty unless --force)")
    gen.add_argument("--events", type=int, default=3000, metavar="N",
                     help="logical log statements across all containers (default: 3000)")
    gen.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    gen.add_argument("--days", type=int, default=40, metavar="D",
                     help="days covered, more than a 30-day retention by default (default: 40)")
    gen.add_argument("--recent-days", type=int, default=3, metavar="R",
                     help="the last R days hold the bulk of the statements (default: 3)")
    gen.add_argument("--old-day-events", type=int, default=6, metavar="K",
                     help="statements on each older day (default: 6)")
    gen.add_argument("--start", default="2021-03-22", metavar="DATE",
                     help="UTC date of the first day (default: 2021-03-22, so 40 days end on 2021-04-30)")
    gen.add_argument("--format", choices=FORMATS, default="docker",
                     help="docker json-file lines or CRI (containerd) lines (default: docker)")
    gen.add_argument("--lambda-events", action="store_true",
                     help="also write DIR/lambda-events/<day>.jsonl.gz: {\"awslogs\":{\"data\":...}} per line")
    gen.add_argument("--force", action="store_true", help="write into a non-empty DIR, replacing earlier sample files")
    _add_pipeline_options(gen, config_default=True)
    gen.set_defaults(handler="run_generate")

    pay = commands.add_parser("payloads", help="your container logs -> the payloads a fluentd config delivers",
                              description="Run container log files (docker json-file or CRI, named "
                              "<pod>_<ns>_<container>-<id>.log) through a fluentd config's in_tail <parse>, "
                              "kubernetes_metadata, record_transformer and concat filters and the CloudWatch "
                              "emulation. Exit 2 if any line was rejected (listed with --rejects).")
    pay.add_argument("logs", nargs="+", metavar="LOG", help="container log files, or directories of *.log files")
    pay.add_argument("--out", required=True, metavar="FILE", help="payload JSONL (.gz to compress; - for stdout)")
    pay.add_argument("--provenance", metavar="FILE", help="write event id -> source lines (JSONL, .gz to compress)")
    pay.add_argument("--rejects", metavar="FILE", help="write the rejected lines with reasons (JSONL)")
    pay.add_argument("--lambda-events", metavar="FILE",
                     help="also write Lambda events {\"awslogs\":{\"data\":...}} (JSONL)")
    pay.add_argument("--pods", metavar="FILE",
                     help="pods.json with each pod's node and image (as generate writes it); made up otherwise")
    pay.add_argument("--seed", type=int, default=1, metavar="S",
                     help="seed of the delivery randomness (event ids, delays; default: 1)")
    _add_pipeline_options(pay, config_default=False)
    pay.set_defaults(handler="run_payloads")


def _add_pipeline_options(parser: argparse.ArgumentParser, *, config_default: bool) -> None:
    group = parser.add_argument_group("pipeline")
    group.add_argument("--config", required=not config_default, metavar="FLUENTD_YAML",
                       help="fluentd config (ConfigMap YAML or fluent.conf)"
                       + (" (default: data/samples/fluentd.yaml, the seed's)" if config_default else ""))
    group.add_argument("--cluster-name", default="MyClusterName", metavar="NAME",
                       help="CLUSTER_NAME for #{ENV.fetch('CLUSTER_NAME')} (default: MyClusterName)")
    group.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                       help="another environment variable the config reads (repeatable)")
    group.add_argument("--owner", default="123456789012", metavar="ACCOUNT",
                       help="AWS account id in the payloads (default: 123456789012)")
    group.add_argument("--filter-name", default="LambdaStream_LogsToElasticsearch", metavar="NAME",
                       help="subscription filter name in the payloads")
    group.add_argument("--no-control-message", action="store_true",
                       help="do not deliver CloudWatch's CONTROL_MESSAGE first")
