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

from efklab.cli.common import add_json_option
from efklab.fluentd.concat.events import ROUTE_DROPPED, ROUTE_ERROR
from efklab.errors import EfklabError, UsageError
from efklab.model import Reject

if TYPE_CHECKING:  # the engine, the readers and the config parser load when a sub-command runs
    from efklab.fluentd.concat.events import Emitted
    from efklab.multiline.grouping import Grouper
    from efklab.multiline.rulespec import RuleChoice

FLUSH_TIMEOUT_MODES = ("event-time", "off")  # efklab.multiline.grouping.FLUSH_TIMEOUT_MODES

# (option, concat parameter, help); values are taken as fluentd sees them after config quoting.
RULE_OPTIONS = (
    ("--key", "key", "record field holding the line (default: log)"),
    ("--start-regexp", "multiline_start_regexp", "multiline_start_regexp as written in a config, e.g. '/^\\d{4}-/'"),
    ("--end-regexp", "multiline_end_regexp", "multiline_end_regexp, e.g. '/\\n$/'"),
    ("--continuous-line-regexp", "continuous_line_regexp", "continuous_line_regexp"),
    ("--n-lines", "n_lines", "n_lines (line mode)"),
    ("--separator", "separator", "separator, taken literally (default: a newline; use '' for docker logs, $'\\n' for a newline)"),
    ("--flush-interval", "flush_interval", "flush_interval in fluentd time units (default 60)"),
    ("--timeout-label", "timeout_label", "timeout_label; unset, timeout flushes take the @ERROR route"),
    ("--stream-identity-key", "stream_identity_key", "stream_identity_key (unset: one buffer per file, stdout and stderr shared)"),
)
RULE_FLAGS = (("--use-first-timestamp", "use_first_timestamp", "use_first_timestamp true"),)


def register(sub: argparse._SubParsersAction, summary: str) -> None:  # type: ignore[type-arg]
    """Add ``efklab multiline`` and its sub-commands."""
    p = sub.add_parser("multiline", help=summary, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = p.add_subparsers(dest="multiline_command", metavar="SUBCOMMAND", parser_class=type(p))
    commands.required = True
    _register_group(commands)
    _register_diff(commands)
    _register_filters(commands)


def _add_rule_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("rule (instead of a config)")
    for option, param, help_ in RULE_OPTIONS:
        g.add_argument(option, dest=param, metavar="VALUE", help=help_)
    for option, param, help_ in RULE_FLAGS:
        g.add_argument(option, dest=param, action="store_const", const="true", help=help_)
    g.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="any other concat parameter, e.g. --param partial_key=partial_message (repeatable)")


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--flush-timeouts", choices=FLUSH_TIMEOUT_MODES, default="event-time",
                   help="event-time: a stream idle for flush_interval (event time) is flushed as the plugin's "
                   "timer would (default); off: no timeouts, as when fluentd reads a file in one go")
    p.add_argument("--format", choices=("auto", "docker", "cri", "text"), default="auto",
                   help="log file format (default: auto-detect per file)")
    p.add_argument("logfiles", nargs="+", metavar="LOGFILE",
                   help="container log files (docker json-file, CRI or plain text), or directories of *.log files")


def _register_group(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("group", help="print the events fluentd's concat filter emits for log files",
                            description="Group log lines with a concat filter from a config or with options; one JSON "
                            "object per emitted event on stdout: {time, tag, route (main|timeout|error), record}.")
    p.add_argument("--config", metavar="FILE", help="fluentd config: fluent.conf, ConfigMap YAML or a bare filter body")
    p.add_argument("--filter", metavar="ID|LABEL|N", help="which concat filter of --config (default: the one fluentd applies to each file)")
    _add_rule_options(p)
    _add_input_options(p)
    p.add_argument("--quiet", action="store_true", help="no notes or summary on stderr")
    p.set_defaults(func=run_group)


def _register_diff(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("diff", help="compare the grouping of two rules on the same log files (exit 1 if different)",
                            description="SPEC is a start regexp literal '/.../', a config file, or FILE@GITREV "
                            "(the file at a git revision). Exit 0 identical, 1 different, 2 error.")
    p.add_argument("--old", required=True, metavar="SPEC", help="the rule before the change")
    p.add_argument("--new", required=True, metavar="SPEC", help="the rule after the change")
    p.add_argument("--filter", metavar="ID|LABEL|N", help="which concat filter of config SPECs")
    p.add_argument("--examples", type=int, default=5, metavar="N", help="changed groups shown side by side (default 5)")
    _add_rule_options(p)
    _add_input_options(p)
    add_json_option(p)
    p.set_defaults(func=run_diff)


def _register_filters(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("filters", help="list the concat filters of fluentd configs (exit 1 if fluentd would refuse one)",
                            description="Every <filter> with @type concat: file, line, label, pattern, @id and parameters "
                            "as written, and whether fluentd would accept it.")
    p.add_argument("configs", nargs="+", metavar="CONFIG")
    add_json_option(p)
    p.set_defaults(func=run_filters)


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
    from efklab.jobs.sampleset import container_log_paths

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
        from efklab.cli.multilinetext import render_diff

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
        from efklab.cli.multilinetext import render_filters

        sys.stdout.write(render_filters(items))
    return 1 if refused else 0
