"""The doctor's ISM facts from the node: observed, never invented (no 'last updated' for a policy never PUT)."""
from __future__ import annotations

import json

from efklab.doctor.checks.ism import check_existing_indices, check_ism_on_node
from efklab.doctor.inputs import DoctorInputs, NodeFacts, PolicyFacts
from efklab.retention.attachment import IndexFacts
from efklab.retention.explain import ExplainRow
from efklab.retention.onnode import IsmOnNode
from efklab.retention.policy import parse_policy
from efklab.retention.schedule import JobSettings
from efklab.units import parse_time
from tests.conftest import ROOT

DOCUMENT = json.loads((ROOT / "data" / "samples" / "ism-policy.json").read_text())
POLICY = parse_policy(DOCUMENT)
READ_AT = parse_time("2024-05-01T12:00:00Z")
OLD = IndexFacts("mydata-a-b-2024.04.01", parse_time("2024-04-01"))


def _inputs(on_node: IsmOnNode | None) -> DoctorInputs:
    node = NodeFacts(url="http://node:9200", version="2.19.4", distribution="opensearch", data_nodes=1,
                     max_shards_per_node=1000, open_shards=0, pattern_shards=0, ism=True, indices=(OLD,),
                     read_at_ms=READ_AT, ism_on_node=on_node)
    return DoctorInputs(policy=PolicyFacts("ism-policy.json", DOCUMENT, POLICY), node=node)


def _stored(since: int) -> IsmOnNode:
    stored = parse_policy({"policy": {**DOCUMENT["policy"], "ism_template": [
        {"index_patterns": ["mydata-*"], "priority": 10, "last_updated_time": since}]}}, policy_id="delete_policy")
    row = ExplainRow(OLD.name, False, None, None, None, None, None, False, None, "")
    return IsmOnNode(JobSettings(1, 0.0), (stored,), (row,), ())


def test_a_policy_never_put_on_the_node_gets_no_invented_template_time() -> None:
    """The node stores no delete_policy: the evidence says so instead of 'last updated <the moment we looked>'."""
    (finding,) = check_existing_indices(_inputs(IsmOnNode(JobSettings(1, 0.0), (), (), ())))
    assert "not stored on the node" in finding.evidence[0] and "last updated" not in " ".join(finding.evidence)
    (node,) = check_ism_on_node(_inputs(IsmOnNode(JobSettings(1, 0.0), (), (), ())))
    assert node.severity == "warning" and "not stored on the node (no policy delete_policy" in node.evidence[1]


def test_a_stored_policy_counts_from_its_own_template_time_as_the_node_reports_it() -> None:
    """Stored with a template since 2024-04-15: the April 1 index is stranded, and the evidence names that time."""
    since = parse_time("2024-04-15T08:00:00Z")
    (finding,) = check_existing_indices(_inputs(_stored(since)))
    assert "2024-04-15T08:00:00Z" in finding.evidence[0]
    (node,) = check_ism_on_node(_inputs(_stored(since)))
    assert node.severity == "info" and node.figures["managed"] == 0 and node.figures["indices"] == 1
    assert node.evidence[1] == ("policy delete_policy: stored on the node as delete_policy, template attaching since "
                                "2024-04-15T08:00:00Z")
    assert check_existing_indices(_inputs(_stored(parse_time("2024-03-01")))) == []
