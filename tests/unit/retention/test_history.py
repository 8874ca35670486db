"""The plugin's history documents read as steps; its delete records are the node's word on what ISM deleted."""
from __future__ import annotations

from efklab.retention.history import deletions, read_history


def _doc(index: str, at: int, message: str, created: int = 1, **extra: object) -> dict[str, object]:
    return {"managed_index_meta_data": {"index": index, "policy_id": "p", "index_creation_date": created,
                                        "history_timestamp": at, "info": {"message": message}, **extra}}


def test_deletions_are_the_successful_delete_records_one_per_index_generation_oldest_first() -> None:
    """As 2.19.4.0 writes them: initialised, transitioning, 'Successfully deleted index [index=...]'."""
    documents = [
        _doc("a", 300, "Successfully deleted index [index=a]", action={"name": "delete"},
             state={"name": "delete"}, step={"name": "attempt_delete"}),
        _doc("a", 60, "Successfully initialized policy: p", state={"name": "hot"}),
        _doc("a", 120, "Transitioning to delete [index=a]"),
        _doc("a", 900, "Successfully deleted index [index=a]", created=500),  # recreated, deleted again
        {"something": "else"},
    ]
    steps = read_history(documents)
    assert [s.at for s in steps] == [60, 120, 300, 900] and steps[0].state == "hot"
    gone = deletions(steps)
    assert [(d.index, d.at, d.created) for d in gone] == [("a", 300, 1), ("a", 900, 500)]
    assert (gone[0].action, gone[0].step) == ("delete", "attempt_delete")
