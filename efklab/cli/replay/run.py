"""``efklab replay``: payload files -> the Lambda's transform -> OpenSearch, every item accounted for.
"""
from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from efklab.cli.replay.text import replay_json, replay_text, unreadable_note
from efklab.jobs.replay import FileReplay, replay_files
from efklab.model import Reject


def _say(text: str) -> None:
    print(f"efklab replay: {text}", file=sys.stderr)


def _name_unreadable(reject: Reject) -> None:
    print(f"{reject.location()}: {reject.reason}", file=sys.stderr)


class _Progress:
    """A tqdm document counter on stderr, drawn from the first answer on, when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: tqdm | None = None

    def update(self, items: int) -> None:
        if self._enabled and self._bar is None:
            self._bar = tqdm(unit=" docs", desc="replay", file=sys.stderr, smoothing=0.1)
        if self._bar is not None:
            self._bar.update(items)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run(args: argparse.Namespace) -> int:
    progress = _Progress(sys.stderr.isatty() and not args.json)
    result = replay_files(
        args.inputs, mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz,
        opensearch_url=args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
        no_verify_tls=args.no_verify_tls, checkpoint=args.checkpoint, dead_letters=args.dead_letters,
        no_template=args.no_template, chunk_size=args.chunk_size, chunk_bytes=args.chunk_bytes,
        max_retries=args.max_retries, initial_backoff=args.initial_backoff,
        say=_say, on_items=progress.update, on_sent=progress.close, on_unreadable=_name_unreadable,
    )
    return _report(result, as_json=args.json)


def _report(result: FileReplay, *, as_json: bool) -> int:
    print(replay_json(result) if as_json else replay_text(result))
    if result.summary.unreadable:
        _say(unreadable_note(result))
        return 2
    return 0 if result.summary.failed == 0 and result.summary.rejected == 0 else 1
