"""ISM policy traps: refused policies, templates that never attach, age counted from creation, late events.

Grounded in pipeline facts 6 and the index-management plugin: a transition takes at most one
condition ("Cannot provide more than one Transition condition"); an ``ism_template`` attaches
only to indices created after its ``last_updated_time``; ``min_index_age`` counts from
``index.creation_date``; the Lambda names indices after event time and OpenSearch creates them
on the first document, so late events recreate deleted daily indices.  The forecast is
:mod:`efklab.retention.forecast` (simulation, no plugin needed).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from efklab.doctor.findings import Finding, Severity, make_finding
from efklab.doctor.inputs import DoctorInputs
from efklab.retention.attachment import attach_policy
from efklab.retention.forecast import Finding as Trap
from efklab.retention.forecast import Generation, find_traps, forecast_layout
from efklab.retention.schedule import JobSettings
from efklab.units import format_time

ISM_TEMPLATE_ISSUE = "https://github.com/opensearch-project/index-management/issues/264"
_ONE_CONDITION = "exactly one condition"


def _forecast(inputs: DoctorInputs) -> tuple[list[Generation], list[Trap]]:
    return inputs.derived("ism-forecast", lambda: _forecast_once(inputs))


def _forecast_once(inputs: DoctorInputs) -> tuple[list[Generation], list[Trap]]:
    policy = inputs.policy.policy if inputs.policy else None
    if policy is None or inputs.payloads is None:
        return [], []
    return forecast_layout(inputs.payloads.layout, [policy], JobSettings())


def _traps(inputs: DoctorInputs, kind: str) -> list[Trap]:
    return [t for t in _forecast(inputs)[1] if t.kind == kind]


def _transitions(document: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    body = document.get("policy") if isinstance(document, Mapping) else None
    states = body.get("states") if isinstance(body, Mapping) else None
    for i, state in enumerate(states if isinstance(states, list) else []):
        transitions = state.get("transitions") if isinstance(state, Mapping) else None
        for j, transition in enumerate(transitions if isinstance(transitions, list) else []):
            conditions = transition.get("conditions") if isinstance(transition, Mapping) else None
            if isinstance(conditions, Mapping):
                yield f"$.policy.states[{i}].transitions[{j}].conditions", conditions


def check_multiple_conditions(inputs: DoctorInputs) -> list[Finding]:
    """Transitions with more than one condition: the plugin refuses the policy."""
    facts = inputs.policy
    if facts is None:
        return []
    many = [(path, c) for path, c in _transitions(facts.document) if len(c) > 1]
    if not many:
        return []
    return [make_finding(
        "ism-multiple-conditions", "error", f"{len(many)} transition(s) with more than one condition",
        where=f"{facts.path}:{many[0][0]}",
        evidence=[f"{facts.path}:{path}: {', '.join(c)}" for path, c in many],
        why="ISM refuses the policy ('Cannot provide more than one Transition condition'): the PUT fails and no index "
            "is ever managed; people expect AND (or OR), the plugin allows neither in one transition",
        fix="one condition per transition: for OR write one transition per condition; for AND chain two states")]


def check_policy_invalid(inputs: DoctorInputs) -> list[Finding]:
    """A policy the plugin refuses for another reason (unknown fields, missing states, bad values)."""
    facts = inputs.policy
    if facts is None or facts.error is None or _ONE_CONDITION in facts.error.reason:
        return []
    return [make_finding(
        "ism-policy-invalid", "error", f"the ISM plugin refuses this policy: {facts.error.reason}",
        where=f"{facts.error.source or facts.path}:{facts.error.position}" if facts.error.position else facts.path,
        why="the PUT _plugins/_ism/policies call fails, so no index gets the policy and nothing is deleted",
        fix="efklab retention validate shows the JSON path; correct it there")]


def check_template(inputs: DoctorInputs) -> list[Finding]:
    """No ``ism_template``, or one that matches none of the indices the Lambda creates: nothing is deleted."""
    facts = inputs.policy
    policy = facts.policy if facts else None
    if facts is None or policy is None:
        return []
    if not policy.ism_templates:
        return [make_finding(
            "ism-template", "warning",
            f"policy {policy.policy_id} has no ism_template: no index gets it automatically",
            where=facts.path,
            why="without a template every new daily index stays unmanaged until someone runs _ism/add",
            fix='add "ism_template": [{"index_patterns": ["<prefix>-*"], "priority": 10}]')]
    unmanaged = _traps(inputs, "unmanaged")
    if not unmanaged or inputs.payloads is None:
        return []
    patterns = sorted({p for t in policy.ism_templates for p in t.index_patterns})
    names = [i.name for i in inputs.payloads.layout.indices]
    return [make_finding(
        "ism-template", "error", f"the policy's ism_template {patterns} does not match the indices the Lambda creates",
        where=f"{facts.path}:{policy.ism_templates[0].path}",
        evidence=[t.message for t in unmanaged] + [f"expected index: {n}" for n in names[:3]],
        figures={"indices": len(names)},
        why="an index no template matches is never managed: it is never deleted and the disk fills up",
        fix=f"make index_patterns match the naming (pattern {inputs.payloads.pattern})")]


def check_existing_indices(inputs: DoctorInputs) -> list[Finding]:
    """Existing indices on the node the template will never reach (created before it, not managed).

    When the node stores the policy, its template's own time decides (observed on the node);
    when it does not, the policy would be PUT now, and no invented "last updated" time is shown.
    """
    policy = inputs.policy.policy if inputs.policy else None
    if policy is None or inputs.node is None:
        return []
    on_node = inputs.node.ism_on_node
    since = on_node.template_since(policy) if on_node is not None else None
    applied = {policy.policy_id: since if since is not None else inputs.node.read_at_ms}
    stranded = [a for a in (attach_policy(f, [policy], applied_at=applied) for f in inputs.node.indices)
                if a.how == "pre-existing"]
    if not stranded:
        return []
    if since is None:
        evidence = [f"{a.index}: created before the policy's template: {policy.policy_id} is not stored on the node, "
                    "and once PUT its template reaches only indices created after the PUT" for a in stranded]
    else:
        evidence = [f"{a.index}: {a.reason}" for a in stranded]
    return [make_finding(
        "ism-existing-indices", "error",
        f"{len(stranded)} existing index(es) on {inputs.node.url} match the template but will never get the policy",
        evidence=evidence, figures={"indices": len(stranded)},
        why=f"ISM templates attach only at index creation, to indices created after the template "
            f"({ISM_TEMPLATE_ISSUE}); these indices are never deleted",
        fix=f"attach them once: POST _plugins/_ism/add/<pattern> {{\"policy_id\": \"{policy.policy_id}\"}} "
            "(efklab retention apply --add)")]


def check_backfill_age(inputs: DoctorInputs) -> list[Finding]:
    """Indices created long after the day in their name: retention counts from creation, not from the data."""
    traps = _traps(inputs, "creation-date")
    if not traps:
        return []
    return [make_finding(
        "ism-creation-date", "warning",
        f"{len(traps)} index(es) are created more than a day after the day in their name",
        evidence=[f"{t.index}: {t.message}" for t in traps], figures={"indices": len(traps)},
        why="min_index_age counts from index.creation_date: backfilled or delayed data lives a full retention period "
            "after it arrives, not after the day it belongs to (more disk, longer than the retention promise)",
        fix="accept it knowingly, or delete backfilled days by name (curator-style, or a cron transition)")]


def check_late_events(inputs: DoctorInputs) -> list[Finding]:
    """Late events that recreate a daily index after ISM deleted it."""
    traps = _traps(inputs, "recreated")
    if not traps:
        return []
    return [make_finding(
        "ism-late-events", "warning", f"{len(traps)} daily index(es) are recreated by late events after deletion",
        evidence=[f"{t.index}: {t.message}" for t in traps], figures={"indices": len(traps)},
        why="the Lambda names the index after the event's time and OpenSearch creates it on the first document: a "
            "late event brings back a deleted day, which then lives another full retention period",
        fix="drop events older than the retention period in the Lambda, or disable auto-creation for old day names")]


def check_never_deletes(inputs: DoctorInputs) -> list[Finding]:
    """A policy without a delete action."""
    policy = inputs.policy.policy if inputs.policy else None
    if policy is None or policy.deletes:
        return []
    return [make_finding(
        "ism-never-deletes", "warning", f"policy {policy.policy_id} has no delete action",
        where=inputs.policy.path if inputs.policy else None,
        why="indices it manages are never deleted: retention is unbounded",
        fix='add a state with "actions": [{"delete": {}}] and a transition into it')]


def check_or_transitions(inputs: DoctorInputs) -> list[Finding]:
    """States with several transitions of different kinds: the first that holds wins (OR, not AND)."""
    policy = inputs.policy.policy if inputs.policy else None
    if policy is None:
        return []
    traps = [t for t in find_traps([], [policy]) if t.kind == "or-conditions"]
    return [make_finding(
        "ism-or-transitions", "info", t.message, where=inputs.policy.path if inputs.policy else None,
        why="ISM evaluates transitions in order and takes the first whose condition holds",
        fix="if you meant AND, chain states (one condition each)") for t in traps]


def check_ism_plugin(inputs: DoctorInputs) -> list[Finding]:
    """The node has no Index State Management plugin: no policy can run."""
    node = inputs.node
    if node is None or node.ism or inputs.policy is None:
        return []
    return [make_finding(
        "ism-plugin-missing", "error", f"{node.url} has no Index State Management plugin",
        evidence=[f"{node.distribution} {node.version}"],
        why="the policy cannot be stored or run there: nothing is ever deleted by it",
        fix="install opensearch-index-management (with opensearch-job-scheduler) of the node's version, or use a "
            "managed domain where ISM is built in")]


def check_ism_on_node(inputs: DoctorInputs) -> list[Finding]:
    """What the node's ISM really does now (observed): job settings, the policy stored or not, managed, failed,
    deleted."""
    node = inputs.node
    on_node = node.ism_on_node if node is not None else None
    policy = inputs.policy.policy if inputs.policy else None
    if node is None or on_node is None or policy is None:
        return []
    since = on_node.template_since(policy)
    stored, how = on_node.counterpart(policy)
    managed, failed = on_node.managed, on_node.failed
    by_policy = sorted({r.policy_id for r in managed if r.policy_id})
    evidence = [
        f"job: every {on_node.job.interval_minutes} min, jitter {on_node.job.jitter:g} (cluster settings)",
        f"policy {policy.policy_id}: {how}" + (f", template attaching since {format_time(since)}" if since
                                               else ", without a template" if stored else ""),
        f"{len(managed)} of {len(on_node.explained)} indices matching {inputs.template_patterns()} managed"
        + (f" (by {', '.join(by_policy)})" if by_policy else ""),
        f"ISM history: {len(on_node.deleted)} deletions recorded"
        + (f", last {on_node.deleted[-1].index} at {format_time(on_node.deleted[-1].at)}" if on_node.deleted else ""),
    ] + [f"failed: {r.index}: {r.info or r.step}" for r in failed] + list(on_node.unreadable)
    severity: Severity = "warning" if failed or stored is None else "info"
    title = (f"ISM on {node.url}: {len(failed)} managed index(es) failed a step" if failed
             else f"ISM on {node.url}: {policy.policy_id} is not stored there" if stored is None
             else f"ISM on {node.url}: {len(managed)} of {len(on_node.explained)} matching indices managed")
    return [make_finding(
        "ism-node", severity, title, evidence=evidence,
        figures={"managed": len(managed), "indices": len(on_node.explained), "failed": len(failed),
                 "deleted_by_ism": len(on_node.deleted), "job_interval_min": on_node.job.interval_minutes},
        why="observed on the node (explain, cluster settings, the plugin's history): what ISM does there now, "
            "beside the forecast of the other ism- checks",
        fix=("POST _plugins/_ism/retry/<index> after fixing the cause" if failed
             else "efklab retention apply --policy <file> (and --add for existing indices)" if stored is None
             else "nothing to do"))]
