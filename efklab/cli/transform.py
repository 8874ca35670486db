"""``efklab transform``: CloudWatch subscription payloads -> the ``_bulk`` body, on stdout."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from efklab.cli.common import add_transform_options
from efklab.errors import InputError, UsageError
from efklab.model import Reject
from efklab.cloudwatch.payloads import Payload, iter_payload_records
from efklab.lambda_.transform import TransformOptions, compile_options, render_bulk, transform_payload

SHOWN_REJECTS = 20  # reject lines printed on stderr before the rest is only counted

DESCRIPTION = """\
Turn CloudWatch Logs subscription payloads into the OpenSearch _bulk body the Lambda would post,
written to stdout in input order.

INPUT is a file, a directory (its files, sorted) or - (stdin, the default), plain or gzip
(detected by its magic bytes). Each line holds one record: a Lambda event {"awslogs": {"data":
"<base64 gzip>"}}, a decoded payload {"messageType": ..., "logEvents": [...]}, or a bare base64
gzip string. A file whose first line is a lone { or [ is read as pretty-printed JSON (one
document after another, or an array).

--mode seed reproduces the seed Lambda byte for byte: its mydata-<namespace>-<container>-YYYY.MM.DD
index names (with 'undefined' for short log groups), the _type field OpenSearch 2.x refuses, and
every JavaScript quirk of its buildSource. --mode opensearch (the default) writes the same documents
as actions OpenSearch 2.x accepts, with names from --index-strategy checked against OpenSearch's rules.

Nothing is dropped silently: every log event yields one action or one reject. A record that cannot
be decoded is reported as FILE:LINE: reason and skipped; an event that cannot become an action (the
seed would have thrown, its index name is invalid, it breaks the payload schema) is reported as
FILE:LINE:logEvents[i]: reason. CONTROL_MESSAGE payloads are counted and yield nothing.
"""

EPILOG = """\
examples:
  efklab transform --mode seed data/samples/payloads/ > bulk.ndjson
  efklab transform --index-strategy '{prefix}-{namespace}-{container}-{date:%Y.%m.%d}' --tz Asia/Seoul payloads.jsonl
  zcat captured.jsonl.gz | efklab transform --rejects rejects.jsonl -

template fields: prefix, namespace, container (segments 5 and 6 of the lower-cased log group),
log_group and log_stream (lower-cased, forbidden characters -> '-'), log_group_name (last segment
as is), date (strftime format after ':', default %Y.%m.%d, in --tz).

exit status: 0 all events became actions; 2 something was rejected, or bad input/usage.
"""


def register(sub: argparse._SubParsersAction, summary: str) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "transform",
        help=summary,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_transform_options(p)
    p.add_argument("--rejects", metavar="FILE", help="also write every reject as JSON lines (stage, reason, source, position, item)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line on stderr, not each reject")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="payload files or directories, plain or gzip; - for stdin (default)")
    p.set_defaults(func=run)


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
