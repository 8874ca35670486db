"""``efklab replay``: payload files -> the Lambda's transform -> OpenSearch, every item accounted for.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from efklab.cli.replay.options import DEFAULT_DEAD_LETTERS
from efklab.errors import EfklabError, UsageError
from efklab.model import UNREADABLE_STAGES, Reject
from efklab.opensearch.bulk import (
    BulkSettings,
    ReplaySummary,
    RetryPolicy,
    render_summary,
)

if TYPE_CHECKING:  # the adapters (opensearch-py) and the transform load when a replay runs
    from efklab.adapters.opensearch import Connection
    from efklab.cloudwatch.payloads import Payload
    from efklab.lambda_.transform import BulkAction, TransformOptions
    from efklab.opensearch.batches import BatchAnswer






READ_AHEAD = 2  # bulk requests read, transformed and rendered in the background while one is in flight


def _say(text: str) -> None:
    print(f"efklab replay: {text}", file=sys.stderr)


def send_batches(*args: Any, **kwargs: Any) -> Iterator[BatchAnswer]:
    """``efklab.adapters.opensearch.send_batches``, imported when a replay sends its first batch."""
    from efklab.adapters.opensearch import send_batches as send

    return send(*args, **kwargs)


def _options(args: argparse.Namespace) -> TransformOptions:
    from efklab.lambda_.transform import TransformOptions, compile_options

    options = TransformOptions(mode=args.mode, index_strategy=args.index_strategy, prefix=args.prefix, tz=args.tz)
    compile_options(options)
    return options


def _bulk_settings(args: argparse.Namespace) -> BulkSettings:
    for name in ("chunk_size", "chunk_bytes"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_retries < 0 or args.initial_backoff < 0:
        raise UsageError("--max-retries and --initial-backoff cannot be negative")
    retry = RetryPolicy(max_retries=args.max_retries, initial_backoff=args.initial_backoff)
    return BulkSettings(chunk_size=args.chunk_size, chunk_bytes=args.chunk_bytes, retry=retry)


def _connect(args: argparse.Namespace) -> Connection:
    from efklab.adapters.localnode import lifecycle as node
    from efklab.adapters.opensearch import connection_from_env

    url = args.opensearch_url or node.ensure_local_node(say=_say)
    return connection_from_env(url, aws_region=args.aws_region, ca_certs=args.ca_certs, verify_tls=not args.no_verify_tls)


def _progress_bar(enabled: bool) -> tuple[Callable[[int], object], Callable[[], None]]:
    if not enabled:
        return (lambda _: None), (lambda: None)
    from tqdm import tqdm

    bar = tqdm(unit=" docs", desc="replay", file=sys.stderr, smoothing=0.1)
    return bar.update, bar.close


def _naming_unreadable(records: Iterable[Payload | Reject], skip: int) -> Iterator[Payload | Reject]:
    """``records`` unchanged; each unreadable one after the first ``skip`` is named on stderr as it is read."""
    for number, record in enumerate(records):
        if number >= skip and isinstance(record, Reject) and record.stage in UNREADABLE_STAGES:
            print(f"{record.location()}: {record.reason}", file=sys.stderr)
        yield record


def run(args: argparse.Namespace) -> int:
    from efklab.adapters.files import check_inputs
    from efklab.adapters.opensearch import install_index_template, make_client
    from efklab.adapters.replayfiles import (
        DeadLetterFile,
        fingerprint_inputs,
        load_checkpoint,
        save_checkpoint,
    )
    from efklab.adapters.payloadfiles import iter_payload_records
    from efklab.lambda_.checkpoint import (
        ReplayCheckpoint,
        ReplayProgress,
        check_resumable,
    )
    from efklab.lambda_.indextemplate import pattern_for, replay_template
    from efklab.lambda_.replay import replay_records

    options = _options(args)
    settings = _bulk_settings(args)
    check_inputs(args.inputs)
    option_map = {"mode": options.mode, "index_strategy": options.index_strategy, "prefix": options.prefix, "tz": options.tz}
    fingerprints = fingerprint_inputs(args.inputs) if args.checkpoint else ()
    previous = load_checkpoint(args.checkpoint) if args.checkpoint else None
    letters_path = args.dead_letters or (previous.dead_letters if previous else None) or DEFAULT_DEAD_LETTERS
    start = ReplayProgress()
    if previous is not None:
        check_resumable(previous, fingerprints, option_map, source=args.checkpoint)
        if args.dead_letters and previous.dead_letters and Path(args.dead_letters).resolve() != Path(previous.dead_letters).resolve():
            raise UsageError(f"this checkpoint writes dead letters to {previous.dead_letters}; drop --dead-letters "
                             "or delete the checkpoint", source=args.checkpoint)
        if previous.complete:
            _say(f"{args.checkpoint} records a complete replay; nothing to do (delete it to replay again)")
            return _report(args, previous.progress.summary, letters_path if previous.progress.letters_offset else None, None)
        start = previous.progress
        _say(f"resuming after {start.records_done} payload record(s) from {args.checkpoint}")
    conn = _connect(args)
    client = make_client(conn)
    if not args.no_template:
        name, body = replay_template(pattern_for(options))
        install_index_template(client, conn, name, body)
    letters = DeadLetterFile(str(Path(letters_path).resolve()), resume_at=start.letters_offset if previous else None)

    def checkpoint(progress: ReplayProgress, complete: bool = False) -> None:
        letters.sync()
        if args.checkpoint:
            save_checkpoint(args.checkpoint, ReplayCheckpoint(fingerprints, option_map, progress, letters.path, complete))

    def send(actions: Iterable[BulkAction]) -> Iterator[BatchAnswer]:
        return send_batches(client, conn, actions, settings=settings, sleep=time.sleep, read_ahead=READ_AHEAD)

    update, close = _progress_bar(sys.stderr.isatty() and not args.json)
    try:
        records = _naming_unreadable(iter_payload_records(args.inputs), start.records_done)
        progress = replay_records(records, send, options=options, letters=letters,
                                  start=start, on_checkpoint=checkpoint, on_items=update)
    except (EfklabError, KeyboardInterrupt):
        close()
        if args.checkpoint:
            _say(f"stopped; progress saved in {args.checkpoint}: run the same command again to resume")
        raise
    finally:
        letters.close()
    close()
    checkpoint(progress, complete=True)
    return _report(args, progress.summary, letters.path if progress.letters_offset else None, conn.display_url)


def _report(args: argparse.Namespace, summary: ReplaySummary, letters: str | None, url: str | None) -> int:
    if args.json:
        print(json.dumps({"summary": summary.to_json(), "dead_letters": letters, "checkpoint": args.checkpoint,
                          "opensearch_url": url}, indent=2))
    else:
        print(render_summary(summary))
        if letters:
            print(f"dead letters: {letters}")
    if summary.unreadable:
        _say(f"{summary.unreadable} input record(s) could not be read (kept in {letters}); "
             "the readable ones were replayed")
        return 2
    return 0 if summary.failed == 0 and summary.rejected == 0 else 1
