"""The spilling id store folds exactly as the in-memory one, whatever the run size."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.adapters.idspill import SpillingIds
from efklab.lambda_.layout import Arrivals, MemoryIds

ADDS = st.lists(st.tuples(st.sampled_from(["idx-a", "idx-b", "odd\x1findex"]),
                          st.sampled_from(["1", "2", "3", "x\ny", "4\x1f", "55555555555555555555"]),
                          st.integers(min_value=0, max_value=50)), max_size=60)


@settings(max_examples=80, deadline=None)
@given(ADDS, st.integers(min_value=1, max_value=7), st.sets(st.sampled_from(["1", "3", "9", "x\ny"])))
def test_spilled_ids_fold_like_ids_in_memory(adds: list[tuple[str, str, int]], run: int, refused: set[str]) -> None:
    memory, spilled = MemoryIds(), SpillingIds(run=run)
    for index, doc_id, arrival in adds:
        memory.add(index, doc_id, arrival)
        spilled.add(index, doc_id, arrival)
    wanted = {"idx-a": refused, "odd\x1findex": refused}
    assert spilled.finish(wanted) == memory.finish(wanted)


def test_arrivals_are_a_sorted_sequence_of_runs() -> None:
    arrivals = Arrivals.of([5, 1, 5, 3, 5])
    assert list(arrivals) == [1, 3, 5, 5, 5] and len(arrivals) == 5 and arrivals == (1, 3, 5, 5, 5)
    assert (arrivals[0], arrivals[2], arrivals[-1], arrivals[1:3]) == (1, 5, 5, [3, 5])
    assert arrivals.runs() == [(1, 1), (3, 1), (5, 3)] and Arrivals() == ()
