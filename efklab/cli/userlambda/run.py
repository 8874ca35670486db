"""``efklab lambda run|diff``: the user's function under node, its bodies, and the diff with efklab's."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from efklab.cli.userlambda.text import diff_summary, difference_text, failure_text, request_text, run_summary
from efklab.errors import InputError, UsageError
from efklab.jobs.transform import transform_options
from efklab.jobs.userlambda import diff_function, run_function


@contextmanager
def open_output(path: str | None) -> Iterator[BinaryIO]:
    """FILE for writing (a one-line InputError when it cannot be), or stdout."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        out = Path(path).open("wb")  # noqa: SIM115 - closed by the with block below
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=path) from exc
    with out:
        yield out


def _say(text: str) -> None:
    print(f"efklab lambda: {text}", file=sys.stderr)


def _timeout_ms(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    return int(args.timeout * 1000)


def run_function_command(args: argparse.Namespace) -> int:
    run = run_function(args.source, args.inputs, handler=args.function_handler, respond=args.respond,
                       timeout_ms=_timeout_ms(args), say=_say)
    with open_output(args.out) as out:
        for invocation in run.invocations:
            for request in invocation.requests:
                if args.requests:
                    _say(f"invocation {invocation.index + 1}: {request_text(request)}")
                if request.is_bulk:
                    out.write(request.body if request.body.endswith(b"\n") else request.body + b"\n")
    for reject in run.rejects:
        print(f"{reject.location()}: {reject.reason}", file=sys.stderr)
    for invocation in run.failed:
        print(failure_text(invocation), file=sys.stderr)
    _say(run_summary(run))
    return 1 if run.failed else 0


def run_diff(args: argparse.Namespace) -> int:
    given = {k: v for k, v in (("mode", args.mode), ("index_strategy", args.index_strategy), ("prefix", args.prefix),
                                ("tz", args.tz)) if v is not None}
    options = transform_options(**given) if given else None
    zones = ("UTC",) if args.tz in (None, "UTC") else ("UTC", args.tz)
    diff = diff_function(args.source, args.inputs, options, handler=args.function_handler, timeout_ms=_timeout_ms(args),
                         zones=zones, say=_say)
    for event in diff.differing[: max(0, args.shown)]:
        print(difference_text(event))
    if len(diff.differing) > args.shown:
        print(f"... {len(diff.differing) - args.shown} more differing events (show them with --shown N)")
    for reject in diff.run.rejects:
        print(f"{reject.location()}: {reject.reason}", file=sys.stderr)
    for line in diff_summary(diff):
        print(line)
    return 1 if diff.differing else 0
