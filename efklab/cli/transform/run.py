"""``efklab transform``: CloudWatch subscription payloads -> the ``_bulk`` body, on stdout.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from efklab.cli.transform.text import more_rejects_text, summary_text
from efklab.errors import UsageError
from efklab.jobs.transform import transform_files, transform_options
from efklab.model import Reject

SHOWN_REJECTS = 20  # reject lines printed on stderr before the rest is only counted


def run(args: argparse.Namespace) -> int:
    options = {"mode": args.mode, "index_strategy": args.index_strategy, "prefix": args.prefix, "tz": args.tz}
    transform_options(**options)  # usage errors before any output
    inputs = args.inputs or ["-"]
    if not args.inputs and sys.stdin.isatty():
        raise UsageError("no INPUT given and stdin is a terminal: name a payload file, or pipe payloads in")
    shown = 0
    out = sys.stdout.buffer
    with _console(quiet=args.quiet) as console:

        def show(reject: Reject) -> None:
            nonlocal shown
            if not args.quiet and shown < SHOWN_REJECTS:
                console.say(f"{reject.location()}: {reject.reason}")
                shown += 1

        counts = transform_files(inputs, write=out.write, rejects=args.rejects, on_reject=show, on_record=console.tick,
                                 **options)
    out.flush()
    if counts.rejects > shown and not args.quiet:
        print(more_rejects_text(counts.rejects - shown, rejects_file=bool(args.rejects)), file=sys.stderr)
    print(f"efklab transform: {summary_text(counts)}", file=sys.stderr)
    return 2 if counts.rejects else 0


class _Console:
    """Reject lines and the summary on stderr; a tqdm payload counter when stderr is a terminal."""

    def __init__(self, bar: Any = None) -> None:
        self._bar = bar

    def tick(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def say(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)


@contextmanager
def _console(*, quiet: bool) -> Iterator[_Console]:
    if quiet or not sys.stderr.isatty():
        yield _Console()
        return
    # tqdm only for a terminal: loading it costs as much as the rest of start-up (pipes and files never show it)
    tqdm = importlib.import_module("tqdm").tqdm
    with tqdm(unit=" payloads", file=sys.stderr, leave=False) as bar:
        yield _Console(bar)
