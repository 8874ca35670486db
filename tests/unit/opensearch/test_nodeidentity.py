"""Telling our cluster from whatever else answers on its port, from the node's own `GET /` answer."""
from __future__ import annotations

from typing import Any

import pytest

from efklab.opensearch.nodeidentity import conclusive, describe_answer, identity_problem, node_ids, read_identity

URL = "http://127.0.0.1:9200"
OURS = "efklab-3f2a1b2c"


def root(cluster: str = OURS, uuid: str = "U1", name: str = "node-0") -> dict[str, Any]:
    """A `GET /` answer as OpenSearch 2.19 gives it."""
    return {"name": name, "cluster_name": cluster, "cluster_uuid": uuid,
            "version": {"distribution": "opensearch", "number": "2.19.4"}, "tagline": "The OpenSearch Project"}


def test_our_cluster_with_its_recorded_uuid_and_node_is_no_problem() -> None:
    assert identity_problem(URL, root(), cluster=OURS, cluster_uuid="U1", node_names=("node-0",)) is None


def test_another_cluster_on_the_port_is_named_with_the_url() -> None:
    """A Docker OpenSearch on 9200: the line names the URL, what answered and which node was expected."""
    problem = identity_problem(URL, root("docker-cluster"), cluster=OURS, cluster_uuid="U1")
    assert problem == f"{URL} answers as cluster 'docker-cluster', not this checkout's node '{OURS}'"


def test_same_name_with_another_uuid_is_refused() -> None:
    """Same state folder's name but a different cluster (its data was replaced): not the recorded one."""
    problem = identity_problem(URL, root(uuid="U2"), cluster=OURS, cluster_uuid="U1")
    assert problem is not None and "UUID U2" in problem and "UUID U1" in problem


@pytest.mark.parametrize("uuid", ["", "_na_"])
def test_a_uuid_not_yet_known_on_either_side_is_not_a_mismatch(uuid: str) -> None:
    """Before the first election GET / says `_na_`; a state file of an older efklab records none."""
    assert identity_problem(URL, root(uuid=uuid), cluster=OURS, cluster_uuid="U1") is None
    assert identity_problem(URL, root(uuid="U9"), cluster=OURS, cluster_uuid="") is None


def test_a_node_name_outside_the_recorded_cluster_is_refused() -> None:
    problem = identity_problem(URL, root(name="node-7"), cluster=OURS, node_names=("node-0", "node-1"))
    assert problem is not None and "node 'node-7'" in problem


@pytest.mark.parametrize(("answer", "said"), [
    (None, f"nothing answers at {URL}"),
    ({"error": {"status": 401, "reason": "Unauthorized"}}, "not an OpenSearch root (HTTP 401)"),
    ("<html>hello</html>", "something that is not OpenSearch"),
])
def test_answers_that_are_not_a_cluster_are_described(answer: Any, said: str) -> None:
    problem = identity_problem(URL, answer, cluster=OURS)
    assert problem is not None and said in problem


def test_read_identity_and_describe() -> None:
    identity = read_identity(root("foreign", "U7", "n1"))
    assert identity is not None and (identity.cluster_name, identity.cluster_uuid, identity.node_name,
                                     identity.version) == ("foreign", "U7", "n1", "2.19.4")
    assert read_identity({"error": {}}) is None and describe_answer(root("x")) == "cluster 'x'"


def test_node_ids_by_name() -> None:
    answer = {"nodes": {"B": {"name": "node-1"}, "A": {"name": "node-0"}}}
    assert node_ids(answer) == {"node-0": "A", "node-1": "B"}
    assert node_ids(None) == {} and node_ids({"error": {}}) == {}


@pytest.mark.parametrize(("answer", "expected"), [
    (None, False),
    ({"error": {"status": 429, "reason": "Too Many Requests"}}, False),
    ({"error": {"status": 503, "reason": "Service Unavailable"}}, False),
    ({"error": {"status": 401, "reason": "Unauthorized"}}, True),
    (root("foreign"), True),
])
def test_only_answers_that_can_tell_who_listens_are_conclusive(answer: Any, expected: bool) -> None:
    """A busy node (ours too) may answer 429/5xx: that neither proves nor refutes who listens; a 401 does
    (efklab's node has no security plugin)."""
    assert conclusive(answer) is expected
