"""The parsed inputs ``efklab doctor`` checks: config, log samples, payloads, policy, node facts.

Each is plain data built once (by :mod:`efklab.jobs.doctorinputs` from files, or directly in
tests) with the existing parsers: concat filters with their compiled rules (or why fluentd
refuses them), container log records as the tailing source's ``<parse>`` reads them, the
expected index layout of the payloads, the ISM policy (or its validation error), and what a
node reports about itself.  The checks are pure functions over a :class:`DoctorInputs`.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from efklab.errors import EfklabError, PolicyError
from efklab.fluentd.concat.engine import Emitted
from efklab.fluentd.concat.rule import ConcatRule
from efklab.fluentd.config.find import ConcatFilter, Config, ParseSpec, SourceSpec, find_concat_filters, find_sources
from efklab.fluentd.routing import CONTAINER_DIR, glob_regex, matches_pattern, tailed_as
from efklab.fluentd.tail.containerlogs import FluentRecord
from efklab.fluentd.tail.survey import LogSurvey, survey_items
from efklab.lambda_.indextemplate import MAPPED_FIELDS, pattern_for
from efklab.lambda_.layout import ExpectedLayout, expect_layout
from efklab.lambda_.transform import TransformOptions
from efklab.model import Reject
from efklab.multiline.grouping import group_records
from efklab.multiline.rulespec import describe_filter, route_filters, rule_from_filter
from efklab.retention.attachment import IndexFacts
from efklab.retention.onnode import IsmOnNode
from efklab.retention.policy import Policy, load_policy

T = TypeVar("T")
INPUT_NAMES = ("config", "logs", "payloads", "policy", "node")


@dataclass(frozen=True, slots=True)
class DoctorSettings:
    """What the files do not say: how the Lambda names indices, and the cluster's shape."""

    mode: str = "opensearch"
    index_strategy: str = "seed"
    prefix: str = "mydata"
    tz: str = "UTC"
    primaries: int = 1
    replicas: int = 1
    data_nodes: int = 1
    max_shards_per_node: int = 1000
    field_limit: int = 1000

    @property
    def transform(self) -> TransformOptions:
        return TransformOptions(mode=self.mode, index_strategy=self.index_strategy, prefix=self.prefix, tz=self.tz)


DEFAULT_SETTINGS = DoctorSettings()


@dataclass(frozen=True, slots=True)
class ConcatSite:
    """One concat filter of the config: where it is, its rule, or why fluentd refuses it."""

    filter: ConcatFilter
    where: str  # ``file:line <filter **> in <label @x>``
    rule: ConcatRule | None
    error: EfklabError | None = None

    def param_where(self, name: str) -> str:
        """``file:line`` of one parameter (the filter's line when it is not written)."""
        p = self.filter.params.get(name)
        return f"{self.filter.file}:{p.line if p else self.filter.line}"


@dataclass(frozen=True, slots=True)
class ConfigFacts:
    """A fluentd config as read: its concat filters, container sources, labels."""

    path: str
    config: Config
    sites: tuple[ConcatSite, ...]
    sources: tuple[SourceSpec, ...]  # in_tail sources reading /var/log/containers
    labels: frozenset[str]
    tails: tuple[SourceSpec, ...] = ()  # every in_tail source, whatever it reads
    inputs: tuple[SourceSpec, ...] = ()  # every <source> (systemd, forward ...), for tags and the filter scope

    @property
    def error_label(self) -> bool:
        """Whether a ``<label @ERROR>`` catches what concat sends to the error route."""
        return "@ERROR" in self.labels


@dataclass(frozen=True, slots=True)
class LogFacts:
    """One container log file as fluentd's in_tail reads it, and the concat filter it meets."""

    path: str
    name: str  # how evidence names it (``containers/<file>``)
    format: str  # docker | cri | text
    parse: ParseSpec
    parse_origin: str  # ``file:line`` of the source's <parse>, or "default for docker lines"
    records: tuple[FluentRecord, ...]
    rejects: tuple[Reject, ...]
    survey: LogSurvey
    site: int | None = None  # index into ConfigFacts.sites of the concat filter applied to it
    source: SourceSpec | None = None  # the <source> its records come from (None: not known or not read)
    tag: str | None = None  # the tag its records carry

    @property
    def container(self) -> bool:
        """Records of a container log (docker json-file or CRI lines), as opposed to a host log or journal."""
        return self.format in ("docker", "cri")

    @property
    def lines(self) -> int:
        return len(self.records) + len(self.rejects)

    def where(self, lineno: int | str | None) -> str:
        return f"{self.name}:{lineno}"


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """An ISM policy file: its JSON document, and the validated policy or why the plugin refuses it."""

    path: str
    document: Any  # the parsed JSON (None when it is not JSON)
    policy: Policy | None
    error: EfklabError | None = None


@dataclass(frozen=True, slots=True)
class PayloadFacts:
    """Subscription payloads (captured, or emulated from config + logs) and the layout they imply."""

    origin: str  # "3 payload files" or "emulated: fluentd.yaml over 9 log files"
    records: tuple[Any, ...]  # Payload | Reject, in input order
    layout: ExpectedLayout
    pattern: str  # the index pattern of the naming strategy
    emulated: bool = False
    dropped: tuple[Reject, ...] = ()  # emulation: lines the pipeline delivered in no payload, and why

    @property
    def payloads(self) -> list[Any]:
        return [r for r in self.records if not isinstance(r, Reject)]


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What an OpenSearch node reports about itself, for the checks that depend on the cluster."""

    url: str  # without credentials
    version: str
    distribution: str  # opensearch | elasticsearch
    data_nodes: int
    max_shards_per_node: int
    open_shards: int  # shards counted against the limit now (assigned or not)
    pattern_shards: int  # of those, shards of indices the naming strategy's pattern matches
    ism: bool
    indices: tuple[IndexFacts, ...] = ()  # existing indices the policy's templates match (managed_by from explain)
    read_at_ms: int = 0  # when the facts were read: a policy PUT now meets these indices as existing
    ism_on_node: IsmOnNode | None = None  # the node's ISM as observed (None: no plugin)

    @property
    def major(self) -> int:
        head = self.version.split(".")[0]
        return int(head) if head.isdigit() else 0


@dataclass(frozen=True)
class DoctorInputs:
    """Everything the checks look at; absent inputs are None (or empty) and their checks are skipped."""

    settings: DoctorSettings = DEFAULT_SETTINGS
    config: ConfigFacts | None = None
    logs: tuple[LogFacts, ...] = ()
    payloads: PayloadFacts | None = None
    policy: PolicyFacts | None = None
    node: NodeFacts | None = None
    notes: tuple[str, ...] = field(default=())  # what could not be derived, and why
    _memo: dict[Hashable, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per key: several checks share a grouping or a measurement (a cache of pure results).

        A key always names the same computation, so what it holds has the type ``compute`` returns.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    def grouped(self, log: LogFacts, rule: ConcatRule, *, flush_timeouts: str = "event-time") -> list[Emitted]:
        """Events ``rule`` emits for ``log`` (``Emitted.lines`` index ``log.records``), computed once."""
        return self.derived(("grouped", log.path, id(rule), flush_timeouts),
                            lambda: group_log(log, rule, flush_timeouts=flush_timeouts))

    def available(self) -> frozenset[str]:
        """The names of the inputs present (``INPUT_NAMES``)."""
        present = {"config": self.config is not None, "logs": bool(self.logs), "payloads": self.payloads is not None,
                   "policy": self.policy is not None, "node": self.node is not None}
        return frozenset(name for name, ok in present.items() if ok)

    def template_patterns(self) -> list[str]:
        """The index patterns of the policy's ISM templates: the existing indices the node is asked about."""
        policy = self.policy.policy if self.policy is not None else None
        return sorted({p for t in (policy.ism_templates if policy else ()) for p in t.index_patterns})

    def site_of(self, log: LogFacts) -> ConcatSite | None:
        """The concat filter applied to ``log`` (None: no config, or none applies)."""
        if self.config is None or log.site is None:
            return None
        return self.config.sites[log.site]

    def logs_with_rules(self) -> list[tuple[LogFacts, ConcatSite, ConcatRule]]:
        """Each log file with the concat filter that groups it, when that filter's rule compiled."""
        out = []
        for log in self.logs:
            site = self.site_of(log)
            if site is not None and site.rule is not None:
                out.append((log, site, site.rule))
        return out


def read_config_facts(path: str, config: Config) -> ConfigFacts:
    """The concat filters (rules built as the plugin's ``configure`` would) and container sources of a config."""
    sites = []
    for f in find_concat_filters(config):
        try:
            sites.append(ConcatSite(f, describe_filter(f), rule_from_filter(f)))
        except EfklabError as exc:
            sites.append(ConcatSite(f, describe_filter(f), None, exc))
    sources = tuple(s for s in find_sources(config)
                    if s.type == "tail" and (s.path or "").startswith(CONTAINER_DIR + "/"))
    labels = frozenset(d.arg for d, _ in config.walk() if d.name == "label")
    every = tuple(find_sources(config))
    return ConfigFacts(path, config, tuple(sites), sources, labels, tuple(s for s in every if s.type == "tail"), every)


def make_payload_facts(origin: str, records: Sequence[Any], settings: DoctorSettings, *, emulated: bool = False,
                       dropped: Sequence[Reject] = ()) -> PayloadFacts:
    """Payloads (``Payload | Reject`` in input order) with the layout the transform gives them.

    Mappings are predicted with the ``@`` fields typed as ``efklab replay``'s index template does
    (as ``efklab layout`` does by default).
    """
    explicit = {k: v["type"] for k, v in MAPPED_FIELDS.items()}
    layout = expect_layout(records, settings.transform, explicit_mappings=explicit, field_limit=settings.field_limit)
    return PayloadFacts(origin, tuple(records), layout, pattern_for(settings.transform), emulated, tuple(dropped))


def make_policy_facts(path: str, text: str | bytes) -> PolicyFacts:
    """An ISM policy from its text: the JSON document, and the policy or the error the plugin would answer with."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    try:
        return PolicyFacts(path, document, load_policy(text, source=path))
    except PolicyError as exc:
        return PolicyFacts(path, document, None, exc)


def source_for(facts: ConfigFacts, local_path: str, *, container_file: bool = True) -> tuple[SourceSpec, str] | None:
    """The in_tail source that reads a sample file, and the path it reads it as (None: no source does).

    Every ``path`` glob of every in_tail source is tried (see :func:`efklab.fluentd.routing.tailed_as`);
    a glob naming the file exactly wins over a wildcard, then config order.
    """
    best: tuple[int, int, SourceSpec, str] | None = None
    for order, source in enumerate(facts.tails):
        found = tailed_as(source, local_path, container_file=container_file)
        if found is not None and (best is None or (found[0], order) < best[:2]):
            best = (found[0], order, source, found[1])
    return None if best is None else (best[2], best[3])


def site_for_tag(facts: ConfigFacts, label: str | None, tag: str) -> int | None:
    """The first concat filter records of ``tag`` meet in ``label`` (None: top level), as fluentd routes them."""
    for index, site in enumerate(facts.sites):
        f = site.filter
        if (f.effective_label or f.label) == label and matches_pattern(f.pattern or "**", tag):
            return index
    return None


def source_of_tag(facts: ConfigFacts, tag: str) -> SourceSpec | None:
    """The <source> that emits ``tag`` (its ``tag`` equal to it, or a ``*`` pattern covering it)."""
    for source in facts.inputs:
        pattern = source.tag or ""
        if pattern == tag or ("*" in pattern and glob_regex(pattern.replace("*", "**")).fullmatch(tag)):
            return source
    return None


def site_for(facts: ConfigFacts, path: str) -> int | None:
    """The concat filter fluentd applies to a container log file: by routing, or the only one there is."""
    filters = [s.filter for s in facts.sites]
    if not filters:
        return None
    routed, _tag = route_filters(facts.config, filters, path)
    chosen = routed[0] if len(routed) == 1 else filters[0] if len(filters) == 1 else None
    return next((i for i, s in enumerate(facts.sites) if s.filter is chosen), None)


def make_log_facts(path: str, name: str, fmt: str, parse: ParseSpec, parse_origin: str,
                   items: Iterable[FluentRecord | Reject], site: int | None, *, source: SourceSpec | None = None,
                   tag: str | None = None) -> LogFacts:
    """A LogFacts from the reader's records and rejects of one file (in file order)."""
    records: list[FluentRecord] = []
    rejects: list[Reject] = []
    for item in items:
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            records.append(item)
    survey = survey_items(path, fmt, parse, [*records, *rejects])
    if tag is None and records:
        tag = records[0].tag
    return LogFacts(path, name, fmt, parse, parse_origin, tuple(records), tuple(rejects), survey, site, source, tag)


def group_log(log: LogFacts, rule: ConcatRule, *, flush_timeouts: str = "event-time") -> list[Emitted]:
    """Events the concat rule emits for one file; ``Emitted.lines`` index ``log.records``."""
    return list(group_records(rule, [log.records], flush_timeouts=flush_timeouts))


def sample_texts(log: LogFacts, key: str = "log") -> list[str]:
    """The ``key`` text of every record (records without it are skipped)."""
    return [r.record[key] for r in log.records if isinstance(r.record.get(key), str)]


def lines_by_sequence(records: Sequence[FluentRecord], lines: Sequence[int]) -> list[FluentRecord]:
    """The records an emitted event was made of."""
    return [records[n] for n in lines if 0 <= n < len(records)]


def counts_text(counts: Mapping[str, int]) -> str:
    """``a 3, b 1`` for evidence lines."""
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())
