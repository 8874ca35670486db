"""``efklab transform``: CloudWatch subscription payloads -> the ``_bulk`` body, on stdout.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from efklab.cloudwatch.payloads import Payload
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.errors import InputError, UsageError
from efklab.lambda_.transform import (
    TransformOptions,
    compile_options,
    render_bulk,
    transform_payload,
)
from efklab.model import Reject

SHOWN_REJECTS = 20  # reject lines printed on stderr before the rest is only counted


def run(args: argparse.Namespace) -> int:
    options = TransformOptions(mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz)
    compile_options(options)  # usage errors before any output
    inputs = args.inputs or ["-"]
    if not args.inputs and sys.stdin.isatty():
        raise UsageError("no INPUT given and stdin is a terminal: name a payload file, or pipe payloads in")
    counts: Counter[str] = Counter()
    shown = 0
    out = sys.stdout.buffer
    with _rejects_file(args.rejects) as reject_sink, _console(quiet=args.quiet) as console:
        for record in iter_payload_records(inputs):
            console.tick()
            if isinstance(record, Reject):
                rejects: list[Reject] = [record]
                counts["records rejected"] += 1
            else:
                rejects = _transform(record, options, out, counts)
            for reject in rejects:
                counts["rejects"] += 1
                counts[f"rejects:{reject.stage}"] += 1
                if reject_sink is not None:
                    reject_sink.write(_reject_json(reject) + "\n")
                if not args.quiet and shown < SHOWN_REJECTS:
                    console.say(f"{reject.location()}: {reject.reason}")
                    shown += 1
    out.flush()
    if counts["rejects"] > shown and not args.quiet:
        hint = "" if args.rejects else " (write them all with --rejects FILE)"
        print(f"... {counts['rejects'] - shown} more rejects not shown{hint}", file=sys.stderr)
    print(f"efklab transform: {summary_text(counts)}", file=sys.stderr)
    return 2 if counts["rejects"] else 0


def _transform(payload: Payload, options: TransformOptions, out: IO[bytes], counts: Counter[str]) -> list[Reject]:
    counts["payloads"] += 1
    if payload.is_control:
        counts["control"] += 1
        return []
    actions, rejects = transform_payload(payload, options)
    counts["events"] += len(actions) + len(rejects)
    counts["actions"] += len(actions)
    if actions:
        out.write(render_bulk(actions).encode("utf-8"))
    return rejects


def summary_text(counts: Counter[str]) -> str:
    """One line: payloads, control messages, events, actions, rejects (by stage)."""
    text = (
        f"{_n(counts['payloads'], 'payload')} ({_n(counts['control'], 'control message')}), "
        f"{_n(counts['events'], 'event')} -> {_n(counts['actions'], 'action')}, {_n(counts['rejects'], 'reject')}"
    )
    stages = sorted((k.split(":", 1)[1], n) for k, n in counts.items() if k.startswith("rejects:"))
    if stages:
        text += " (" + ", ".join(f"{n} {stage}" for stage, n in stages) + ")"
    return text


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _reject_json(reject: Reject) -> str:
    data = reject.to_json()
    try:
        text = json.dumps(data, ensure_ascii=False)
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # lone surrogates in a rejected event
        return json.dumps(data)


@contextmanager
def _rejects_file(path: str | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    try:
        sink = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot write the rejects file: {exc.strerror}", source=path) from exc
    with sink:
        yield sink


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
    from tqdm import tqdm

    with tqdm(unit=" payloads", file=sys.stderr, leave=False) as bar:
        yield _Console(bar)
