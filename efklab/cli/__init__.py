"""The ``efklab`` console script: parse arguments, call a job, map errors to exit codes.

Each command is a package ``efklab.cli.<package>`` with two modules: ``options`` adds the
command's parser (argparse only, so building it loads no engine and no client library) and
names each sub-command's handler with ``set_defaults(handler="run_...")``; ``run`` holds those
handlers, ``(args) -> int``, which call ``efklab.jobs`` and render the result.  Only the
invoked command's modules are imported, so ``efklab --help`` and ``efklab X --help`` stay fast.
Exit codes everywhere: 0 ok, 1 a check failed, 2 bad input or usage.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from efklab import __version__
from efklab.errors import EfklabError

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True, slots=True)
class Command:
    """One ``efklab COMMAND``: its name on the command line, its package under ``efklab.cli``, its summary."""

    name: str
    package: str
    summary: str

    def register(self, sub: argparse._SubParsersAction[OneLineParser]) -> None:
        """Add this command's full parser (imports only its ``options`` module)."""
        options = importlib.import_module(f"efklab.cli.{self.package}.options")
        options.register(sub, self.summary)

    def handler(self, name: str) -> Handler:
        """The handler function ``name`` of this command's ``run`` module."""
        run = importlib.import_module(f"efklab.cli.{self.package}.run")
        function: Handler = getattr(run, name)
        return function


# In the order `efklab --help` lists them.
COMMANDS: tuple[Command, ...] = (
    Command("transform", "transform",
            "CloudWatch subscription payloads -> OpenSearch _bulk body (seed-exact or corrected)"),
    Command("samples", "samples", "generate deterministic container logs and CloudWatch payloads"),
    Command("multiline", "multiline",
            "group container log lines exactly as fluent-plugin-concat does; diff regex changes"),
    Command("opensearch", "opensearch", "manage the local OpenSearch node (up/down/status)"),
    Command("replay", "replay", "replay payloads through the transform into OpenSearch"),
    Command("lambda", "userlambda", "run your own Node.js Lambda offline on payloads; diff it against efklab's"),
    Command("layout", "layout", "expected vs actual index layout, mapping risks, shard projection"),
    Command("retention", "retention", "validate, simulate, apply, explain and rehearse ISM retention policies"),
    Command("ordering", "ordering", "measure how Dashboards orders the lines of each stream"),
    Command("report", "report", "run the notebooks as a papermill report with verdicts"),
    Command("capture", "capture", "capture subscription payloads from CloudWatch Logs with boto3"),
    Command("doctor", "doctor", "run every known-trap check on a pipeline's config, policy and samples"),
    Command("compat", "compat", "replay into two engine versions (ES 7.10, OpenSearch 1.3/2.x/3.x): what breaks"),
    Command("test", "casetest", "run declarative pipeline test cases (efklab test CASES.yaml)"),
)
BY_NAME = {command.name: command for command in COMMANDS}


class OneLineParser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser: every command listed, with full options for the one ``argv`` invokes.

    Without ``argv`` every command gets its full options.
    """
    parser = OneLineParser(
        prog="efklab",
        description="Prove what your EFK log pipeline does before production shows you.",
        epilog="Exit codes: 0 ok, 1 a check failed, 2 bad input or usage. "
        "'efklab COMMAND --help' describes each command.",
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=22, width=100),
    )
    parser.add_argument("--version", action="version", version=f"efklab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=OneLineParser)
    invoked = None if argv is None else invoked_command(argv)
    for command in COMMANDS:
        if argv is None or command.name == invoked:
            command.register(sub)
        else:
            sub.add_parser(command.name, help=command.summary)
    return parser


def invoked_command(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    command = BY_NAME.get(args.command or "")
    if command is None or not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(command.handler(args.handler)(args))
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
