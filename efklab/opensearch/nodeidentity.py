"""Is what answers on a port the cluster efklab started?  Pure decisions over the node's own answers.

A healthy status on a port proves nothing: another OpenSearch (Docker, a second checkout, a
cluster someone left running) may hold the port after our node died or lost a bind race.
``up`` records the cluster's name (unique to the state folder) and, once it answers, its
``cluster_uuid`` and node ids; every later use compares ``GET /`` with that record.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UNASSIGNED_UUID = "_na_"  # what GET / reports before the first cluster manager election


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a node says it is (``GET /``)."""

    cluster_name: str
    cluster_uuid: str
    node_name: str
    version: str


def read_identity(answer: Any) -> Identity | None:
    """The identity in a ``GET /`` answer, or None when the answer is not an OpenSearch root document."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("cluster_name"), str):
        return None
    version = answer.get("version")
    number = version.get("number") if isinstance(version, Mapping) else None
    return Identity(cluster_name=answer["cluster_name"], cluster_uuid=str(answer.get("cluster_uuid") or ""),
                    node_name=str(answer.get("name") or ""), version=str(number or ""))


def describe_answer(answer: Any) -> str:
    """What answered, in a few words: a cluster's name, an HTTP error, or nothing."""
    identity = read_identity(answer)
    if identity is not None:
        return f"cluster '{identity.cluster_name}'"
    if answer is None:
        return "nothing"
    if isinstance(answer, Mapping) and isinstance(answer.get("error"), Mapping):
        status = answer["error"].get("status")
        return f"something that is not an OpenSearch root (HTTP {status})" if status else "an error"
    return "something that is not OpenSearch"


def conclusive(answer: Any) -> bool:
    """Whether an answer can tell who listens: not nothing, and not a busy node's 429/5xx (ours may be busy)."""
    if answer is None:
        return False
    error = answer.get("error") if isinstance(answer, Mapping) else None
    status = error.get("status") if isinstance(error, Mapping) else None
    return not (isinstance(status, int) and (status == 429 or status >= 500))


def identity_problem(url: str, answer: Any, *, cluster: str, cluster_uuid: str = "", node_names: tuple[str, ...] = (),
                     owner: str = "this checkout's node") -> str | None:
    """None when ``answer`` (``GET /`` at ``url``) is the recorded cluster; else one line saying what answers instead.

    The cluster name is unique to the state folder; the UUID (when recorded) tells our cluster
    from a later one of the same name, e.g. after its data was wiped by another process.
    """
    identity = read_identity(answer)
    if answer is None:
        return f"nothing answers at {url}, where {owner} '{cluster}' was recorded"
    if identity is None:
        return f"{url} answers as {describe_answer(answer)}, not {owner} '{cluster}'"
    if identity.cluster_name != cluster:
        return f"{url} answers as cluster '{identity.cluster_name}', not {owner} '{cluster}'"
    known = cluster_uuid and identity.cluster_uuid not in ("", UNASSIGNED_UUID)
    if known and identity.cluster_uuid != cluster_uuid:
        return (f"{url} answers as cluster '{identity.cluster_name}' with UUID {identity.cluster_uuid}, not {owner} "
                f"(UUID {cluster_uuid}); another start of this state folder replaced it")
    if node_names and identity.node_name not in node_names:
        return f"{url} answers as node '{identity.node_name}', not one of the recorded nodes {list(node_names)}"
    return None


def node_ids(answer: Any) -> dict[str, str]:
    """Node name -> node id from ``GET /_nodes?filter_path=nodes.*.name``."""
    nodes = answer.get("nodes") if isinstance(answer, Mapping) else None
    if not isinstance(nodes, Mapping):
        return {}
    return {str(info.get("name")): str(node_id) for node_id, info in sorted(nodes.items())
            if isinstance(info, Mapping)}
