"""The ``efklab`` console script: parse arguments, call the core, map errors to exit codes.

Each command group lives in its own module ``efklab.cli.<name>`` exposing
``register(subparsers)``; the module sets ``func`` on its parser, a callable
``(args) -> int``.  Exit codes everywhere: 0 ok, 1 a check failed, 2 bad input or usage.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from efklab import __version__
from efklab.errors import EfklabError

# (module, one-line summary) in the order `efklab --help` lists them.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("transform", "CloudWatch subscription payloads -> OpenSearch _bulk body (seed-exact or corrected)"),
    ("samples", "generate deterministic container logs and CloudWatch payloads"),
    ("multiline", "group container log lines exactly as fluent-plugin-concat does; diff regex changes"),
    ("opensearch", "manage the local OpenSearch node (up/down/status)"),
    ("replay", "replay payloads through the transform into OpenSearch"),
    ("layout", "expected vs actual index layout, mapping risks, shard projection"),
    ("retention", "validate, simulate, apply and explain ISM retention policies"),
    ("ordering", "measure how Dashboards orders the lines of each stream"),
    ("report", "run the notebooks as a papermill report with verdicts"),
    ("capture", "capture subscription payloads from CloudWatch Logs with boto3"),
    ("doctor", "run every known-trap check on a pipeline's config, policy and samples"),
    ("casetest", "run declarative pipeline test cases (efklab test CASES.yaml)"),
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command group that is installed."""
    parser = OneLineParser(
        prog="efklab",
        description="Prove what your EFK log pipeline does before production shows you.",
        epilog="Exit codes: 0 ok, 1 a check failed, 2 bad input or usage. "
        "'efklab COMMAND --help' describes each command.",
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=22, width=100),
    )
    parser.add_argument("--version", action="version", version=f"efklab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=OneLineParser)
    for name, summary in COMMANDS:
        module = _load(name)
        if module is not None:
            module.register(sub, summary)
    return parser


def _load(name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(f"efklab.cli.{name}")
    except ModuleNotFoundError as exc:  # a command group not built yet
        if exc.name == f"efklab.cli.{name}":
            return None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except EfklabError as exc:
        print(f"efklab {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"efklab {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `efklab transform ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def run() -> NoReturn:
    """Console-script wrapper."""
    sys.exit(main())
