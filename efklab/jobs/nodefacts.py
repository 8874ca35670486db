"""What an OpenSearch node says about itself, for ``efklab doctor --opensearch-url``.

Version and distribution (``GET /``: ``_type`` is refused from 2.x), data nodes and open shards
(``_cluster/health``), ``cluster.max_shards_per_node`` (cluster settings, defaults included),
whether the ISM plugin is installed (``_cat/plugins``), and the existing indices an ISM template
would match, with the policy each is managed by (``_plugins/_ism/explain``).  Read-only.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from efklab.adapters.ism import IsmApi, ism_installed, read_index_facts
from efklab.adapters.opensearch import Connection, cat_indices, remote_errors
from efklab.doctor.inputs import NodeFacts
from efklab.errors import RemoteError
from efklab.retention.attachment import IndexFacts
from efklab.retention.explain import read_explain

MAX_SHARDS_SETTING = "cluster.max_shards_per_node"


def read_node_facts(client: Any, conn: Connection, *, template_patterns: Sequence[str] = (),
                    strategy_pattern: str | None = None) -> NodeFacts:
    """The node's facts; ``template_patterns`` select the existing indices to look at."""
    with remote_errors(conn):
        info = client.info()
        health = client.cluster.health()
        settings = client.cluster.get_settings(include_defaults=True, flat_settings=True)
    version = info.get("version") or {}
    merged: dict[str, Any] = {}
    for scope in ("defaults", "persistent", "transient"):
        merged.update(settings.get(scope) or {})
    open_shards = sum(int(health.get(k) or 0) for k in ("active_shards", "initializing_shards", "unassigned_shards"))
    ism = ism_installed(client, conn)
    indices = _existing_indices(client, conn, template_patterns, ism)
    return NodeFacts(
        url=conn.display_url,
        version=str(version.get("number", "")),
        distribution=str(version.get("distribution") or "elasticsearch"),
        data_nodes=int(health.get("number_of_data_nodes") or 1),
        max_shards_per_node=int(merged.get(MAX_SHARDS_SETTING, 1000)),
        open_shards=open_shards,
        pattern_shards=_pattern_shards(client, conn, strategy_pattern) if strategy_pattern else 0,
        ism=ism,
        indices=tuple(indices),
        read_at_ms=int(time.time() * 1000),
    )


def _existing_indices(client: Any, conn: Connection, patterns: Sequence[str], ism: bool) -> list[IndexFacts]:
    found: dict[str, IndexFacts] = {}
    for pattern in patterns:
        for fact in read_index_facts(client, conn, pattern):
            if not fact.name.startswith("."):
                found[fact.name] = fact
    if ism and found:
        managed: dict[str, str | None] = {}
        for pattern in patterns:
            try:
                managed.update({r.index: r.policy_id for r in read_explain(IsmApi(client, conn).explain(pattern)) if r.managed})
            except RemoteError:
                continue  # nothing managed under this pattern
        found = {name: replace(f, managed_by=managed.get(name)) for name, f in found.items()}
    return [found[name] for name in sorted(found)]


def _pattern_shards(client: Any, conn: Connection, pattern: str) -> int:
    """Shards (primaries and replicas) of the open indices ``pattern`` matches."""
    total = 0
    for row in cat_indices(client, conn, pattern):
        primaries, replicas = int(row.get("pri") or 0), int(row.get("rep") or 0)
        total += primaries * (1 + replicas)
    return total
