"""Which ISM policy attaches to which index, and when: the coordinator's rules as a pure function.

Sources (index-management 2.19, ``ManagedIndexCoordinator``): a template attaches a policy only
to an index whose ``index.creation_date`` is strictly after the template's ``last_updated_time``
(which is the time of the PUT when the template does not say); the highest priority wins;
hidden and dot-prefixed indices are skipped, as are indices with
``index.plugins.index_state_management.auto_manage: false``.  It happens at index creation, or
in the background sweep (every ``sweep_period``, 10 minutes) for indices that exist when the
policy is PUT with an older ``last_updated_time``.  Indices created before the template never
get the policy from it: they need ``_ism/add``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from efklab.opensearch.patterns import simple_match
from efklab.retention.policy import IsmTemplate, Policy
from efklab.units import format_time

SWEEP_PERIOD_MS = 10 * 60_000


@dataclass(frozen=True, slots=True)
class IndexFacts:
    """What ISM looks at for one index (from a node, or expected from payloads)."""

    name: str
    creation_date: int  # ms since the epoch (index.creation_date)
    doc_count: int | None = None
    size_bytes: int | None = None  # primary store size, for min_size
    hidden: bool = False
    auto_manage: bool = True
    managed_by: str | None = None  # policy id already attached (from explain)
    attached_at: int | None = None  # when the node attached it (its ISM job's start time), when known


@dataclass(frozen=True, slots=True)
class Attachment:
    """The policy an index gets (or not), how and when; ``reason`` says why in one line."""

    index: str
    policy_id: str | None
    how: str  # "template", "sweep", "added", "managed", "none", "pre-existing"
    attached_at: int | None
    attach_delay_ms: int
    reason: str
    template_path: str | None = None
    matched: str = ""  # for an index a node already manages: how the policy it runs was found


def effective_template_time(template: IsmTemplate, applied_at: int | None) -> int | None:
    """The template's last_updated_time, or the PUT time when the template leaves it out (None: long before)."""
    return template.last_updated_time if template.last_updated_time is not None else applied_at


def attach_policy(
    index: IndexFacts,
    policies: Sequence[Policy],
    *,
    applied_at: Mapping[str, int] | None = None,
    added: Mapping[str, tuple[str, int]] | None = None,
) -> Attachment:
    """Decide the policy of one index.

    ``applied_at`` maps policy id -> time of its PUT (absent: the policy was in place before every
    index); ``added`` maps index -> (policy id, time) for explicit ``_ism/add`` calls.
    """
    applied_at = applied_at or {}
    if index.managed_by is not None:
        attached = index.attached_at if index.attached_at is not None else index.creation_date
        return Attachment(index.name, index.managed_by, "managed", attached, 0, "already managed (explain)")
    if added and index.name in added:
        policy_id, at = added[index.name]
        return Attachment(index.name, policy_id, "added", max(at, index.creation_date), 0,
                          f"added explicitly ({policy_id})")
    if index.hidden or index.name.startswith("."):
        return Attachment(index.name, None, "none", None, 0, "hidden or dot index: ISM templates skip it")
    if not index.auto_manage:
        return Attachment(index.name, None, "none", None, 0,
                          "index.plugins.index_state_management.auto_manage is false")
    best: tuple[int, Policy, IsmTemplate] | None = None
    blocked: tuple[Policy, IsmTemplate, int] | None = None
    for policy in policies:
        for template in policy.ism_templates:
            if not any(simple_match(p, index.name) for p in template.index_patterns):
                continue
            since = effective_template_time(template, applied_at.get(policy.policy_id))
            if since is not None and not since < index.creation_date:
                if blocked is None or template.priority > blocked[1].priority:
                    blocked = (policy, template, since)
                continue
            if best is None or template.priority > best[0]:
                best = (template.priority, policy, template)
    if best is not None:
        _, policy, template = best
        put_at = applied_at.get(policy.policy_id)
        if put_at is not None and index.creation_date <= put_at:
            return Attachment(index.name, policy.policy_id, "sweep", put_at, SWEEP_PERIOD_MS,
                              "existed at the PUT, but after the template's last_updated_time: "
                              "the background sweep attaches it",
                              template.path)
        return Attachment(index.name, policy.policy_id, "template", index.creation_date, 0,
                          f"matches {list(template.index_patterns)} (priority {template.priority}) at creation",
                          template.path)
    if blocked is not None:
        policy, template, since = blocked
        return Attachment(
            index.name, None, "pre-existing", None, 0,
            f"created before {policy.policy_id}'s template {list(template.index_patterns)} "
            f"(last updated {format_time(since)}): "
            "templates never attach to existing indices; attach it with `efklab retention apply --add`",
            template.path,
        )
    return Attachment(index.name, None, "none", None, 0, "no ISM template matches")


def match_managed_policy(index: IndexFacts, policy_id: str, policies: Sequence[Policy],
                         stored: Mapping[str, Policy]) -> tuple[Policy | None, str]:
    """The policy an index the node manages runs, as the cluster decides it, and how it was matched.

    The cluster reports the policy id (explain) and runs the policy it stores under that id;
    when that cannot be read, a policy file with that id is it, and a file without
    ``policy_id`` (or with another) is assumed to be it when its ``ism_template`` matches the index.
    """
    if policy_id in stored:
        same = any(p.policy_id == policy_id for p in policies)
        return stored[policy_id], (f"the cluster runs {policy_id} as stored on the node"
                                   + (" (the policy file's id)" if same else " (not the policy file's id)"))
    same_id = next((p for p in policies if p.policy_id == policy_id), None)
    if same_id is not None:
        return same_id, f"the cluster runs {policy_id} (not readable there): the policy file with that id"
    candidates = [(t.priority, p) for p in policies for t in p.ism_templates
                  if any(simple_match(pattern, index.name) for pattern in t.index_patterns)]
    if candidates:
        chosen = max(candidates, key=lambda c: c[0])[1]
        name = chosen.source or chosen.policy_id
        return chosen, (f"the cluster runs {policy_id} (not readable there); assumed to be the file's policy "
                        f"({name}): its template matches")
    return None, f"the cluster runs {policy_id}, which no policy file defines and the cluster did not return"
