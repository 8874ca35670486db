"""Mapping risks: dynamic types, documents the node will refuse, field limits, index-pattern conflicts."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from efklab.opensearch.mappings import MappingPredictor, dynamic_type, find_pattern_conflicts, refusal

CASES = Path(__file__).parent / "cases"
DYNAMIC = yaml.safe_load((CASES / "mapping_dynamic_types.yaml").read_text())
REFUSALS = yaml.safe_load((CASES / "mapping_refusals.yaml").read_text())


@pytest.mark.parametrize(("value", "expected"), DYNAMIC, ids=[repr(c[0]) for c in DYNAMIC])
def test_dynamic_type_of_a_new_field(value: object, expected: str | None) -> None:
    """A new field gets the type OpenSearch 2.19 gives it (measured on the node)."""
    assert dynamic_type(value) == expected


@pytest.mark.parametrize(("mapped", "value", "accepted"), REFUSALS, ids=[f"{c[0]}<-{c[1]!r}" for c in REFUSALS])
def test_mapped_field_accepts_or_refuses(mapped: str, value: object, accepted: bool) -> None:
    """A mapped field accepts or refuses a later value as the node does."""
    if isinstance(value, list):
        assert all(refusal(mapped, v) is None for v in value) is accepted
    else:
        assert (refusal(mapped, value) is None) is accepted


def test_first_document_decides_and_a_later_one_is_rejected() -> None:
    """status: 200 maps a long; status: "OK" later in the same index is refused with the field and type."""
    predictor = MappingPredictor()
    assert predictor.feed("i", {"status": 200}, doc_id="1") is None
    rejected = predictor.feed("i", {"status": "OK"}, doc_id="2")
    assert rejected is not None and rejected.field == "status" and "[long]" in rejected.reason
    assert predictor.indices["i"].conflicts()["status"]["count"] == 1


def test_rejected_document_adds_no_fields() -> None:
    """A refused document leaves the mapping as it was (its new fields are not added)."""
    predictor = MappingPredictor()
    predictor.feed("i", {"a": 1})
    predictor.feed("i", {"b": "x", "a": "nope"})
    assert predictor.indices["i"].fields == {"a": "long"}


def test_same_field_in_another_index_is_independent() -> None:
    """Mappings are per index: the second index maps its own type, and the pattern shows the conflict."""
    predictor = MappingPredictor()
    predictor.feed("mydata-a-2021.06.01", {"code": 200})
    predictor.feed("mydata-b-2021.06.01", {"code": "E42"})
    (conflict,) = find_pattern_conflicts(list(predictor.indices.values()), "mydata-*")
    assert conflict.field == "code" and set(conflict.types) == {"number", "string"}


def test_long_and_float_are_one_number_type_for_dashboards() -> None:
    """Numbers of different widths do not conflict in an index pattern."""
    predictor = MappingPredictor()
    predictor.feed("x-1", {"ms": 12})
    predictor.feed("x-2", {"ms": 1.5})
    assert find_pattern_conflicts(list(predictor.indices.values()), "x-*") == []


def test_dotted_keys_expand_and_collide_with_a_concrete_value() -> None:
    """app: "web" then app.kubernetes.io/name: ... is the classic label conflict: object vs text."""
    predictor = MappingPredictor()
    predictor.feed("i", {"labels": {"app": "web"}})
    rejected = predictor.feed("i", {"labels": {"app.kubernetes.io/name": "api"}})
    assert rejected is not None and rejected.field == "labels.app"
    assert predictor.indices["i"].fields["labels"] == "object"


def test_mixed_array_is_refused_when_a_later_element_does_not_fit() -> None:
    """[1, "a"] maps long from 1 and then refuses "a"; ["a", 1] is text and fine."""
    predictor = MappingPredictor()
    assert predictor.feed("i", {"v": [1, "a"]}) is not None
    assert predictor.feed("j", {"v": ["a", 1]}) is None


def test_out_of_range_integer_is_refused_as_a_new_field() -> None:
    """An integer beyond long (JS prints them in full) makes the node refuse the document."""
    assert "out of range of long" in MappingPredictor().feed("i", {"n": 12345678901234567890}).reason


def test_field_limit_counts_text_twice_and_objects_once() -> None:
    """Limit 5: a, b (text: 4 fields) + c (long) fit; d exceeds; objects count one each (as on the node)."""
    predictor = MappingPredictor(field_limit=5)
    assert predictor.feed("i", {"a": "x", "b": "y"}) is None
    assert predictor.feed("i", {"c": 1}) is None
    assert "Limit of total fields [5]" in predictor.feed("i", {"d": 1}).reason
    other = MappingPredictor(field_limit=5)
    assert other.feed("i", {"o": {"x": 1, "y": {"z": 1}}}) is None and other.feed("i", {"p": 1}) is None
    assert other.feed("i", {"q": 1}) is not None


def test_explicit_template_mappings_take_precedence() -> None:
    """With the replay template, @timestamp is a date from the start and @id a keyword."""
    predictor = MappingPredictor(explicit={"@timestamp": "date", "@id": "keyword"})
    assert predictor.feed("i", {"@timestamp": "2021-06-01T00:00:00.000Z", "@id": "123"}) is None
    assert predictor.indices["i"].fields["@id"] == "keyword"


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**62), 2**62), st.floats(-1e30, 1e30),
                     st.text(max_size=12))
_DOCS = st.dictionaries(st.sampled_from(["a", "b", "c.d", "e"]), st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3)),
                        max_size=4)


@given(st.lists(_DOCS, max_size=30))
def test_every_document_is_accepted_or_rejected_once(docs: list[dict]) -> None:
    """Conservation: each fed document is counted, and rejected at most once, with a reason."""
    predictor = MappingPredictor()
    outcomes = [predictor.feed("i", d, doc_id=str(n)) for n, d in enumerate(docs)]
    mapping = predictor.indices.get("i")
    assert (mapping.docs if mapping else 0) == len(docs)
    assert len([o for o in outcomes if o]) == (len(mapping.rejected) if mapping else 0)
