"""``efklab capture``: pull a log group's events with boto3 and write them as subscription payloads.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from efklab.cli.capture.text import capture_json, capture_line
from efklab.jobs.capture import capture


def _say(text: str) -> None:
    print(f"efklab capture: {text}", file=sys.stderr)


def run(
    args: argparse.Namespace,
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
    make_session: Callable[..., Any] | None = None,
) -> int:
    """Capture; 0 when every event was written, 2 when some could not be (``make_session``:
    ``efklab.adapters.aws.make_session`` unless given)."""
    with tqdm(unit=" events", disable=not sys.stderr.isatty(), file=sys.stderr, desc="capture") as bar:

        def on_events(events: int, group: str) -> None:
            bar.update(events)
            bar.set_postfix_str(group[-40:], refresh=False)

        summary = capture(
            out=args.out, log_group=args.log_group or (), log_group_prefix=args.log_group_prefix, start=args.start,
            end=args.end, filter_pattern=args.filter_pattern, subscription_filter=args.subscription_filter,
            lambda_events=args.lambda_events, profile=args.profile, region=args.region, resume=args.resume,
            settle=args.settle, page_size=args.page_size, say=_say, on_events=on_events, sleep=sleep, now=now,
            make_session=make_session,
        )
    if args.json:
        print(capture_json(summary))
    print(capture_line(summary), file=sys.stderr)
    return 2 if summary.rejected_events else 0
