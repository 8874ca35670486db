"""Explain answers read as rows: managed or not, state, failure, and the next thing ISM does."""
from __future__ import annotations

from efklab.retention.explain import read_explain

ANSWER = {
    "mydata-a-2021.06.01": {"index.plugins.index_state_management.policy_id": "delete_policy",
                            "index": "mydata-a-2021.06.01", "policy_id": "delete_policy", "enabled": True},
    "mydata-b-2021.06.01": {"index.plugins.index_state_management.policy_id": "delete_policy",
                            "policy_id": "delete_policy", "state": {"name": "hot", "start_time": 1},
                            "action": {"name": "transition", "failed": False},
                            "step": {"name": "attempt_transition", "step_status": "condition_not_met"},
                            "info": {"message": "Evaluating transition conditions [index=mydata-b-2021.06.01]"}},
    "mydata-c-2021.06.01": {"policy_id": "delete_policy", "state": {"name": "delete"},
                            "action": {"name": "delete", "failed": True},
                            "step": {"name": "attempt_delete", "step_status": "failed"},
                            "info": {"message": "Failed to delete index"}},
    "old-2021.05.01": {"index.plugins.index_state_management.policy_id": None,
                       "index.opendistro.index_state_management.policy_id": None, "enabled": None},
    "total_managed_indices": 3,
}


def test_rows_say_where_each_index_is_and_what_comes_next() -> None:
    """Fresh, transitioning, failed and unmanaged indices each get their own next step."""
    rows = {r.index: r for r in read_explain(ANSWER)}
    assert len(rows) == 4
    assert rows["mydata-a-2021.06.01"].managed and "first job run initialises" in rows["mydata-a-2021.06.01"].next
    assert rows["mydata-b-2021.06.01"].state == "hot" and "checks its transitions" in rows["mydata-b-2021.06.01"].next
    assert rows["mydata-c-2021.06.01"].failed and "_ism/retry/mydata-c-2021.06.01" in rows["mydata-c-2021.06.01"].next
    assert not rows["old-2021.05.01"].managed and "--add" in rows["old-2021.05.01"].next
    assert rows["old-2021.05.01"].to_json()["policy_id"] is None
