"""Bodies compared action by action: identical, or the first difference named by its field."""
from __future__ import annotations

from efklab.lambda_.bodydiff import MISSING, action_index, compare_bodies, split_actions

OURS = b'{"index":{"_index":"mydata-shop-api-2021.03.22","_type":"/g","_id":"1"}}\n{"@message":"a","n":1}\n'


def test_identical_bodies_have_no_difference_even_when_split_differently() -> None:
    two = OURS + OURS.replace(b'"1"', b'"2"')
    assert compare_bodies([two], [OURS, OURS.replace(b'"1"', b'"2"')]) is None


def test_an_index_name_and_a_dropped_type_are_named_as_action_fields() -> None:
    theirs = b'{"index":{"_index":"logs-shop-2021.03.22","_id":"1"}}\n{"@message":"a","n":1}\n'
    difference = compare_bodies([OURS], [theirs])
    assert difference is not None and difference.action == 0
    assert {(f.part, f.field) for f in difference.fields} == {("action", "_index"), ("action", "_type")}
    assert next(f for f in difference.fields if f.field == "_type").theirs == MISSING


def test_an_added_document_field_is_named_with_its_value() -> None:
    theirs = OURS.replace(b'"n":1}', b'"n":1,"cluster":"prod"}')
    difference = compare_bodies([OURS], [theirs])
    assert difference is not None
    assert [(f.part, f.field, f.ours, f.theirs) for f in difference.fields] == [
        ("document", "cluster", MISSING, '"prod"')]


def test_the_same_value_written_differently_is_a_text_difference() -> None:
    theirs = OURS.replace(b'{"@message":"a","n":1}', b'{"n":1,"@message":"a"}')
    difference = compare_bodies([OURS], [theirs])
    assert difference is not None and [(f.part, f.field) for f in difference.fields] == [("document", "")]


def test_a_different_number_of_actions_is_reported_when_the_common_ones_agree() -> None:
    difference = compare_bodies([OURS + OURS], [OURS])
    assert difference is not None and difference.action is None
    assert (difference.ours_actions, difference.theirs_actions) == (2, 1)
    assert "efklab writes 2 actions, the function 1" in difference.describe()


def test_delete_actions_have_no_source_line() -> None:
    body = b'{"delete":{"_index":"a","_id":"1"}}\n' + OURS
    assert [source is None for _, source in split_actions(body)] == [True, False]
    assert action_index(split_actions(body)[1][0]) == "mydata-shop-api-2021.03.22"
