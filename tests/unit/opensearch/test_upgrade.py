"""Comparing one replay on two engine versions: what breaks, what merely differs, what to change."""
from __future__ import annotations

from efklab.opensearch.engines import parse_engine_version
from efklab.opensearch.upgrade import (
    VersionOutcome,
    compare,
    flatten_mapping,
    fold_reason,
    merge_mappings,
)

TYPE_REFUSAL = ("illegal_argument_exception: Action/metadata line [1] contains an unknown parameter [_type]")
MULTI_TYPE = ("illegal_argument_exception: Rejecting mapping update to [mydata-a-b-2021.03.22] as the final mapping "
              "would have more than 1 type: [/aws/x/east/application/a/b, /aws/x/west/application/a/b]")


def outcome(version: str, *, indexed: int = 10, refused: dict[str, str] | None = None, ism: bool = False,
            mappings: dict[str, str] | None = None, ordering: dict[str, float] | None = None) -> VersionOutcome:
    reasons = refused or {}
    return VersionOutcome(parse_engine_version(version), "http://node", 10, indexed,
                          {fold_reason(r): n for r, n in ((r, int(c)) for r, c in reasons.items())},
                          {fold_reason(r): r for r in reasons}, "none", "applied" if ism else "not applied", ism,
                          mappings or {}, ordering or {})


def test_a_refusal_only_the_target_answers_breaks_the_upgrade_and_says_what_to_change() -> None:
    current = outcome("1.3.20")
    target = outcome("2.19.4", indexed=0, refused={TYPE_REFUSAL: "10"})
    (difference,) = compare(current, target)
    assert difference.breaks and difference.kind == "refused"
    assert "10 documents refused by OpenSearch 2.19.4" in difference.text and "[_type]" in difference.text
    assert "remove _type" in difference.advice


def test_documents_the_current_version_refuses_and_the_target_accepts_are_no_break() -> None:
    current = outcome("1.3.20", indexed=8, refused={MULTI_TYPE: "2"})
    (difference,) = compare(current, outcome("es-7.10.2", indexed=10))
    assert not difference.breaks and "accepted by Elasticsearch 7.10.2" in difference.text


def test_like_refusals_count_together_whatever_index_they_name() -> None:
    other = MULTI_TYPE.replace("2021.03.22", "2021.03.23")
    assert fold_reason(MULTI_TYPE) == fold_reason(other)


def test_losing_ism_breaks_gaining_it_does_not() -> None:
    assert [d.breaks for d in compare(outcome("2.19.4", ism=True), outcome("3.1.0"))] == [True]
    assert [d.breaks for d in compare(outcome("1.3.20"), outcome("2.19.4", ism=True))] == [False]


def test_a_field_mapped_to_another_type_breaks_and_fields_only_one_side_has_do_not() -> None:
    current = outcome("1.3.20", mappings={"@timestamp": "date", "log": "text"})
    target = outcome("2.19.4", mappings={"@timestamp": "text", "extra": "keyword"})
    (difference,) = compare(current, target)
    assert difference.kind == "mapping" and difference.text == "@timestamp: date -> text" and difference.breaks


def test_ordering_is_compared_only_when_both_hold_the_same_documents() -> None:
    views = {"Discover (no tiebreaker)": 0.01}
    worse = {"Discover (no tiebreaker)": 0.05}
    (difference,) = compare(outcome("1.3.20", ordering=views), outcome("2.19.4", ordering=worse))
    assert difference.breaks and "1.0% -> 5.0%" in difference.text
    assert compare(outcome("1.3.20", ordering=views), outcome("2.19.4", indexed=9, ordering=worse)) == []


def test_mappings_flatten_to_dotted_fields_and_disagreements_show_both_types() -> None:
    flat = flatten_mapping({"@timestamp": {"type": "date"}, "kubernetes": {"properties": {
        "pod": {"type": "text", "fields": {"keyword": {"type": "keyword"}}}}}})
    assert flat == {"@timestamp": "date", "kubernetes": "object", "kubernetes.pod": "text",
                    "kubernetes.pod.keyword": "keyword"}
    assert merge_mappings({"a": {"x": "long"}, "b": {"x": "text"}}) == {"x": "long|text"}
