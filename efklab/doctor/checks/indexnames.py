"""What the Lambda sends OpenSearch: ``_type`` in bulk actions, and index names it refuses or gets wrong.

Grounded in pipeline facts 5: OpenSearch 2.x's bulk parser refuses an action with ``_type``
("Action/metadata line [1] contains an unknown parameter [_type]") and fails the whole request;
index names must be lowercase and free of ``\\ / * ? " < > | space , # :``; log groups with fewer
segments than the naming expects give ``undefined`` in the seed Lambda's names.
"""
from __future__ import annotations

from collections import Counter

from efklab.doctor.findings import Finding, Severity, make_finding
from efklab.doctor.inputs import DoctorInputs, counts_text
from efklab.errors import EfklabError
from efklab.lambda_.layout import InvalidName
from efklab.lambda_.transform import transform_payload

BULK_REF = "OpenSearch BulkRequestParser (2.x): unknown parameter [_type]"


def check_bulk_type(inputs: DoctorInputs) -> list[Finding]:
    """Bulk actions carrying ``_type``: OpenSearch 2.x refuses the whole request."""
    facts = inputs.payloads
    if facts is None:
        return []
    sample = next((p for p in facts.payloads if p.message_type == "DATA_MESSAGE" and p.log_events), None)
    if sample is None:
        return []
    try:
        actions, _rejects = transform_payload(sample, inputs.settings.transform)
    except EfklabError:
        return []
    typed = [a for a in actions if '"_type"' in a.action_line]
    if not typed:
        return []
    node = inputs.node
    severity: Severity
    if node is not None and node.distribution == "opensearch" and node.major >= 2:
        severity, target = "error", f"{node.url} runs OpenSearch {node.version}"
    elif node is not None:
        severity, target = "info", f"{node.url} runs {node.distribution} {node.version}, which still accepts it"
    else:
        severity, target = "warning", "no node given (--opensearch-url): OpenSearch 2.x and later refuse it"
    return [make_finding(
        "bulk-type-field", severity, f"bulk actions carry _type ({inputs.settings.mode} mode); {target}",
        evidence=[f"{sample.source or 'payload'}:{sample.position or 1}: {typed[0].action_line[:200]}"],
        figures={"mode": inputs.settings.mode},
        why="OpenSearch 2.x refuses the request ('Action/metadata line [1] contains an unknown parameter [_type]'): "
            "the Lambda's bulk call fails as a whole, CloudWatch retries twice, then the batch is gone",
        fix="remove action.index._type from the Lambda (the v1.1.2 code has none; efklab transform --mode opensearch)")]


def _invalid(inputs: DoctorInputs, lowercase: bool) -> list[InvalidName]:
    facts = inputs.payloads
    if facts is None:
        return []
    return [n for n in facts.layout.invalid_names if not n.accepted and ("lowercase" in n.reason) == lowercase]


def check_index_names(inputs: DoctorInputs) -> list[Finding]:
    """Index names OpenSearch refuses (other than upper case): every document aimed at them fails."""
    bad = _invalid(inputs, lowercase=False)
    if not bad:
        return []
    return [make_finding(
        "index-name-invalid", "error",
        f"{len(bad)} index name(s) OpenSearch refuses, {sum(n.events for n in bad):,} event(s) aimed at them",
        evidence=[f"{n.name}: {n.reason} ({n.events:,} events{', e.g. ' + n.example if n.example else ''})"
                  for n in bad],
        figures={"names": len(bad), "events": sum(n.events for n in bad)},
        why="the bulk item fails (invalid_index_name_exception); the seed Lambda fails the invocation on any failed "
            "item, so CloudWatch retries the whole batch and finally drops it",
        fix="sanitise the parts of the name (no \\ / * ? \" < > | space , # :, not starting with _ - +), e.g. "
            "efklab transform --index-strategy with a template")]


def check_index_uppercase(inputs: DoctorInputs) -> list[Finding]:
    """Upper case in index names (from log group or stream names): refused by OpenSearch."""
    bad = _invalid(inputs, lowercase=True)
    if not bad:
        return []
    return [make_finding(
        "index-name-uppercase", "error",
        f"{len(bad)} index name(s) with upper case, {sum(n.events for n in bad):,} event(s) aimed at them",
        evidence=[f"{n.name}: {n.reason} ({n.events:,} events)" for n in bad],
        figures={"names": len(bad), "events": sum(n.events for n in bad)},
        why="OpenSearch refuses index names with upper case ('must be lowercase'); log group names such as "
            "/aws/containerinsights/MyClusterName/... keep their case, so a name built from them fails every document",
        fix="lower-case the name in the Lambda (toLowerCase()) before sending the bulk request")]


def check_index_undefined(inputs: DoctorInputs) -> list[Finding]:
    """``undefined`` in index names: log groups with fewer segments than the naming reads."""
    facts = inputs.payloads
    if facts is None:
        return []
    accepted = [n for n in facts.layout.invalid_names if n.accepted]
    refused = [r for r in facts.layout.rejects if r.stage == "index-name" and "undefined" in r.reason]
    if not accepted and not refused:
        return []
    evidence = [f"{n.name}: {n.events:,} events; {n.reason}" for n in accepted]
    evidence += [f"{r.location() or 'payload'}: {r.reason}" for r in refused]
    return [make_finding(
        "index-name-undefined", "warning",
        f"log groups without the segments the index name is built from: "
        f"{sum(n.events for n in accepted) + len(refused):,} event(s)",
        evidence=evidence, figures={"events": sum(n.events for n in accepted) + len(refused)},
        why="the seed Lambda reads logGroup.split('/')[5] and [6]; a shorter log group (e.g. /aws/lambda/x, or the "
            "fluentd/cwagent groups) gives 'undefined', so unrelated logs share one index per day",
        fix="subscribe only Container Insights application log groups, or name indices with a strategy that does "
            "not read missing segments (efklab transform --index-strategy cwl-group)")]


def check_payload_rejects(inputs: DoctorInputs) -> list[Finding]:
    """Events that become no document: the seed Lambda throws on them, or the payload cannot be read."""
    facts = inputs.payloads
    if facts is None:
        return []
    rejects = [r for r in (*facts.layout.rejects, *facts.dropped) if r.stage != "index-name"]
    if not rejects:
        return []
    throws = [r for r in rejects if r.stage == "transform"]
    stages = Counter(r.stage for r in rejects)
    return [make_finding(
        "payload-rejects", "error" if throws else "warning",
        f"{len(rejects):,} event(s) or payload(s) become no document ({counts_text(stages)})",
        evidence=[f"{r.location() or r.stage}: {r.reason[:200]}" for r in rejects], figures=dict(stages),
        why="an event the Lambda throws on fails the whole invocation: CloudWatch retries it twice, then the batch "
            "is lost; unreadable payloads or lines the pipeline drops never reach OpenSearch either",
        fix="see each reason: the transform's (efklab transform --mode ...), the payload's, or the pipeline stage's")]
