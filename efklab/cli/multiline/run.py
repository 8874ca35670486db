"""``efklab multiline group|diff|filters``: group container log lines exactly as fluent-plugin-concat does.

group    one JSON object per emitted event, in emission order, on stdout
diff     what changing the rule (a regexp, a config, a config at a git revision) does; exit 1 if anything
filters  every concat filter of fluentd configs, with its context and whether fluentd would accept it
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from efklab.cli.multiline.options import RULE_FLAGS, RULE_OPTIONS
from efklab.errors import EfklabError, UsageError
from efklab.fluentd.concat.events import ROUTE_DROPPED, ROUTE_ERROR
from efklab.model import Reject

if TYPE_CHECKING:  # the engine, the readers and the config parser load when a sub-command runs
    from efklab.fluentd.concat.events import Emitted
    from efklab.multiline.grouping import Grouper
    from efklab.multiline.rulespec import RuleChoice


def _rule_params(args: argparse.Namespace) -> dict[str, str | None]:
    params: dict[str, str | None] = {"key": "log"}
    for _, param, _ in RULE_OPTIONS + RULE_FLAGS:
        value = getattr(args, param, None)
        if value is not None:
            params[param] = value
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {item!r}: want NAME=VALUE")
        params[name] = value
    return params


def _explicit_rule(args: argparse.Namespace) -> bool:
    return any(getattr(args, p, None) is not None for _, p, _ in RULE_OPTIONS + RULE_FLAGS if p != "key") or bool(args.param)


# --- group -------------------------------------------------------------------------------------
def _expand_logfiles(args: argparse.Namespace) -> None:
    """A directory stands for its *.log files (sorted), so a file keeps its own name for in_tail routing."""
    from efklab.adapters.samplefiles import container_log_paths

    args.logfiles = [path for path, _name in container_log_paths(args.logfiles)]


def run_group(args: argparse.Namespace) -> int:
    """Stream the emitted events of every log file as JSON lines."""
    if args.config and _explicit_rule(args):
        raise UsageError("give either --config or rule options (--start-regexp ...), not both")
    if not args.config and not _explicit_rule(args):
        raise UsageError("give --config FILE or a rule (--start-regexp, --end-regexp, --n-lines or --param ...)")
    _expand_logfiles(args)
    choices = _group_choices(args)
    note = _Notes(args.quiet)
    for origin in dict.fromkeys(c.origin for c in choices):
        note(f"using {origin}")
    for warning in dict.fromkeys(w for c in choices for w in c.rule.warnings):
        note(f"warning: {warning}")
    rejects: list[Reject] = []
    with _progress(enabled=not args.quiet) as bar:
        counts, lines = write_events(_group_events(args, choices, bar, rejects), sys.stdout.buffer)
    by_route = ", ".join(f"{route} {n}" for route, n in sorted(counts.items()))
    note(f"{lines} records -> {sum(counts.values()) - counts[ROUTE_DROPPED]} events ({by_route or 'none'})")
    if counts[ROUTE_ERROR]:
        note(f"{counts[ROUTE_ERROR]} event(s) took the @ERROR route (timeout/shutdown flush without timeout_label, or a "
             "record the plugin failed on): fluentd drops them unless a <label @ERROR> handles them")
    if counts[ROUTE_DROPPED]:
        note(f"{counts[ROUTE_DROPPED]} record(s) discarded by buffer_overflow_method (not printed)")
    _note_rejects(note, rejects)
    return 0


def _note_rejects(note: Any, rejects: list[Reject]) -> None:
    if rejects:
        first = rejects[0]
        note(f"{len(rejects)} line(s) the source's <parse> would not emit (fluentd drops them); "
             f"first at {first.location()}: {first.reason}")


def write_events(chunks: Iterable[list[Emitted]], out: Any) -> tuple[Counter[str], int]:
    """Write lists of events as JSON lines to a binary stream (dropped ones are only counted);
    the events per route and the records they hold."""
    from efklab.multiline.grouping import EventEncoder

    lines_of = EventEncoder().lines
    counts: Counter[str] = Counter()
    lines = 0
    write = out.write
    with _fewer_collections():
        for events in chunks:
            if events:
                counts.update(map(_ROUTE, events))
                lines += sum(map(len, map(_LINES, events)))
                for i in range(0, len(events), _WRITE_EVENTS):  # blocks of some 40 KiB: small buffers are reused
                    write(lines_of(events[i:i + _WRITE_EVENTS]).encode("utf-8", "surrogateescape"))
    out.flush()
    return counts, lines


_ROUTE, _LINES = attrgetter("route"), attrgetter("lines")


_WRITE_EVENTS = 256


@contextmanager
def _fewer_collections(first_generation: int = 100_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while millions of records and events pass
    through: they are acyclic and freed by reference counting, so frequent collections only
    re-walk the chunks in flight (about 7% of the time with the default threshold of 700)."""
    before = gc.get_threshold()
    gc.set_threshold(max(first_generation, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _group_choices(args: argparse.Namespace) -> list[RuleChoice]:
    """The rule for each log file (configs may route files to different concat filters)."""
    from efklab.multiline.rulespec import choose_filter, rule_from_options

    if not args.config:
        return [rule_from_options(_rule_params(args))] * len(args.logfiles)
    from efklab.fluentd.config.find import load_config

    config = load_config(args.config)
    for note in config.notes:
        print(f"efklab multiline: note: {note}", file=sys.stderr)
    seen: dict[str, RuleChoice] = {}
    out = []
    for path in args.logfiles:
        choice = choose_filter(config, args.filter, log_file=path, source=args.config)
        out.append(seen.setdefault(choice.origin, choice))  # one engine per filter, as in fluentd
    return out


def _group_events(args: argparse.Namespace, choices: list[RuleChoice], bar: Any, rejects: list[Reject]) -> Iterator[list[Emitted]]:
    from efklab.multiline.grouping import Grouper, read_log_chunks

    groupers: dict[int, Grouper] = {}
    for path, choice in zip(args.logfiles, choices):
        grouper = groupers.setdefault(id(choice.rule), Grouper(choice.rule, args.flush_timeouts))
        for chunk in read_log_chunks(path, fmt=args.format, tag_pattern=choice.tag_pattern, rejects=rejects):
            bar.update(len(chunk.times))
            yield grouper.push_chunk(chunk)
        yield grouper.end_file()
    for grouper in groupers.values():
        yield grouper.finish()


class _Notes:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(f"efklab multiline: {text}", file=sys.stderr)


def _progress(*, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(unit=" lines", unit_scale=True, file=sys.stderr, leave=False,
                disable=not (enabled and sys.stderr.isatty()))


# --- diff --------------------------------------------------------------------------------------
def run_diff(args: argparse.Namespace) -> int:
    """Diff the groupings of --old and --new; exit 0 identical, 1 different."""
    _expand_logfiles(args)
    from efklab.multiline.grouping import diff_rules, read_log_records
    from efklab.multiline.rulespec import resolve_spec

    params = _rule_params(args)
    first = args.logfiles[0]
    old = resolve_spec(args.old, params=params, choose=args.filter, log_file=first, which="--old")
    new = resolve_spec(args.new, params=params, choose=args.filter, log_file=first, which="--new")

    rejects: list[Reject] = []

    def streams() -> Iterator[Iterable[Any]]:
        rejects.clear()
        for path in args.logfiles:
            yield read_log_records(path, fmt=args.format, tag_pattern=old.tag_pattern or new.tag_pattern, rejects=rejects)

    with _progress(enabled=not args.json) as bar:
        seen = [0]

        def progress(n: int) -> None:
            bar.update(n - seen[0])
            seen[0] = n

        diff, shown = diff_rules(old.rule, new.rule, streams, flush_timeouts=args.flush_timeouts,
                                 clusters=max(0, args.examples), progress=progress)
    report = {"old": old.origin, "new": new.origin, "files": list(args.logfiles),
              "flush_timeouts": args.flush_timeouts, **diff.report, "clusters": shown,
              "warnings": {"old": list(old.rule.warnings), "new": list(new.rule.warnings)},
              "lines_not_parsed": len(rejects)}
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        from efklab.cli.multiline.text import render_diff

        sys.stdout.write(render_diff(report))
    return 0 if diff.identical else 1


# --- filters -----------------------------------------------------------------------------------
def run_filters(args: argparse.Namespace) -> int:
    """List concat filters; exit 1 when fluentd would refuse one of them."""
    from efklab.fluentd.config.find import find_concat_filters, load_config
    from efklab.multiline.rulespec import describe_filter, rule_from_filter

    items: list[dict[str, Any]] = []
    refused = 0
    for path in args.configs:
        config = load_config(path)
        for note in config.notes:
            print(f"efklab multiline: note: {note}", file=sys.stderr)
        for f in find_concat_filters(config):
            item = {**f.to_json(), "where": describe_filter(f), "mode": None, "warnings": [], "error": None}
            try:
                rule = rule_from_filter(f)
                item["mode"], item["warnings"] = rule.mode.name, list(rule.warnings)
            except EfklabError as exc:
                item["error"] = str(exc)
                refused += 1
            items.append(item)
    if args.json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    else:
        from efklab.cli.multiline.text import render_filters

        sys.stdout.write(render_filters(items))
    return 1 if refused else 0
