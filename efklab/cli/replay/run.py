"""``efklab replay``: payload files -> the Lambda's transform -> OpenSearch, every item accounted for.
"""
from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from efklab.cli.replay.function import run_through_function
from efklab.cli.replay.text import replay_json, replay_text, stopped_text, unreadable_note
from efklab.jobs.replay import FileReplay, replay_files
from efklab.model import Reject


def _say(text: str) -> None:
    print(f"efklab replay: {text}", file=sys.stderr)


def _name_unreadable(reject: Reject) -> None:
    print(f"{reject.location()}: {reject.reason}", file=sys.stderr)


class _Progress:
    """A tqdm bar of input records on stderr, with their total counted up front (so it shows an ETA).

    Drawn only when stderr is a terminal; the documents answered so far ride along as a postfix.
    """

    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._docs = 0

    def start(self, records: int, done: int) -> None:
        self._bar = tqdm(total=records, initial=done, unit=" records", desc="replay", file=sys.stderr,
                         smoothing=0.1, dynamic_ncols=True)

    def items(self, count: int) -> None:
        self._docs += count

    def records(self, count: int) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self._docs:,} docs", refresh=False)
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def run(args: argparse.Namespace) -> int:
    if args.lambda_source:
        return run_through_function(args)
    progress = _Progress()
    show_bar = sys.stderr.isatty() and not args.json

    def stopped(partial: FileReplay) -> None:
        """A replay that stops still says what it did, marked incomplete (the error line follows on stderr)."""
        if args.json:
            print(replay_json(partial))
        elif partial.records_done:
            print(stopped_text(partial))

    result = replay_files(
        args.inputs, mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz,
        opensearch_url=args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
        no_verify_tls=args.no_verify_tls, checkpoint=args.checkpoint, dead_letters=args.dead_letters,
        no_template=args.no_template, chunk_size=args.chunk_size, chunk_bytes=args.chunk_bytes,
        max_retries=args.max_retries, initial_backoff=args.initial_backoff, workers=args.workers,
        say=_say, on_items=progress.items, on_records=progress.records, on_sent=progress.close,
        on_start=progress.start if show_bar else None, on_stopped=stopped, on_unreadable=_name_unreadable,
    )
    return _report(result, as_json=args.json)


def _report(result: FileReplay, *, as_json: bool) -> int:
    print(replay_json(result) if as_json else replay_text(result))
    if result.caveat and not as_json:
        _say(f"note: {result.caveat}")
    if result.summary.unreadable:
        _say(unreadable_note(result))
        return 2
    return 0 if result.summary.failed == 0 and result.summary.rejected == 0 else 1
