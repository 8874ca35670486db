"""Read documents in the order Dashboards Discover shows them, from a real node.

Discover sorts by the time field, newest first, with no tiebreaker; the node then returns
tied documents shard by shard and, inside a shard, in indexing order.  To measure that order
for every document (not just the first 500 Discover loads), this pages with a scroll, which
keeps the order of one big sorted query (``search_after`` would skip ties at page edges),
and asks for ``explain`` so each hit says which shard returned it.  Only I/O lives here.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from efklab.adapters.opensearch import Connection, refresh, remote_errors

FIELDS = ["@id", "@timestamp", "@log_stream", "@log_group", "log", "@message"]


def discover_sort(tiebreaker: Sequence[str], *, descending: bool = True,
                  time_field: str = "@timestamp") -> list[dict[str, Any]]:
    """The sort clause of a Discover query: time field, then the tiebreaker fields, one direction."""
    order = "desc" if descending else "asc"
    return [{time_field: {"order": order}},
            *({field: {"order": order, "unmapped_type": "keyword"}} for field in tiebreaker)]


def iter_displayed(
    client: Any,
    conn: Connection,
    pattern: str,
    *,
    tiebreaker: Sequence[str] = (),
    descending: bool = True,
    page_size: int = 1000,
    query: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every matching hit in display order.

    Each hit has ``_shard`` (``[index][n]``), ``_index``, ``_id`` and a few fields.
    """
    refresh(client, conn, pattern)
    body = {
        "size": page_size,
        "sort": discover_sort(tiebreaker, descending=descending),
        "query": dict(query or {"match_all": {}}),
        "_source": FIELDS,
        "explain": True,
    }
    scroll_id = None
    try:
        with remote_errors(conn):
            page = client.search(index=pattern, body=body, scroll="2m", ignore_unavailable=True, allow_no_indices=True)
        while True:
            scroll_id = page.get("_scroll_id") or scroll_id
            hits = page["hits"]["hits"]
            for hit in hits:
                hit.pop("_explanation", None)
                yield hit
            if len(hits) < page_size or not scroll_id:
                return
            with remote_errors(conn):
                page = client.scroll(scroll_id=scroll_id, scroll="2m")
    finally:
        if scroll_id:
            with remote_errors(conn):
                client.clear_scroll(scroll_id=scroll_id, ignore=(404,))


def primary_shards(client: Any, conn: Connection, pattern: str) -> dict[str, int]:
    """Primary shard count of each index matching ``pattern``."""
    with remote_errors(conn):
        settings = client.indices.get_settings(index=pattern, name="index.number_of_shards",
                                               ignore_unavailable=True, allow_no_indices=True)
    return {index: int(value["settings"]["index"]["number_of_shards"]) for index, value in settings.items()}


def field_types(client: Any, conn: Connection, pattern: str, fields: Sequence[str]) -> dict[str, str]:
    """Mapped type of each field (and its ``.keyword`` sub-field) over the indices of ``pattern``."""
    wanted = sorted({*fields, *(f"{f}.keyword" for f in fields)})
    with remote_errors(conn):
        answer = client.indices.get_field_mapping(index=pattern, fields=",".join(wanted),
                                                  ignore_unavailable=True, allow_no_indices=True)
    types: dict[str, str] = {}
    for index in answer.values():
        for name, mapping in (index.get("mappings") or {}).items():
            leaf = name.rsplit(".", 1)[-1] if name.endswith(".keyword") else name
            known: dict[str, Any] = mapping.get("mapping") or {}
            spec: dict[str, Any] = known.get(leaf) or next(iter(known.values()), {})
            if "type" in spec:
                types.setdefault(name, str(spec["type"]))
    return types
