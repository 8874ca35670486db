"""``efklab multiline group|diff|filters``: group container log lines exactly as fluent-plugin-concat does.

group    one JSON object per emitted event, in emission order, on stdout
diff     what changing the rule (a regexp, a config, a config at a git revision) does; exit 1 if anything
filters  every concat filter of fluentd configs, with its context and whether fluentd would accept it
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tqdm import tqdm

from efklab.cli.multiline.options import RULE_FLAGS, RULE_OPTIONS
from efklab.cli.multiline.text import group_summary, render_diff, render_filters
from efklab.jobs.multiline import diff_logs, group_logs, list_filters


def _rule(args: argparse.Namespace) -> dict[str, str | None]:
    """The rule options as given (None when unset), by concat parameter, in the options' order."""
    return {param: getattr(args, param, None) for _, param, _ in RULE_OPTIONS + RULE_FLAGS}


def _say(text: str) -> None:
    print(f"efklab multiline: {text}", file=sys.stderr)


class _Notes:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, text: str) -> None:
        if not self.quiet:
            _say(text)


def _progress(*, enabled: bool) -> Any:
    return tqdm(unit=" lines", unit_scale=True, file=sys.stderr, leave=False,
                disable=not (enabled and sys.stderr.isatty()))


def run_group(args: argparse.Namespace) -> int:
    """Stream the emitted events of every log file as JSON lines."""
    grouping = group_logs(args.logfiles, config=args.config, filter=args.filter, rule=_rule(args), param=args.param,
                          flush_timeouts=args.flush_timeouts, format=args.format, say=_say)
    note = _Notes(args.quiet)
    for origin in grouping.origins():
        note(f"using {origin}")
    for warning in grouping.warnings():
        note(f"warning: {warning}")
    with _progress(enabled=not args.quiet) as bar:
        written = grouping.write(sys.stdout.buffer, progress=bar.update)
    for line in group_summary(written.counts, written.lines, written.rejects):
        note(line)
    return 0


def run_diff(args: argparse.Namespace) -> int:
    """Diff the groupings of --old and --new; exit 0 identical, 1 different."""
    with _progress(enabled=not args.json) as bar:
        seen = [0]

        def progress(n: int) -> None:
            bar.update(n - seen[0])
            seen[0] = n

        diff = diff_logs(args.logfiles, old=args.old, new=args.new, filter=args.filter, config=args.config,
                         rule=_rule(args), param=args.param, flush_timeouts=args.flush_timeouts, format=args.format,
                         examples=args.examples, progress=progress)
    if args.json:
        sys.stdout.write(json.dumps(diff.report, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_diff(diff.report))
    return 0 if diff.identical else 1


def run_filters(args: argparse.Namespace) -> int:
    """List concat filters; exit 1 when fluentd would refuse one of them."""
    listing = list_filters(args.configs, say=_say)
    if args.json:
        sys.stdout.write(json.dumps(listing.items, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_filters(listing.items))
    return 1 if listing.refused else 0
