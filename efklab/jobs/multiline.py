"""The multiline recipes: group log files as fluentd would, diff two rules, list concat filters, review a regex.

``efklab multiline group|diff|filters`` and notebook 02 call these.  A rule comes from a config
(one engine per concat filter, as in fluentd: files routed to the same filter share its buffers),
from rule options (``rule``: concat parameter -> value as written, ``param``: ``NAME=VALUE``
items), or from a diff SPEC (``/regexp/``, a config file, or ``FILE@GITREV``, read with git).

A bare ``/regexp/`` SPEC is only the start regexp: the rest of its rule (key, separator,
flush_interval, timeout_label, ...) comes from a config when there is one: the ``config`` given
for it, else the other SPEC's config; rule options override single parameters.  Without any
config the plugin's defaults apply (no timeout_label, flush_interval 60, separator "\n"), and
the diff says so up front: those defaults change the routes as much as the regexp does.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from efklab.adapters.gitrev import read_file_at_revision
from efklab.adapters.samplefiles import container_log_paths
from efklab.errors import EfklabError, UsageError
from efklab.fluentd.concat.events import Emitted
from efklab.fluentd.concat.rule import DEFAULT_FLUSH_INTERVAL, ConcatRule
from efklab.fluentd.config.find import find_concat_filters, load_config
from efklab.jobs.defaults import AWS_SAMPLE_CONFIG, SEED_CONFIG
from efklab.model import Reject
from efklab.multiline.encoding import write_events
from efklab.multiline.grouping import Grouper, diff_rules, group_records, read_log_chunks, read_log_records
from efklab.multiline.rulespec import (
    RuleChoice,
    choose_filter,
    describe_filter,
    resolve_spec,
    rule_from_filter,
    rule_from_options,
)
from efklab.ordering.measure import CONTINUATION

LOST_ROUTES = ("error", "dropped")  # events production never sees (no @ERROR handler / buffer overflow)
Say = Callable[[str], None]


def _silent(_: str) -> None:
    """The default ``say``: notes go nowhere."""


def rule_params(rule: Mapping[str, str | None], param: Sequence[str]) -> dict[str, str | None]:
    """Concat parameters from rule options (unset ones are None) and ``NAME=VALUE`` items; ``key`` defaults to log."""
    params: dict[str, str | None] = {"key": "log"}
    for name, value in rule.items():
        if value is not None:
            params[name] = value
    for item in param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {item!r}: want NAME=VALUE")
        params[name] = value
    return params


def _explicit_rule(rule: Mapping[str, str | None], param: Sequence[str]) -> bool:
    return any(value is not None for name, value in rule.items() if name != "key") or bool(param)


def expand_logfiles(logfiles: Iterable[str]) -> list[str]:
    """A directory stands for its *.log files (sorted), so a file keeps its own name for in_tail routing."""
    return [path for path, _name in container_log_paths(logfiles)]


# --- group -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Written:
    """What ``group`` wrote: events per route (dropped ones counted, not written), records, unparsed lines."""

    counts: Counter[str]
    lines: int
    rejects: list[Reject]


@dataclass(frozen=True, slots=True)
class LogGrouping:
    """Log files and the rule each one gets; ``events`` groups them lazily, a list of events per chunk read."""

    files: list[str]
    choices: list[RuleChoice]
    flush_timeouts: str = "event-time"
    format: str = "auto"
    rejects: list[Reject] = field(default_factory=list)

    def origins(self) -> list[str]:
        """Where the rules come from, each once."""
        return list(dict.fromkeys(choice.origin for choice in self.choices))

    def warnings(self) -> list[str]:
        """The rules' lint warnings, each once."""
        return list(dict.fromkeys(warning for choice in self.choices for warning in choice.rule.warnings))

    def events(self, progress: Callable[[int], object] | None = None) -> Iterator[list[Emitted]]:
        """The emitted events, one engine per filter; ``progress`` gets the records read per chunk."""
        groupers: dict[int, Grouper] = {}
        for path, choice in zip(self.files, self.choices, strict=True):
            grouper = groupers.setdefault(id(choice.rule), Grouper(choice.rule, self.flush_timeouts))
            chunks = read_log_chunks(path, fmt=self.format, tag_pattern=choice.tag_pattern, rejects=self.rejects)
            for chunk in chunks:
                if progress is not None:
                    progress(len(chunk.times))
                yield grouper.push_chunk(chunk)
            yield grouper.end_file()
        for grouper in groupers.values():
            yield grouper.finish()

    def write(self, out: BinaryIO, *, progress: Callable[[int], object] | None = None) -> Written:
        """Write every event as a JSON line to ``out``."""
        counts, lines = write_events(self.events(progress), out)
        return Written(counts, lines, self.rejects)


def group_logs(logfiles: Sequence[str], *, config: str | None = None, filter: str | None = None,
               rule: Mapping[str, str | None] | None = None, param: Sequence[str] = (),
               flush_timeouts: str = "event-time", format: str = "auto", say: Say = _silent) -> LogGrouping:
    """The rule of each log file: the concat filter of ``config`` fluentd routes it to (or ``filter``), or the rule
    options; the config's notes go to ``say``."""
    rule = rule or {}
    explicit = _explicit_rule(rule, param)
    if config and explicit:
        raise UsageError("give either --config or rule options (--start-regexp ...), not both")
    if not config and not explicit:
        raise UsageError("give --config FILE or a rule (--start-regexp, --end-regexp, --n-lines or --param ...)")
    files = expand_logfiles(logfiles)
    if not config:
        return LogGrouping(files, [rule_from_options(rule_params(rule, param))] * len(files), flush_timeouts, format)
    loaded = load_config(config)
    for note in loaded.notes:
        say(f"note: {note}")
    seen: dict[str, RuleChoice] = {}
    choices = []
    for path in files:
        choice = choose_filter(loaded, filter, log_file=path, source=config)
        choices.append(seen.setdefault(choice.origin, choice))  # one engine per filter, as in fluentd
    return LogGrouping(files, choices, flush_timeouts, format)


# --- diff --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RuleDiff:
    """Two rules over the same files: ``report`` is ``efklab multiline diff --json``."""

    report: dict[str, Any]
    old: RuleChoice
    new: RuleChoice
    files: list[str]

    @property
    def identical(self) -> bool:
        return bool(self.report["identical"])


def is_regexp_spec(spec: str) -> bool:
    """A diff SPEC that is a start regexp literal ``/.../`` (and not a file of that name)."""
    return len(spec) >= 2 and spec.startswith("/") and spec.endswith("/") and not Path(spec).is_file()


def _regexp_choice(spec: str, which: str, base: RuleChoice | None, rule: Mapping[str, str | None],
                   param: Sequence[str]) -> RuleChoice:
    """A bare ``/regexp/`` SPEC's rule: ``base``'s concat filter with this start regexp, options on top."""
    options = {name: value for name, value in rule_params(rule, param).items()
               if name != "key" or rule.get("key") is not None}
    if base is None or base.filter is None:
        params = {**rule_params(rule, param), "multiline_start_regexp": spec}
        return rule_from_options(params, origin=f"{which} {spec}")
    written = {name: p.value for name, p in base.filter.params.items() if name != "multiline_start_regexp"}
    params = {**written, **options, "multiline_start_regexp": spec}
    choice = rule_from_options(params, origin=f"{which} {spec} (rest of the rule from {base.origin})")
    return replace(choice, tag_pattern=base.tag_pattern)


def rule_summary(rule: ConcatRule) -> dict[str, Any]:
    """The parameters besides the start regexp that decide routes and texts, as the rule has them."""
    return {"key": rule.key, "separator": rule.separator, "flush_interval": rule.flush_interval,
            "timeout_label": rule.timeout_label, "stream_identity_key": rule.stream_identity_key,
            "use_first_timestamp": rule.use_first_timestamp}


def plugin_defaults_note(rule: ConcatRule) -> list[str]:
    """What the plugin's defaults mean for a rule that took them (none when a config supplied them)."""
    notes = []
    if rule.timeout_label is None:
        notes.append("no timeout_label: groups closed by the flush timer or at shutdown take the @ERROR route "
                     "(fluentd drops them unless a <label @ERROR> handles them)")
    if rule.flush_interval == DEFAULT_FLUSH_INTERVAL:
        notes.append(f"flush_interval {DEFAULT_FLUSH_INTERVAL:g}s: a group waits up to a minute for its next line")
    if rule.separator == "\n":
        notes.append('separator "\\n": docker and CRI lines already end in a newline, so joined lines get a blank '
                     'line between them (configs for container logs use separator "")')
    return notes


def route_notes(rule: ConcatRule) -> dict[str, str]:
    """Why events take each route other than main under ``rule``: printed beside the counts."""
    timer = f"{rule.flush_interval:g}s timer" if rule.flush_interval > 0 else "shutdown"
    return {
        "timeout": f"closed by the {timer}, sent to timeout_label {rule.timeout_label}: delivered, not lost",
        "error": (f"closed by the {timer} with no timeout_label (or failed records): @ERROR, which fluentd drops "
                  "unless a <label @ERROR> handles it" if rule.timeout_label is None
                  else "records the plugin failed on: @ERROR, which fluentd drops unless a <label @ERROR> handles it"),
        "dropped": "discarded by buffer_overflow_method",
    }


def diff_logs(logfiles: Sequence[str], *, old: str, new: str, filter: str | None = None,
              config: str | None = None, rule: Mapping[str, str | None] | None = None, param: Sequence[str] = (),
              flush_timeouts: str = "event-time", format: str = "auto", examples: int = 5,
              progress: Callable[[int], None] | None = None) -> RuleDiff:
    """Group the files under the ``old`` and ``new`` SPECs and diff; ``progress`` gets the records read so far.

    ``config`` gives a bare ``/regexp/`` SPEC the rest of its rule (see the module docstring)."""
    files = expand_logfiles(logfiles)
    rule = rule or {}
    params = rule_params(rule, param)
    first = files[0]

    def resolve(spec: str, which: str) -> RuleChoice:
        return resolve_spec(spec, params=params, choose=filter, log_file=first, which=which,
                            read_at_revision=read_file_at_revision)

    bare = {"--old": is_regexp_spec(old), "--new": is_regexp_spec(new)}
    resolved = {which: resolve(spec, which) for which, spec in (("--old", old), ("--new", new)) if not bare[which]}
    base: RuleChoice | None = None
    if any(bare.values()):
        if config:
            base = choose_filter(load_config(config), filter, log_file=first, source=config)
        else:
            base = next((c for c in resolved.values() if c.filter is not None), None)
    old_choice = resolved.get("--old") or _regexp_choice(old, "--old", base, rule, param)
    new_choice = resolved.get("--new") or _regexp_choice(new, "--new", base, rule, param)
    tag = old_choice.tag_pattern or new_choice.tag_pattern
    rejects: list[Reject] = []

    def streams() -> Iterator[Iterable[Any]]:
        rejects.clear()
        for path in files:
            yield read_log_records(path, fmt=format, tag_pattern=tag, rejects=rejects)

    diff, shown = diff_rules(old_choice.rule, new_choice.rule, streams, flush_timeouts=flush_timeouts,
                             clusters=max(0, examples), progress=progress)
    regexp_rule = None
    if any(bare.values()):
        sample = (old_choice if bare["--old"] else new_choice).rule
        regexp_rule = {"specs": [which for which, is_bare in bare.items() if is_bare],
                       "from": base.origin if base is not None and base.filter is not None else None,
                       "params": rule_summary(sample),
                       "defaults": [] if base is not None and base.filter is not None else plugin_defaults_note(sample)}
    report = {"old": old_choice.origin, "new": new_choice.origin, "files": list(files),
              "flush_timeouts": flush_timeouts, "regexp_rule": regexp_rule, **diff.report, "clusters": shown,
              "route_notes": {"old": route_notes(old_choice.rule), "new": route_notes(new_choice.rule)},
              "warnings": {"old": list(old_choice.rule.warnings), "new": list(new_choice.rule.warnings)},
              "lines_not_parsed": len(rejects)}
    return RuleDiff(report, old_choice, new_choice, files)


# --- filters -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FilterListing:
    """Every concat filter of the configs (``efklab multiline filters --json``) and how many fluentd refuses."""

    items: list[dict[str, Any]]
    refused: int


def list_filters(configs: Sequence[str], *, say: Say = _silent) -> FilterListing:
    """Each concat filter: where it is, its parameters as written, its mode and warnings, or fluentd's refusal."""
    items: list[dict[str, Any]] = []
    refused = 0
    for path in configs:
        config = load_config(path)
        for note in config.notes:
            say(f"note: {note}")
        for f in find_concat_filters(config):
            item = {**f.to_json(), "where": describe_filter(f), "mode": None, "warnings": [], "error": None}
            try:
                built = rule_from_filter(f)
                item["mode"], item["warnings"] = built.mode.name, list(built.warnings)
            except EfklabError as exc:
                item["error"] = str(exc)
                refused += 1
            items.append(item)
    return FilterListing(items, refused)


# --- the regex review of notebook 02 -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Grouping:
    """One rule's grouping of the logs, folded to what the review shows."""

    origin: str
    sizes: tuple[int, ...]  # lines per event, in emission order
    lone_continuations: int  # events of one line that continues a statement
    routes: dict[str, int]  # events per route (main, timeout, error, dropped)
    lost_lines: int  # lines in events on a lost route
    examples: tuple[str, ...]  # a few lone continuation lines


@dataclass(frozen=True, slots=True)
class RegexReview:
    """The grouping diff of two rules over the same logs, and each rule's grouping."""

    report: dict[str, Any]
    clusters: list[dict[str, Any]]
    old: Grouping
    new: Grouping

    def sizes(self) -> dict[str, list[int]]:
        """Lines per event under each rule, keyed by rule origin (for the histogram)."""
        return {f"old: {self.old.origin}": list(self.old.sizes), f"new: {self.new.origin}": list(self.new.sizes)}


def review_regex(logs: Sequence[str], *, old: str = "", new: str = "", config: str = "",
                 flush_timeouts: str = "event-time", examples: int = 5) -> RegexReview:
    """``diff_logs`` of the two rules, and each rule's grouping folded; empty ``old``/``new`` mean the AWS
    sample config and the seed's config (what users name when they say "the old regex" and "the fix").

    A bare ``/regexp/`` takes the rest of its rule from ``config``, else from the other side's config,
    else from the seed's config: the seed scenario tells the same story from regexps as from configs."""
    old, new = old or str(AWS_SAMPLE_CONFIG), new or str(SEED_CONFIG)
    if not config and is_regexp_spec(old) and is_regexp_spec(new):
        config = str(SEED_CONFIG)
    diff = diff_logs(logs, old=old, new=new, config=config or None, flush_timeouts=flush_timeouts,
                     examples=examples)
    tag = diff.old.tag_pattern or diff.new.tag_pattern

    def streams() -> Iterator[Iterator[Any]]:
        for path in diff.files:
            yield read_log_records(path, tag_pattern=tag)

    return RegexReview(diff.report, diff.report["clusters"], _fold(diff.old, streams, flush_timeouts),
                       _fold(diff.new, streams, flush_timeouts))


def _fold(choice: RuleChoice, streams: Callable[[], Iterable[Iterable[Any]]], flush_timeouts: str) -> Grouping:
    sizes: list[int] = []
    routes: Counter[str] = Counter()
    lone = lost = 0
    examples: list[str] = []
    key = choice.rule.key
    for event in group_records(choice.rule, streams(), flush_timeouts=flush_timeouts):
        sizes.append(len(event.lines))
        routes[event.route] += 1
        lost += len(event.lines) if event.route in LOST_ROUTES else 0
        text = event.record.get(key)
        if len(event.lines) == 1 and isinstance(text, str) and CONTINUATION.match(text):
            lone += 1
            if len(examples) < 5:
                examples.append(text.rstrip("\n"))
    return Grouping(choice.origin, tuple(sizes), lone, dict(routes), lost, tuple(examples))
