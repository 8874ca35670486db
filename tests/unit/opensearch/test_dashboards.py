"""Saved objects for OpenSearch Dashboards: the structure an _import accepts, and what it refuses."""
from __future__ import annotations

import json

import pytest

from efklab.opensearch.dashboards import INDEX_REF, check_saved_objects, render_ndjson, saved_objects, sortable_field


def exported(tiebreaker: tuple[str, ...] = ("@id",)) -> list[dict]:
    return saved_objects("mydata-*", tiebreaker)


def test_an_index_pattern_and_a_saved_search_sorted_by_time_then_tiebreaker() -> None:
    """Two objects: the pattern with @timestamp as time field, the search sorted @timestamp then @id, descending."""
    pattern, search = exported(("@log_stream", "@id"))
    assert (pattern["type"], pattern["attributes"]) == ("index-pattern",
                                                        {"title": "mydata-*", "timeFieldName": "@timestamp"})
    assert search["type"] == "search"
    assert search["attributes"]["sort"] == [["@timestamp", "desc"], ["@log_stream", "desc"], ["@id", "desc"]]


def test_the_search_refers_to_its_index_pattern_by_reference_name() -> None:
    """searchSourceJSON names the reference; the reference carries the pattern's id (as OSD's migrations expect)."""
    pattern, search = exported()
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["indexRefName"] == INDEX_REF and "index" not in source
    assert search["references"] == [{"id": pattern["id"], "name": INDEX_REF, "type": "index-pattern"}]


def test_migration_versions_are_the_newest_osd_2_knows_and_no_core_version() -> None:
    """index-pattern 7.6.0, search 7.9.3; no Kibana-only coreMigrationVersion."""
    pattern, search = exported()
    assert pattern["migrationVersion"] == {"index-pattern": "7.6.0"}
    assert search["migrationVersion"] == {"search": "7.9.3"}
    assert all("coreMigrationVersion" not in obj for obj in (pattern, search))


def test_ids_are_stable_so_a_second_import_overwrites() -> None:
    """The same pattern and sort give the same ids; another sort gives another search."""
    assert [o["id"] for o in exported()] == [o["id"] for o in exported()]
    assert exported(("@id",))[1]["id"] != exported(("@log_stream", "@id"))[1]["id"]
    assert exported(("@id",))[0]["id"] == exported(("@log_stream", "@id"))[0]["id"]


def test_the_ndjson_is_one_object_per_line_and_checks_clean() -> None:
    """The rendered file has one JSON object per line and no problems."""
    text = render_ndjson(exported())
    assert text.endswith("\n") and len(text.splitlines()) == 2
    assert all(isinstance(json.loads(line), dict) for line in text.splitlines())
    assert check_saved_objects(text) == []


def broken(change) -> str:  # type: ignore[no-untyped-def]
    objects = exported()
    change(objects)
    return render_ndjson(objects)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda o: o[1]["migrationVersion"].update(search="7.11.0"), "newer than OpenSearch Dashboards knows"),
        (lambda o: o[0].update(coreMigrationVersion="8.8.0"), "coreMigrationVersion"),
        (lambda o: o.pop(0), "points to a missing index-pattern"),
        (lambda o: o[1]["attributes"].update(sort=["@timestamp", "desc"]), "sort must be"),
        (lambda o: o[1]["references"].clear(), "has no index-pattern reference"),
        (lambda o: o[0]["attributes"].pop("timeFieldName"), "without timeFieldName"),
        (lambda o: o.append(dict(o[0])), "non-unique objects"),
        (lambda o: o[1]["attributes"]["kibanaSavedObjectMeta"].update(searchSourceJSON="{"), "searchSourceJSON"),
    ],
    ids=["too new", "kibana field", "dangling reference", "flat sort", "no index ref", "no time field", "duplicate",
         "bad source"],
)
def test_structures_an_import_would_refuse_are_reported(change, problem: str) -> None:  # type: ignore[no-untyped-def]
    """Each defect that makes an import fail or a search break is named."""
    assert any(problem in p for p in check_saved_objects(broken(change)))


@pytest.mark.parametrize(
    ("types", "field"),
    [({"@id": "keyword"}, "@id"), ({"@id": "text", "@id.keyword": "keyword"}, "@id.keyword"), ({}, "@id")],
    ids=["template mapping", "dynamic mapping", "unmapped"],
)
def test_the_sort_uses_a_sortable_field(types: dict, field: str) -> None:
    """Under the Lambda's dynamic mapping @id is text with a keyword sub-field: sort on that."""
    assert sortable_field("@id", types) == field


def test_a_text_field_without_keyword_cannot_be_a_tiebreaker() -> None:
    """Sorting on a text field fails in OpenSearch; say so before writing the file."""
    with pytest.raises(ValueError, match="cannot be sorted on"):
        sortable_field("@message", {"@message": "text"})
