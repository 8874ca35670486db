"""Expected index layout from documents, actual layout from _cat/indices, and their difference."""
from __future__ import annotations

from efklab.lambda_.layout import LayoutBuilder, diff_layout, doc_counts, parse_cat_indices
from efklab.model import Reject
from efklab.units import parse_time

GROUP = "/aws/containerinsights/prod/application/shop/api"
T = parse_time("2021-06-01T10:00:00Z")


def _doc(ts: str, **fields: object) -> dict:
    return {"@timestamp": ts, **fields}


def test_documents_fold_into_per_index_counts_times_and_streams() -> None:
    """Counts, first/last @timestamp, days, namespaces and containers per index."""
    builder = LayoutBuilder()
    builder.add_document("mydata-shop-api-2021.06.01", "1", _doc("2021-06-01T10:00:00.000Z"), arrival=T,
                         log_group=GROUP)
    builder.add_document("mydata-shop-api-2021.06.01", "2", _doc("2021-06-01T23:59:59.999Z"), arrival=T + 5,
                         log_group=GROUP)
    (index,) = builder.build().indices
    assert (index.doc_count, index.events, index.refused) == (2, 2, 0)
    assert index.first_timestamp == T and index.days == ("2021-06-01",)
    assert index.namespaces == ("shop",) and index.containers == ("api",)
    assert index.arrivals == (T, T + 5)


def test_redelivered_event_is_one_document() -> None:
    """The same _id twice (a Lambda retry) overwrites: one document, two events."""
    builder = LayoutBuilder()
    for _ in range(2):
        builder.add_document("mydata-shop-api-2021.06.01", "1", _doc("2021-06-01T10:00:00Z"), arrival=T,
                             log_group=GROUP)
    (index,) = builder.build().indices
    assert (index.doc_count, index.events) == (1, 2)


def test_invalid_names_are_listed_with_opensearch_reason() -> None:
    """Upper case and slashes are refused with OpenSearch's reason; the valid index is expected."""
    builder = LayoutBuilder()
    builder.add_document("mydata-ns-c-2021.06.01", "1", _doc("2021-06-01T10:00:00Z"), arrival=T,
                         log_group="/a/b/c/d/ns/c")
    builder.add_document("cwl-/aws/x-2021.06.01", "2", _doc("2021-06-01T10:00:00Z"), arrival=T, log_group="/aws/x",
                         position="p:1")
    builder.add_document("Mydata-2021.06.01", "3", _doc("2021-06-01T10:00:00Z"), arrival=T, log_group="/aws/x")
    layout = builder.build()
    assert [i.name for i in layout.indices] == ["mydata-ns-c-2021.06.01"]
    reasons = {n.name: n.reason for n in layout.invalid_names}
    assert "must not contain the following characters" in reasons["cwl-/aws/x-2021.06.01"]
    assert "must be lowercase" in reasons["Mydata-2021.06.01"]


def test_transform_rejects_naming_an_index_become_invalid_names() -> None:
    """A Reject whose reason is OpenSearch's invalid-name message is listed as an invalid name."""
    builder = LayoutBuilder()
    builder.add_reject(Reject("index-name", "Invalid index name [Bad-2021.06.01], must be lowercase", "f",
                              "3:logEvents[0]"))
    builder.add_reject(Reject("payload", "not gzip", "f", 4))
    layout = builder.build()
    assert layout.invalid_names[0].name == "Bad-2021.06.01" and layout.invalid_names[0].example == "f:3:logEvents[0]"
    assert len(layout.rejects) == 1


def test_documents_the_node_refuses_are_not_expected_on_it() -> None:
    """A mapping conflict removes the document from the expected count and counts it as refused."""
    builder = LayoutBuilder()
    builder.add_document("i", "1", _doc("2021-06-01T10:00:00Z", code=200), arrival=T, log_group=GROUP)
    builder.add_document("i", "2", _doc("2021-06-01T10:00:01Z", code="E1"), arrival=T, log_group=GROUP)
    (index,) = builder.build().indices
    assert (index.doc_count, index.refused) == (1, 1)


def test_diff_reports_missing_unexpected_and_count_mismatches() -> None:
    """Only indices matching the pattern can be unexpected; dot indices never are."""
    builder = LayoutBuilder()
    for name, n in (("mydata-a-2021.06.01", 2), ("mydata-b-2021.06.01", 1), ("mydata-c-2021.06.01", 1)):
        for k in range(n):
            builder.add_document(name, f"{name}{k}", _doc("2021-06-01T10:00:00Z"), arrival=T, log_group=GROUP)
    actual = parse_cat_indices([
        {"index": "mydata-a-2021.06.01", "health": "yellow", "status": "open", "pri": "1", "rep": "1",
         "docs.count": "2", "creation.date": "1622541600000", "store.size": "100", "pri.store.size": "50"},
        {"index": "mydata-b-2021.06.01", "docs.count": "3"},
        {"index": "mydata-z-2021.06.01", "docs.count": "1"},
        {"index": ".opendistro-job-scheduler-lock", "docs.count": "1"},
        {"index": "other", "docs.count": "1"},
    ])
    diff = diff_layout(builder.build(), actual, "mydata-*")
    assert diff.missing == ("mydata-c-2021.06.01",)
    assert diff.unexpected == ("mydata-z-2021.06.01",)
    assert diff.count_mismatches == (("mydata-b-2021.06.01", 1, 3),)
    assert diff.matching == ("mydata-a-2021.06.01",) and not diff.clean
    assert actual[1].primaries == 1 and actual[1].creation_date == 1622541600000


def test_doc_counts_per_day_and_namespace_feed_the_heat_map() -> None:
    """Rows (day, namespace, docs) summed over indices."""
    builder = LayoutBuilder()
    builder.add_document("cwl-2021.06.01", "1", _doc("2021-06-01T10:00:00Z"), arrival=T, log_group=GROUP)
    builder.add_document("cwl-2021.06.01", "2", _doc("2021-06-01T11:00:00Z"), arrival=T, log_group=GROUP)
    builder.add_document("cwl-2021.06.02", "3", _doc("2021-06-02T11:00:00Z"), arrival=T,
                         log_group="/aws/containerinsights/p/application/pay/w")
    assert doc_counts(builder.build()) == [{"day": "2021-06-01", "namespace": "shop", "docs": 2},
                                           {"day": "2021-06-02", "namespace": "pay", "docs": 1}]


def test_undefined_segment_from_a_short_log_group_is_flagged_but_expected() -> None:
    """The seed names short log groups' indices with 'undefined': accepted by OpenSearch, flagged, still expected."""
    builder = LayoutBuilder()
    builder.add_document("mydata-undefined-undefined-2021.06.01", "1", _doc("2021-06-01T10:00:00Z"), arrival=T,
                         log_group="/aws/lambda/x")
    layout = builder.build()
    (flag,) = layout.invalid_names
    assert flag.accepted and "segment 5 or 6" in flag.reason
    assert layout.indices[0].doc_count == 1
