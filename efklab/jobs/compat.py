"""``efklab compat`` and notebook 06: the same pipeline against the engine version in use and the one to upgrade to.

For each version a local node of that version (``efklab opensearch up --version V``, started when
needed) gets, in this order: the indices the payloads name deleted (and nothing else), the same
index template, the same retention policy through the API the version has (real ISM where the
plugin is installed, else a note saying why there is none), then the same payloads through the same
transform, every action answered by the node.  Afterwards the layout and ordering checks read the
node.  ``efklab.opensearch.upgrade`` compares the outcomes.
"""
from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from efklab.adapters.discover import field_types, iter_displayed, primary_shards
from efklab.adapters.files import read_file_bytes
from efklab.adapters.ism import IsmApi, ism_installed
from efklab.adapters.localnode import lifecycle as node
from efklab.adapters.opensearch import install_index_template, refresh, remote_errors
from efklab.errors import EfklabError, InputError, UsageError
from efklab.jobs.connect import Connected, connect
from efklab.jobs.defaults import SAMPLE_PAYLOADS, SAMPLES_DIR, SEED_POLICY
from efklab.jobs.layout import index_layout, payload_records
from efklab.jobs.ordering import measure_views, read_provenance
from efklab.jobs.replay import MemoryLetters, bulk_sender
from efklab.lambda_.indextemplate import pattern_for, replay_template
from efklab.lambda_.replay import replay_records
from efklab.lambda_.transform import SEED, TransformOptions
from efklab.opensearch.dashboards import sortable_field
from efklab.opensearch.engines import PLUGINS_API, EngineVersion, parse_engine_version
from efklab.opensearch.nodeconfig import SINGLE_NODE_TEMPLATE
from efklab.opensearch.upgrade import (
    Difference,
    VersionOutcome,
    compare,
    flatten_mapping,
    fold_reason,
    merge_mappings,
)
from efklab.ordering.check import DEFAULT_TIEBREAKERS, View, measure_view
from efklab.ordering.measure import shown_from_hit

Say = Callable[[str], None]
COMPAT_PREFIX = "efklab-compat"  # opensearch mode: indices of their own, never the user's mydata-*
POLICY_ID = "efklab-compat"
TEMPLATE_CHOICES = ("auto", "replay", "none")
SMALL_HEAP = "512m"  # a node started for a comparison (the checkout's default node keeps its own heap)
SAMPLE_PROVENANCE = SAMPLES_DIR / "provenance.jsonl.gz"


@dataclass(frozen=True, slots=True)
class CompatReport:
    """The outcome per version (current first) and how the target differs from the current one."""

    mode: str
    template: str
    payloads: str
    outcomes: tuple[VersionOutcome, ...]
    differences: tuple[Difference, ...]

    @property
    def breaks(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.breaks)

    @property
    def exit_code(self) -> int:
        return 1 if self.breaks else 0

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "template": self.template, "payloads": self.payloads,
                "versions": [_outcome_json(o) for o in self.outcomes],
                "differences": [{"kind": d.kind, "text": d.text, "breaks": d.breaks, "advice": d.advice}
                                for d in self.differences],
                "breaks": len(self.breaks)}


def _outcome_json(o: VersionOutcome) -> dict[str, Any]:
    return {"engine": o.engine.engine, "version": o.engine.version, "label": o.engine.label, "url": o.url,
            "actions": o.actions, "indexed": o.indexed, "refused": dict(o.refused),
            "refusal_examples": dict(o.refusal_examples), "template": o.template, "retention": o.retention,
            "ism": o.ism, "mappings": dict(o.mappings), "ordering": dict(o.ordering),
            "layout_problems": list(o.layout_problems), "notes": list(o.notes)}


def template_choice(choice: str, mode: str) -> str:
    """``auto``: no template in seed mode (the seed's Lambda ran without one, and on 7.x/1.x a template's
    ``_doc`` mapping refuses every document with another ``_type``: checked on real nodes), efklab's
    replay template in opensearch mode."""
    if choice not in TEMPLATE_CHOICES and not Path(choice).is_file():
        raise UsageError(f"--template is auto, replay, none or a template file (JSON), got {choice!r}",
                         source="--template")
    if choice == "auto":
        return "none" if mode == SEED else "replay"
    return choice


def node_for(version: EngineVersion, *, say: Say) -> str:
    """The URL of this checkout's node of ``version``, started when needed (a small heap unless set)."""
    settings = node.load_settings({**os.environ, "EFKLAB_OPENSEARCH_VERSION": version.key})
    if settings.heap is None and not version.is_default:
        settings = replace(settings, heap=SMALL_HEAP)
    state, started = node.up(settings, say=say)
    if started:
        say(f"started {version.label} at {state.url}")
    return state.url


def run_compat(payloads: Sequence[str] = (), *, current: str, target: str, mode: str = "opensearch",
               template: str = "auto", policy: str | None = None, provenance: str | None = None,
               prefix: str = COMPAT_PREFIX, current_url: str | None = None, target_url: str | None = None,
               keep: bool = False, say: Say = lambda _: None) -> CompatReport:
    """Replay ``payloads`` (default: the committed samples) into a node of ``current`` and of ``target``
    and compare.  ``*_url``: an existing node of that version instead of the local one.  The replayed
    indices are deleted afterwards (shards are scarce on one node) unless ``keep``."""
    versions = (parse_engine_version(current, source="--from"), parse_engine_version(target, source="--to"))
    if versions[0] == versions[1]:
        raise UsageError(f"--from and --to are both {versions[0].label}", source="--to")
    if mode == SEED:  # the seed's names, whatever the prefix
        prefix = TransformOptions().prefix
    options = TransformOptions(mode=mode, index_strategy="seed", prefix=prefix)
    chosen = template_choice(template, mode)
    inputs = list(payloads) or [str(SAMPLE_PAYLOADS)]
    expanded = _files(inputs)
    records = list(payload_records(expanded))
    expected = index_layout(expanded, mode=mode, prefix=prefix)
    names = [i.name for i in expected.expected.indices]
    if not names:
        raise InputError("the payloads name no index (no data events)", source=inputs[0])
    truth_path = provenance or (str(SAMPLE_PROVENANCE) if not payloads else None)
    truth = read_provenance(truth_path) if truth_path else None
    policy_path = policy or str(SEED_POLICY)
    policy_body = json.loads(read_file_bytes(policy_path, what="policy"))
    outcomes = []
    scroll = not all(v.point_in_time for v in versions)  # both read alike, or the comparison measures the reader
    for version, url in zip(versions, (current_url, target_url), strict=True):
        say(f"{version.label}: replaying {len(records):,} payload records ({mode} mode)")
        target_node = connect(url or node_for(version, say=say))
        with warnings.catch_warnings(record=True) as heard:  # the node's deprecation warnings are findings here
            warnings.simplefilter("always")
            outcome = _run_one(version, target_node, records, expanded, options=options, names=names,
                               template=chosen, policy=policy_body, truth=truth, scroll=scroll, say=say)
        warned = sorted({" ".join(str(w.message).split()) for w in heard} - {""})
        outcomes.append(replace(outcome, notes=outcome.notes + tuple(
            f"the node warns: {text}" for text in warned
            if SINGLE_NODE_TEMPLATE not in text)))  # the local node's own replica default, not the pipeline's
        if not keep:
            _delete(target_node, names)
    differences = tuple(compare(outcomes[0], outcomes[1]))
    return CompatReport(mode, chosen, ", ".join(inputs), tuple(outcomes), differences)


def _files(inputs: Sequence[str]) -> list[str]:
    out: list[str] = []
    for item in inputs:
        path = Path(item)
        out.extend(sorted(str(p) for p in path.iterdir() if p.is_file()) if path.is_dir() else [item])
    return out


def _run_one(version: EngineVersion, target: Connected, records: Sequence[Any], files: Sequence[str], *,
             options: TransformOptions, names: Sequence[str], template: str, policy: dict[str, Any],
             truth: Any, scroll: bool, say: Say) -> VersionOutcome:
    client, conn = target.client, target.conn
    _delete(target, names)
    notes: list[str] = []
    if not version.accepts_type and options.mode == SEED:
        notes.append(f"{version.label} refuses _type in bulk actions")
    letters = MemoryLetters()
    template_text, template_ok = _apply_template(target, options, template)
    retention, ism = _apply_policy(version, target, policy, names)
    progress = replay_records(iter(records), bulk_sender(target), options=options, letters=letters)
    summary = progress.summary
    refused: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for letter in letters.records:
        if letter.get("stage") != "bulk":
            continue
        folded = fold_reason(str(letter.get("reason")))
        refused[folded] += 1
        examples.setdefault(folded, str(letter.get("reason")))
    pattern = pattern_for(options)  # every name below is checked against ``names``: others' indices may match
    refresh(client, conn, pattern)
    if ism and summary.indexed:
        retention = _managed(target, pattern, names, retention)
    elif ism:
        retention = f"{retention}; no index was created, so none is managed"
    layout = index_layout(list(files), mode=options.mode, prefix=options.prefix, target=target,
                          pattern=pattern_for(options))
    problems: tuple[str, ...] = ()
    if layout.diff is not None:  # only these indices: others matching the pattern are not this run's
        missing, wrong = layout.diff.missing, layout.diff.count_mismatches
        problems = tuple(p for p in (
            f"{len(missing)} of {len(names)} expected indices are not on the node" if missing else "",
            f"{len(wrong)} indices hold another document count than expected" if wrong else "") if p)
    ordering: dict[str, float] = {}
    if summary.indexed:
        try:
            views = _scrolled_views(target, pattern, truth) if scroll else measure_views(
                client, conn, pattern, grouping="as indexed", provenance=truth)
        except EfklabError as exc:
            notes.append(f"ordering not measured: {exc}")
        else:
            for view in views:
                label = "Discover (no tiebreaker)" if not view.measurement.tiebreaker else (
                    "tiebreaker " + ", ".join(view.measurement.tiebreaker))
                ordering[label] = float(view.measurement.totals["share_out_of_place"])
            if scroll:
                notes.append("ordering read with a scroll, as Discover's search returns it (the ordering check's "
                             "point-in-time reader needs OpenSearch 2.4+ on both versions)")
    mappings = _mappings(target, pattern, names)
    say(f"{version.label}: {summary.indexed:,} of {summary.attempted:,} actions indexed")
    return VersionOutcome(version, target.url, summary.attempted, summary.indexed, dict(refused), examples,
                          template_text, retention, ism, mappings, ordering, problems, tuple(notes), template_ok)


def _scrolled_views(target: Connected, pattern: str, truth: Any) -> list[View]:
    """Discover's view and the candidate tiebreakers, read with one sorted scroll each (any version)."""
    wanted = sorted({field for tiebreaker in DEFAULT_TIEBREAKERS for field in tiebreaker})
    types = field_types(target.client, target.conn, pattern, wanted)
    shards = primary_shards(target.client, target.conn, pattern)
    views = []
    for tiebreaker in [(), *map(tuple, DEFAULT_TIEBREAKERS)]:
        try:
            fields = tuple(sortable_field(field, types) for field in tiebreaker)
        except ValueError:
            continue  # a field this mapping cannot sort on
        hits = iter_displayed(target.client, target.conn, pattern, tiebreaker=fields)
        views.append(measure_view([shown_from_hit(hit) for hit in hits], truth, grouping="as indexed",
                                  tiebreaker=fields, primaries=max(shards.values(), default=1), pattern=pattern))
    return views


def _delete(target: Connected, names: Sequence[str]) -> None:
    """Delete exactly the indices the payloads name (a fresh start per run), nothing else."""
    for start in range(0, len(names), 40):
        with remote_errors(target.conn):
            target.client.indices.delete(index=",".join(names[start:start + 40]), ignore_unavailable=True)


def _apply_template(target: Connected, options: TransformOptions, template: str) -> tuple[str, bool]:
    if template == "none":
        return "none", True
    if template == "replay":  # no replicas: one local node cannot place them, and they count against the shard limit
        name, body = replay_template(pattern_for(options))
        body = {**body, "template": {**body["template"], "settings": {"index": {"number_of_replicas": 0}}}}
    else:
        name, body = Path(template).stem, json.loads(read_file_bytes(template, what="index template"))
    try:
        install_index_template(target.client, target.conn, name, body)
    except EfklabError as exc:
        return f"refused: {exc}", False
    return f"{name} (PUT _index_template)", True


def _apply_policy(version: EngineVersion, target: Connected, policy: dict[str, Any],
                  names: Sequence[str]) -> tuple[str, bool]:
    """PUT the policy, its ISM template aimed at exactly these indices, where the node runs ISM."""
    if not version.ism_apis:
        return f"not applied: {version.ism_note}", False
    if not ism_installed(target.client, target.conn):
        why = _missing_reason(version)
        return f"not applied: no ISM plugin on this node ({why})", False
    body = {"policy": {k: v for k, v in policy["policy"].items()
                       if k not in ("policy_id", "last_updated_time", "schema_version", "error_notification")}}
    for item in body["policy"].get("ism_template") or []:
        item["index_patterns"] = list(names)
    api = IsmApi(target.client, target.conn)
    try:
        api.put_policy(POLICY_ID, body)
    except EfklabError as exc:
        return f"refused by {PLUGINS_API}: {exc}", False
    return f"policy {POLICY_ID} under {api.base}", True


def _managed(target: Connected, pattern: str, names: Sequence[str], applied: str) -> str:
    """How many of the indices the node's ISM manages (the policy's ISM template attached it at creation)."""
    try:
        answer = IsmApi(target.client, target.conn).explain(pattern)
    except EfklabError as exc:
        return f"{applied}; explain failed: {exc}"
    keys = ("index.plugins.index_state_management.policy_id", "index.opendistro.index_state_management.policy_id",
            "policy_id")
    managed = sum(1 for name in names
                  if isinstance(answer.get(name), dict) and any(answer[name].get(k) for k in keys))
    return f"{applied}; {managed} of {len(names)} indices managed"


def _missing_reason(version: EngineVersion) -> str:
    state = node.read_state(node.load_settings({**os.environ, "EFKLAB_OPENSEARCH_VERSION": version.key}))
    reasons = state.missing_plugins if state is not None else {}
    return "; ".join(f"{k}: {v}" for k, v in reasons.items()) or "not installed"


def _mappings(target: Connected, pattern: str, names: Sequence[str]) -> dict[str, str]:
    with remote_errors(target.conn):
        answer = target.client.indices.get_mapping(index=pattern, ignore_unavailable=True, allow_no_indices=True)
    per_index = {}
    wanted = set(names)
    for index, body in answer.items():
        if index not in wanted:
            continue
        mapping = body.get("mappings") or {}
        properties = mapping.get("properties")
        if properties is None and len(mapping) == 1:  # a typed mapping: {type: {properties}}
            properties = next(iter(mapping.values())).get("properties")
        per_index[index] = flatten_mapping(properties or {})
    return merge_mappings(per_index)



