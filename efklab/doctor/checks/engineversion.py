"""What the node's engine version does with the Lambda's bulk actions, and what the next upgrade changes.

Checked on real nodes (efklab compat): Elasticsearch 7.10.2 and OpenSearch 1.3.20 accept a custom
``_type`` but keep one mapping type per index, refusing a document of a second type with
"Rejecting mapping update to [index] as the final mapping would have more than 1 type"; the seed
uses the log group as ``_type``, so two log groups whose names share the namespace and container
segments (two clusters, one domain) land in one index and the second one's documents are refused.
An index created through a template with mappings has the type ``_doc`` and refuses every custom
type the same way.  OpenSearch 2.0 and later refuse ``_type`` in the whole request instead.
"""
from __future__ import annotations

from collections import defaultdict

from efklab.doctor.findings import Finding, Severity, make_finding
from efklab.doctor.inputs import DoctorInputs, NodeFacts
from efklab.errors import EfklabError
from efklab.lambda_.transform import transform_payload
from efklab.opensearch.engines import ELASTICSEARCH, OPENSEARCH, EngineVersion

UPGRADE_TARGET = "2.19.4"
CHECK_ID = "engine-version"


def node_engine(node: NodeFacts) -> EngineVersion | None:
    """The node's engine and version, when it reports a release number."""
    numbers = node.version.split(".")
    if len(numbers) < 3 or not all(n.isdigit() for n in numbers[:3]):
        return None
    engine = OPENSEARCH if node.distribution == OPENSEARCH else ELASTICSEARCH
    return EngineVersion(engine, ".".join(numbers[:3]))


def _types_per_index(inputs: DoctorInputs) -> dict[str, dict[str, str]]:
    """index -> {_type: first payload position} over every data payload (seed mode: the log group)."""
    facts = inputs.payloads
    found: dict[str, dict[str, str]] = defaultdict(dict)
    if facts is None:
        return found
    for payload in facts.payloads:
        if payload.message_type != "DATA_MESSAGE" or not payload.log_events:
            continue
        try:
            actions, _rejects = transform_payload(payload, inputs.settings.transform)
        except EfklabError:
            continue
        if actions and '"_type"' in actions[0].action_line:
            where = f"{payload.source or 'payload'}:{payload.position or 1}"
            for action in actions:
                found[action.index].setdefault(payload.log_group, where)
    return found


def check_type_per_index(inputs: DoctorInputs) -> list[Finding]:
    """Two ``_type``s (log groups) in one index: refused on 7.x/1.x (one mapping type per index)."""
    clashes = {index: types for index, types in _types_per_index(inputs).items() if len(types) > 1}
    if not clashes:
        return []
    node = inputs.node
    engine = node_engine(node) if node is not None else None
    severity: Severity
    if engine is not None and not engine.accepts_type:
        return []  # bulk-type-field: the whole request is refused before types matter
    if engine is not None:
        severity, target = "error", f"{engine.label} at {node.url if node else ''} refuses them"
    else:
        severity, target = "warning", "Elasticsearch 7.x and OpenSearch 1.x refuse them (no node given)"
    evidence = [f"{index}: " + ", ".join(f"{group} ({where})" for group, where in types.items())
                for index, types in sorted(clashes.items())]
    return [make_finding(
        CHECK_ID, severity,
        f"{len(clashes)} {'index gets' if len(clashes) == 1 else 'indices get'} documents of several _types "
        f"(log groups); {target}",
        evidence=evidence, figures={"indices": len(clashes)},
        why="7.x/1.x keep one mapping type per index: the second log group's documents are answered 'Rejecting "
            "mapping update to [index] as the final mapping would have more than 1 type' and are lost",
        fix="drop _type from the Lambda (efklab transform --mode opensearch), or name indices by the whole log group")]


def check_engine_upgrade(inputs: DoctorInputs) -> list[Finding]:
    """The node still accepts ``_type``: the upgrade to OpenSearch 2.x will refuse every request of this Lambda."""
    node = inputs.node
    engine = node_engine(node) if node is not None else None
    if node is None or engine is None or not engine.accepts_type:
        return []
    typed = any(_types_per_index(inputs).values())
    if not typed:
        return []
    return [make_finding(
        CHECK_ID, "warning",
        f"{engine.label} at {node.url} accepts this Lambda's _type; OpenSearch 2.0 and later refuse every request",
        evidence=[f"{node.url}: {engine.label}; {engine.ism_note}"], figures={"version": engine.version},
        why="OpenSearch 2.x refuses a bulk request whose action carries _type ('Action/metadata line [1] contains "
            "an unknown parameter [_type]'); the Lambda's call fails as a whole after the upgrade",
        fix=f"remove _type before upgrading; `efklab compat --from {engine.key} --to {UPGRADE_TARGET} --mode seed` "
            "shows every difference on real nodes")]


def check_engine_version(inputs: DoctorInputs) -> list[Finding]:
    """Both: several ``_type``s per index (refused on 7.x/1.x), and a node whose next upgrade refuses ``_type``."""
    return check_type_per_index(inputs) + check_engine_upgrade(inputs)
