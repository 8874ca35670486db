"""OpenSearch Dashboards saved objects that carry the ordering fix to where users look.

An index pattern with ``@timestamp`` as its time field and a saved search sorted by
``@timestamp`` then the chosen tiebreaker, as ``_import`` NDJSON for OpenSearch Dashboards 2.x
(Stack Management -> Saved objects -> Import, or ``POST /api/saved_objects/_import``).

Format facts (OpenSearch-Dashboards 2.x sources): objects are ``{type, id, attributes,
references, migrationVersion}``; the newest migrations are ``index-pattern`` 7.6.0 and
``search`` 7.9.3, and a higher number is refused with "belongs to a more recent version";
there is no ``coreMigrationVersion`` (Kibana added it after the fork).  A search names its
index pattern through ``indexRefName`` in ``searchSourceJSON`` and a matching reference.
Its ``sort`` is a list of ``[field, direction]`` pairs.  Pure: text in, text out.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

MIGRATION_VERSIONS = {"index-pattern": "7.6.0", "search": "7.9.3"}
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
_NAMESPACE = uuid.UUID("8f0c1f4e-5d7a-4f43-9a55-4f6b1e0a2c11")  # stable ids: re-import overwrites, never duplicates


def sortable_field(name: str, mapping_types: Mapping[str, str]) -> str:
    """The field to sort on: ``@id`` when it is a keyword, ``@id.keyword`` under dynamic mapping (text + keyword)."""
    kind = mapping_types.get(name)
    if kind in (None, "keyword", "long", "date", "integer", "double", "float", "date_nanos"):
        return name
    if mapping_types.get(f"{name}.keyword") == "keyword":
        return f"{name}.keyword"
    raise ValueError(f"{name} is mapped as {kind} and has no keyword sub-field: it cannot be sorted on")


def saved_objects(
    index_pattern: str,
    tiebreaker: Sequence[str],
    *,
    time_field: str = "@timestamp",
    title: str | None = None,
    columns: Sequence[str] = ("@log_stream", "log"),
    direction: str = "desc",
) -> list[dict[str, Any]]:
    """An index pattern and a saved search sorted by ``time_field`` then ``tiebreaker`` (same direction)."""
    if direction not in ("asc", "desc"):
        raise ValueError(f"direction must be asc or desc, not {direction!r}")
    if not index_pattern.strip():
        raise ValueError("the index pattern is empty")
    pattern_id = str(uuid.uuid5(_NAMESPACE, f"index-pattern:{index_pattern}:{time_field}"))
    sort = [[time_field, direction], *([field, direction] for field in tiebreaker)]
    label = title or f"{index_pattern} in log order (@timestamp, {', '.join(tiebreaker) or 'no tiebreaker'})"
    search_id = str(uuid.uuid5(_NAMESPACE, f"search:{index_pattern}:{json.dumps(sort)}"))
    source = {"query": {"query": "", "language": "kuery"}, "filter": [], "indexRefName": INDEX_REF}
    return [
        {
            "attributes": {"title": index_pattern, "timeFieldName": time_field},
            "id": pattern_id,
            "migrationVersion": {"index-pattern": MIGRATION_VERSIONS["index-pattern"]},
            "references": [],
            "type": "index-pattern",
        },
        {
            "attributes": {
                "columns": list(columns),
                "description": "Log lines in the order they were written: newest first, ties broken by "
                + (", ".join(tiebreaker) or "nothing")
                + " (written by efklab ordering).",
                "hits": 0,
                "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, separators=(",", ":"))},
                "sort": sort,
                "title": label,
                "version": 1,
            },
            "id": search_id,
            "migrationVersion": {"search": MIGRATION_VERSIONS["search"]},
            "references": [{"id": pattern_id, "name": INDEX_REF, "type": "index-pattern"}],
            "type": "search",
        },
    ]


def render_ndjson(objects: Sequence[Mapping[str, Any]]) -> str:
    """One compact JSON object per line, newline-terminated, as the import API reads it."""
    return "".join(json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n" for obj in objects)


def saved_objects_ndjson(index_pattern: str, tiebreaker: Sequence[str], *, direction: str = "desc") -> str:
    """``saved_objects`` as import NDJSON, checked first: a problem here is a bug of ours, so RuntimeError."""
    text = render_ndjson(saved_objects(index_pattern, tiebreaker, direction=direction))
    problems = check_saved_objects(text)
    if problems:
        raise RuntimeError("saved objects failed their own check: " + "; ".join(problems))
    return text


def check_saved_objects(text: str) -> list[str]:
    """Problems that would make an ``_import`` of this NDJSON fail or produce a broken object (empty: fine)."""
    problems: list[str] = []
    objects: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {number}: not an object")
            continue
        if "exportedCount" in obj:  # the summary line of an export
            continue
        problems.extend(f"line {number}: {p}" for p in _check_object(obj))
        objects.append(obj)
    keys = [(o.get("type"), o.get("id")) for o in objects]
    duplicates = sorted({f"{t}:{i}" for t, i in keys if keys.count((t, i)) > 1})
    if duplicates:
        problems.append(f"non-unique objects: {', '.join(duplicates)}")
    known = set(keys)
    for obj in objects:
        for ref in obj.get("references") or []:
            if isinstance(ref, dict) and (ref.get("type"), ref.get("id")) not in known:
                problems.append(f"{obj.get('type')}:{obj.get('id')}: reference {ref.get('name')} "
                                f"points to a missing {ref.get('type')} {ref.get('id')}")
    return problems


def _check_object(obj: Mapping[str, Any]) -> list[str]:
    problems = []
    kind, ident, attributes = obj.get("type"), obj.get("id"), obj.get("attributes")
    if not isinstance(ident, str) or not ident:
        problems.append("missing id")
    if not isinstance(attributes, dict):
        return [*problems, "missing attributes"]
    if kind not in MIGRATION_VERSIONS:
        return [*problems, f"type {kind!r} is not one this checker knows (index-pattern, search)"]
    version = (obj.get("migrationVersion") or {}).get(kind)
    if version is not None and _version(version) > _version(MIGRATION_VERSIONS[kind]):
        problems.append(f"migrationVersion {kind} {version} is newer than OpenSearch Dashboards knows "
                        f"({MIGRATION_VERSIONS[kind]})")
    if "coreMigrationVersion" in obj:
        problems.append("coreMigrationVersion is a Kibana field OpenSearch Dashboards does not know")
    references = obj.get("references")
    if not isinstance(references, list) or not all(isinstance(r, dict) and {"name", "type", "id"} <= r.keys()
                                                   for r in references):
        problems.append("references must be a list of {name, type, id}")
        references = []
    if kind == "index-pattern":
        if not attributes.get("title"):
            problems.append("index pattern without title")
        if not attributes.get("timeFieldName"):
            problems.append("index pattern without timeFieldName: Discover would not sort by time")
    else:
        problems.extend(_check_search(attributes, references))
    return problems


def _check_search(attributes: Mapping[str, Any], references: Sequence[Mapping[str, Any]]) -> list[str]:
    problems = []
    raw = (attributes.get("kibanaSavedObjectMeta") or {}).get("searchSourceJSON")
    try:
        source = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        source = None
    if not isinstance(source, dict):
        return ["searchSourceJSON is not a JSON object in a string"]
    ref_name = source.get("indexRefName")
    if ref_name not in {r["name"] for r in references if r.get("type") == "index-pattern"}:
        problems.append(f"indexRefName {ref_name!r} has no index-pattern reference")
    sort = attributes.get("sort")
    if not isinstance(sort, list) or not sort or not all(
        isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and pair[1] in ("asc", "desc")
        for pair in sort
    ):
        problems.append("sort must be a non-empty list of [field, 'asc'|'desc'] pairs")
    if not isinstance(attributes.get("columns"), list):
        problems.append("columns must be a list")
    if not attributes.get("title"):
        problems.append("saved search without title")
    return problems


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(text).split(".") if part.isdigit())
