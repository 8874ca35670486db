"""What the same replay did on two engine versions, and what breaks on the way from one to the other.

``efklab compat`` replays the same payloads through the same transform into a node of each
version and records a :class:`VersionOutcome` per version; :func:`compare` says what the target
version refuses, maps, sorts or retains differently from the current one, which of those break
something that works today, and what to change before upgrading.  Everything here is pure.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from efklab.opensearch.engines import EngineVersion

_BRACKETED = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True, slots=True)
class VersionOutcome:
    """One version's node after the replay: answers, template, retention, mappings, ordering, layout."""

    engine: EngineVersion
    url: str
    actions: int  # bulk actions sent
    indexed: int
    refused: Mapping[str, int]  # the node's reason (bracketed names folded) -> documents
    refusal_examples: Mapping[str, str]  # folded reason -> the first reason as the node wrote it
    template: str  # what became of the index template
    retention: str  # what became of the retention policy
    ism: bool  # the policy runs on the node (real ISM)
    mappings: Mapping[str, str] = field(default_factory=dict)  # field -> type ("a|b" when indices disagree)
    ordering: Mapping[str, float] = field(default_factory=dict)  # Discover view -> share of lines out of place
    layout_problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    template_ok: bool = True


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the target differs from the current version; ``breaks``: it stops something that works now."""

    kind: str  # refused | template | retention | mapping | ordering | layout
    text: str
    breaks: bool
    advice: str = ""


def fold_reason(reason: str) -> str:
    """A refusal reason with its bracketed specifics (index, types, line) folded, so like refusals count together."""
    return _BRACKETED.sub("[…]", " ".join(reason.split()))


def flatten_mapping(properties: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """``{"a": {"properties": {"b": {"type": "keyword"}}}}`` -> ``{"a.b": "keyword"}`` (multi-fields as ``a.b.raw``)."""
    flat: dict[str, str] = {}
    for name, spec in properties.items():
        if not isinstance(spec, Mapping):
            continue
        path = f"{prefix}{name}"
        if isinstance(spec.get("type"), str):
            flat[path] = str(spec["type"])
        elif isinstance(spec.get("properties"), Mapping):
            flat[path] = "object"
        for key in ("properties", "fields"):
            inner = spec.get(key)
            if isinstance(inner, Mapping):
                flat.update(flatten_mapping(inner, path + "."))
    return flat


def merge_mappings(per_index: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Field -> type over several indices; ``a|b`` when they disagree."""
    seen: dict[str, set[str]] = {}
    for fields in per_index.values():
        for name, kind in fields.items():
            seen.setdefault(name, set()).add(kind)
    return {name: "|".join(sorted(kinds)) for name, kinds in sorted(seen.items())}


def advice_for(reason: str) -> str:
    """What to change before upgrading, for a refusal the target answers."""
    if "unknown parameter [_type]" in reason:
        return ("remove _type from the Lambda's bulk action (efklab transform --mode opensearch writes the "
                "same documents without it)")
    if "more than 1 type" in reason:
        return "drop _type (one mapping type per index on 7.x/1.x), or name one index per log group"
    if "mapper_parsing_exception" in reason or "failed to parse" in reason:
        return "pin the field's type in the index template, or rename the conflicting field in the Lambda"
    return "read the node's reason above; replay with efklab replay to see every refused document"


def compare(current: VersionOutcome, target: VersionOutcome) -> list[Difference]:
    """How ``target`` differs from ``current`` on the same replay; breaking differences first."""
    found: list[Difference] = []
    lost = current.indexed - target.indexed
    for folded, count in sorted(target.refused.items(), key=lambda kv: -kv[1]):
        before = current.refused.get(folded, 0)
        if count > before:
            example = target.refusal_examples.get(folded, folded)
            found.append(Difference("refused", f"{count - before:,} documents refused by {target.engine.label}: "
                                    f"{example}", breaks=lost > 0, advice=advice_for(example)))
    for folded, count in current.refused.items():
        if count > target.refused.get(folded, 0):
            found.append(Difference("refused", f"{count - target.refused.get(folded, 0):,} documents refused by "
                                    f"{current.engine.label} are accepted by {target.engine.label}: "
                                    f"{current.refusal_examples.get(folded, folded)}", breaks=False))
    if current.template_ok and not target.template_ok:
        found.append(Difference("template", f"the index template is refused: {target.template}", breaks=True,
                                advice="rewrite the template for the target's template API"))
    if current.ism and not target.ism:
        found.append(Difference("retention", f"retention does not run on {target.engine.label}: {target.retention}",
                                breaks=True, advice=f"install ISM on the target ({target.engine.ism_note}) or delete "
                                "old indices another way before upgrading"))
    elif target.ism and not current.ism:
        found.append(Difference("retention", f"{target.engine.label} runs the policy; {current.engine.label} "
                                f"does not ({current.retention})", breaks=False))
    if current.ism and target.ism and set(current.engine.ism_apis) - set(target.engine.ism_apis):
        gone = ", ".join(sorted(set(current.engine.ism_apis) - set(target.engine.ism_apis)))
        found.append(Difference("retention", f"the legacy ISM path {gone} is not known to answer on "
                                f"{target.engine.label}", breaks=False,
                                advice=f"call {target.engine.ism_apis[0]} in scripts and tooling"))
    for name in sorted(set(current.mappings) & set(target.mappings)):
        if current.mappings[name] != target.mappings[name]:
            found.append(Difference("mapping", f"{name}: {current.mappings[name]} -> {target.mappings[name]}",
                                    breaks=True, advice=f"pin {name}'s type in the index template"))
    shared_docs = current.indexed == target.indexed and current.indexed > 0
    for view in sorted(set(current.ordering) & set(target.ordering)) if shared_docs else []:
        share_before, share_after = current.ordering[view], target.ordering[view]
        if abs(share_after - share_before) > 1e-9:
            found.append(Difference("ordering", f"{view}: {share_before:.1%} -> {share_after:.1%} out of place",
                                    breaks=share_after > share_before,
                                    advice="sort Discover with a tiebreaker (efklab ordering recommends one)"))
    explained = any(d.kind == "refused" and d.breaks for d in found)
    for problem in target.layout_problems:
        if problem not in current.layout_problems:
            advice = "" if explained else "efklab layout names the indices"
            found.append(Difference("layout", problem + (" (the refused documents)" if explained else ""),
                                    breaks=not explained, advice=advice))
    return sorted(found, key=lambda d: not d.breaks)
