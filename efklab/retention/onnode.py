"""What a node's ISM says about itself: job settings, stored policies, managed indices, recorded deletions.

Read by ``adapters.ism.read_ism_on_node`` for ``efklab doctor --local`` and the retention
notebook; everything here is observed on the node (no forecast).  A policy that was never PUT
has no template time: nothing here invents one.
"""
from __future__ import annotations

from dataclasses import dataclass

from efklab.retention.explain import ExplainRow
from efklab.retention.history import HistoryStep
from efklab.retention.policy import Policy
from efklab.retention.schedule import JobSettings


@dataclass(frozen=True, slots=True)
class IsmOnNode:
    """The node's ISM, as read: its job settings, its policies, the explained and deleted indices of some patterns."""

    job: JobSettings
    policies: tuple[Policy, ...]  # as stored (template last_updated_time set by the node)
    explained: tuple[ExplainRow, ...]  # indices matching the patterns asked about
    deleted: tuple[HistoryStep, ...]  # deletions the plugin's history records for those patterns
    unreadable: tuple[str, ...] = ()  # stored policies efklab could not read, and why

    def stored(self, policy_id: str) -> Policy | None:
        """The node's policy with this id (None: never PUT there)."""
        return next((p for p in self.policies if p.policy_id == policy_id), None)

    def counterpart(self, policy: Policy) -> tuple[Policy | None, str]:
        """The node's copy of a policy file, matched as the cluster would: the same id, else a stored policy
        whose template has the same index patterns (a file without policy_id); and how it was matched."""
        same = self.stored(policy.policy_id)
        if same is not None:
            return same, f"stored on the node as {same.policy_id}"
        patterns = {p for t in policy.ism_templates for p in t.index_patterns}
        alike = [s for s in self.policies if patterns and patterns == {p for t in s.ism_templates
                                                                        for p in t.index_patterns}]
        if alike:
            return alike[0], (f"assumed to be the node's {alike[0].policy_id} (same template patterns; the file's id "
                              f"is {policy.policy_id})")
        return None, f"not stored on the node (no policy {policy.policy_id}, none with its template patterns)"

    def template_since(self, policy: Policy) -> int | None:
        """When the node's copy of the policy started attaching (its templates' earliest last_updated_time)."""
        stored = self.counterpart(policy)[0]
        times = [t.last_updated_time for t in (stored.ism_templates if stored else ()) if t.last_updated_time]
        return min(times) if times else None

    @property
    def managed(self) -> list[ExplainRow]:
        return [r for r in self.explained if r.managed]

    @property
    def failed(self) -> list[ExplainRow]:
        return [r for r in self.explained if r.failed]
