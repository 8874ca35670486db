"""Where a concat rule comes from: a config's concat filter, command-line options, or a diff SPEC.

A SPEC (``multiline diff --old SPEC --new SPEC``) is a regexp literal ``/.../`` (the start
regexp, other parameters from the command line), a config file (fluent.conf, ConfigMap YAML,
Helm template or bare filter body), or ``FILE@GITREV``: the file as it was at a git revision
(read by the caller's ``read_at_revision``: this package reads no repository itself).
In a config with several concat filters, ``--filter`` picks one by ``@id``, label or 1-based
number; without it, the filter fluentd would apply to the log file is found through the
``in_tail`` sources (``path``/``exclude_path`` -> ``@label``, filter pattern vs tag).
"""
from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from efklab.errors import UsageError
from efklab.fluentd.concat.rule import ConcatRule, build_rule
from efklab.fluentd.config.find import ConcatFilter, Config, Directive, find_concat_filters, find_sources, load_config
from efklab.fluentd.routing import matches_pattern
from efklab.fluentd.tail.containerlogs import fluentd_tag

CONTAINER_DIR = "/var/log/containers"


@dataclass(frozen=True)
class RuleChoice:
    """A rule and what it was built from, for messages and reports."""

    rule: ConcatRule
    origin: str  # "fluentd.yaml:142 <filter **> in <label @containers>" or "--start-regexp /.../"
    config: Config | None = None
    filter: ConcatFilter | None = None
    tag_pattern: str | None = None  # the in_tail source's `tag` when the filter was found by routing


def describe_filter(f: ConcatFilter) -> str:
    """``file:line <filter PATTERN> in <label @X> (@id Y)``."""
    where = f"{f.file}:{f.directive_line or f.line}" + (f" [{f.unit}]" if f.unit else "")
    label = f.effective_label or f.label
    return (where + f" <filter {f.pattern}>" + (f" in <label {label}>" if label else "")
            + (f" (@id {f.id})" if f.id else ""))


def rule_from_filter(f: ConcatFilter) -> ConcatRule:
    """The rule of a concat filter found in a config; errors name the file and line."""
    params = {name: p.value for name, p in f.params.items()}
    positions = {name: p.line for name, p in f.params.items()}
    return build_rule(params, source=f.file, positions=positions, position=f.line, written=f.params)


def select_filters(filters: Sequence[ConcatFilter], choose: str | int | None, *, source: str) -> list[ConcatFilter]:
    """The filters ``--filter`` names (all of them when ``choose`` is None)."""
    if not filters:
        raise UsageError(f"no concat filter (<filter> with @type concat) in {source}")
    if choose is None or choose == "":
        return list(filters)
    text = str(choose)
    if text.isdigit():
        n = int(text)
        if not 1 <= n <= len(filters):
            raise UsageError(f"--filter {n}: {source} has {len(filters)} concat filter(s); {_listing(filters)}")
        return [filters[n - 1]]
    by_id = [f for f in filters if f.id == text]
    if by_id:
        return by_id
    label = text if text.startswith("@") else "@" + text
    by_label = [f for f in filters if (f.effective_label or f.label) == label]
    if by_label:
        return by_label
    raise UsageError(f"--filter {text}: no concat filter with that @id or label in {source}; {_listing(filters)}")


def _listing(filters: Sequence[ConcatFilter]) -> str:
    return "filters: " + "; ".join(f"{i}: {describe_filter(f)}" for i, f in enumerate(filters, 1))


def choose_filter(config: Config, choose: str | int | None, *, log_file: str | None, source: str) -> RuleChoice:
    """One concat filter of ``config`` for ``log_file``: by ``--filter``, by routing, or the only one."""
    filters = select_filters(find_concat_filters(config), choose, source=source)
    routed, tag = route_filters(config, filters, log_file) if log_file else ([], None)
    if len(filters) == 1:
        picked = filters[0]
    elif len(routed) == 1:
        picked = routed[0]
    else:
        why = (f"{len(routed)} of them apply to {os.path.basename(log_file)}" if log_file and routed
               else "none is reached by an in_tail source for this log file" if log_file else "no log file to route")
        raise UsageError(f"{source} has {len(filters)} concat filters and {why}: pick one with --filter ID|LABEL|N; "
                         + _listing(filters))
    return RuleChoice(rule_from_filter(picked), describe_filter(picked), config, picked,
                      tag if picked in routed else None)


def route_filters(config: Config, filters: Sequence[ConcatFilter],
                  log_file: str) -> tuple[list[ConcatFilter], str | None]:
    """The filters fluentd applies to ``/var/log/containers/<name of log_file>``, and the source's tag."""
    name = os.path.basename(log_file)
    path = f"{CONTAINER_DIR}/{name}"
    for src in find_sources(config):
        if src.type != "tail" or not src.path:
            continue
        paths = [p.strip() for p in src.path.split(",") if p.strip()]
        excluded = _array(src.params["exclude_path"].value) if "exclude_path" in src.params else []
        if not any(fnmatch.fnmatchcase(path, p) for p in paths) or any(fnmatch.fnmatchcase(path, p) for p in excluded):
            continue
        tag = fluentd_tag(name, src.tag or "*")
        hits = [f for f in filters
                if (f.effective_label or f.label) == src.label and matches_pattern(f.pattern or "**", tag)]
        return hits, src.tag
    return [], None


def _array(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("["):
        text = text[1:-1]
    return [s.strip().strip('"').strip("'") for s in text.split(",") if s.strip()]


def rule_from_options(params: Mapping[str, str | None], *, origin: str | None = None) -> RuleChoice:
    """A rule from ``--start-regexp``-style options (values as written in a config)."""
    origin = origin or "options: " + " ".join(f"{k} {v!r}" if v == "" else f"{k} {v}"
                                              for k, v in params.items() if v is not None)
    return RuleChoice(build_rule(params, source="command line"), origin)


def load_config_text(text: str, *, name: str, suffix: str | None = None) -> Config:
    """A config from text (a ConfigMap, fluent.conf or bare filter body), read like a file named ``name``."""
    suffix = suffix or Path(name).suffix or ".conf"
    with tempfile.TemporaryDirectory(prefix="efklab-config-") as tmp:
        path = Path(tmp) / ("config" + suffix)
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
    return _renamed(config, str(path), name)


def _renamed(config: Config, old: str, new: str) -> Config:
    """The config with the temporary file name replaced by ``name`` in every position."""

    def fix(d: Directive) -> Directive:
        return replace(d, file=new if d.file == old else d.file, children=tuple(fix(c) for c in d.children))

    return replace(config, roots=tuple(fix(d) for d in config.roots), units=tuple(fix(u) for u in config.units),
                   files=tuple(new if f == old else f for f in config.files),
                   notes=tuple(n.replace(old, new) for n in config.notes))


def rule_from_config_text(text: str, *, source: str, choose: str | int | None = None) -> ConcatRule:
    """The rule of the (chosen) concat filter in a config given as text (used by case files)."""
    config = load_config_text(text, name=source.split(":")[0] if ":" in source else source,
                              suffix=".yaml" if "apiVersion:" in text or "kind:" in text else ".conf")
    return choose_filter(config, choose, log_file=None, source=source).rule


def resolve_spec(spec: str, *, params: Mapping[str, str | None], choose: str | int | None,
                 log_file: str | None, which: str, read_at_revision: Callable[[str, str], str]) -> RuleChoice:
    """The rule a diff SPEC names (see the module docstring); ``which`` is "--old" or "--new".

    ``read_at_revision(path, revision)`` gives the text of a ``FILE@GITREV`` SPEC."""
    if spec.startswith("/") and spec.endswith("/") and len(spec) >= 2 and not Path(spec).is_file():
        return rule_from_options({**params, "multiline_start_regexp": spec}, origin=f"{which} {spec}")
    if Path(spec).is_file():
        config = load_config(spec)
        return choose_filter(config, choose, log_file=log_file, source=spec)
    if "@" in spec:
        path, _, revision = spec.rpartition("@")
        if not revision or revision.startswith("-"):  # never let git read a revision as an option
            raise UsageError(f"{which} {spec}: the revision after '@' must not be empty or start with '-'")
        text = read_at_revision(path, revision)
        config = load_config_text(text, name=f"{path}@{revision}", suffix=Path(path).suffix)
        return choose_filter(config, choose, log_file=log_file, source=spec)
    raise UsageError(f"{which} {spec}: not a /regexp/, an existing config file, or FILE@GITREV")
