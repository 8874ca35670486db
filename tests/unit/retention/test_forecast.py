"""Retention as of a time: generations of an index name, gone/due/kept, and the traps made visible."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from efklab.lambda_.layout import ExpectedLayout, LayoutBuilder
from efklab.retention.attachment import IndexFacts
from efklab.retention.forecast import (
    find_traps,
    forecast_existing,
    forecast_layout,
    index_lifetimes,
    name_date,
    plan_generations,
    status_at,
    summarize_at,
)
from efklab.retention.policy import load_policy, parse_policy
from efklab.retention.schedule import JobSettings
from efklab.units import DAY_MS, parse_time
from tests.conftest import ROOT

MIN = 60_000
SEED = load_policy((ROOT / "data" / "samples" / "ism-policy.json").read_bytes())
JUNE1 = parse_time("2021-06-01")
JOB = JobSettings()


def test_name_date_reads_the_day_at_the_end_of_the_name() -> None:
    """YYYY.MM.DD at the end of a name is a UTC day; other names have none."""
    assert name_date("mydata-app-api-2021.06.01") == JUNE1
    assert name_date("cwl-2021-06-01") == JUNE1
    assert name_date("mydata-app-api") is None and name_date("x-2021.13.01") is None


def test_late_event_recreates_a_deleted_daily_index_for_another_full_period() -> None:
    """A document for June 1 arriving on July 2 recreates the index, deleted again on August 1."""
    arrivals = [JUNE1 + i * MIN for i in range(10)] + [parse_time("2021-07-02")]
    first, second = plan_generations("mydata-app-api-2021.06.01", arrivals, [SEED], JOB)
    assert (first.doc_count, second.doc_count, second.generation) == (10, 1, 2)
    assert second.forecast.deletion == (parse_time("2021-08-01T00:05:00Z"), parse_time("2021-08-01T00:08:00Z"))
    kinds = [f.kind for f in find_traps([first, second], [SEED])]
    assert kinds == ["recreated"]


def test_document_inside_the_deletion_window_is_uncertain() -> None:
    """A document arriving while ISM may be deleting lands in the old index or recreates it: counted as uncertain."""
    window_start = JUNE1 + 30 * DAY_MS + 5 * MIN
    (only,) = plan_generations("mydata-a-b-2021.06.01", [JUNE1, window_start + MIN], [SEED], JOB)
    assert (only.doc_count, only.uncertain_docs) == (2, 1)


def test_backfilled_index_outlives_the_day_in_its_name() -> None:
    """An index for June 1 created (replayed) on June 20 is deleted on July 20: the creation-date trap."""
    (gen,) = plan_generations("mydata-app-api-2021.06.01", [parse_time("2021-06-20")], [SEED], JOB)
    (finding,) = find_traps([gen], [SEED])
    assert finding.kind == "creation-date" and "2021-07-20T00:05:00Z" in finding.message


def test_pre_existing_index_is_listed_with_the_fix() -> None:
    """An index older than the policy's PUT is not managed, and the finding says to add it."""
    (gen,) = plan_generations("mydata-a-b-2021.06.01", [JUNE1], [SEED], JOB,
                              applied_at={"delete_policy": JUNE1 + DAY_MS})
    assert gen.forecast.outcome == "unmanaged"
    (finding,) = find_traps([gen], [SEED])
    assert finding.kind == "pre-existing" and "--add" in finding.message


def test_or_semantics_of_several_transitions_is_pointed_out() -> None:
    """Two transitions with different conditions are an OR; the finding says so."""
    policy = parse_policy({"policy": {"description": "d", "default_state": "hot", "states": [
        {"name": "hot", "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "30d"}},
                                        {"state_name": "delete", "conditions": {"min_doc_count": 1000}}]},
        {"name": "delete", "actions": [{"delete": {}}]}]}}, policy_id="p")
    assert [f.kind for f in find_traps([], [policy])] == ["or-conditions"]


def test_status_and_summary_as_of_a_time() -> None:
    """Before, inside and after the window an index is kept, due, gone; documents follow their index."""
    gens = plan_generations("mydata-a-b-2021.06.01", [JUNE1] * 3, [SEED], JOB) + plan_generations(
        "mydata-a-b-2021.06.20", [parse_time("2021-06-20")], [SEED], JOB)
    old = gens[0].forecast
    assert status_at(old, JUNE1 - 1) == "not-yet"
    assert status_at(old, old.deletion[0] - 1) == "kept"
    assert status_at(old, old.deletion[0]) == "due"
    assert status_at(old, old.deletion[1]) == "gone"
    summary = summarize_at(gens, parse_time("2021-07-05"))
    assert summary["totals"]["gone"] == {"indices": 1, "docs": 3}
    assert summary["totals"]["kept"] == {"indices": 1, "docs": 1}
    assert summarize_at(gens, parse_time("2021-06-30T12:00:00Z"))["due_next"][0]["index"] == "mydata-a-b-2021.06.01"


@given(st.lists(st.integers(0, 90 * DAY_MS), max_size=60))
def test_every_document_lands_in_exactly_one_generation(offsets: list[int]) -> None:
    """Generations partition the arrivals: counts add up, creations increase."""
    arrivals = sorted(JUNE1 + o for o in offsets)
    gens = plan_generations("mydata-a-b-2021.06.01", arrivals, [SEED], JOB)
    assert sum(g.doc_count for g in gens) == len(arrivals)
    assert [g.forecast.created for g in gens] == sorted({g.forecast.created for g in gens})


def test_index_lifetimes_end_when_deletion_is_certain() -> None:
    """A managed index ends at the end of its window; an unmanaged one never ends."""
    gens = (plan_generations("mydata-a-b-2021.06.01", [JUNE1], [SEED], JOB)
            + plan_generations("cwl-2021.06.01", [JUNE1], [SEED], JOB))
    assert index_lifetimes(gens) == [(JUNE1, gens[0].forecast.deletion[1]), (JUNE1, None)]


def test_indices_no_template_matches_are_reported_once() -> None:
    """Indices outside every template are summarised in one finding: they are never deleted."""
    gens = [g for n in ("cwl-2021.06.01", "cwl-2021.06.02") for g in plan_generations(n, [JUNE1], [SEED], JOB)]
    (finding,) = find_traps(gens, [SEED])
    assert finding.kind == "unmanaged" and finding.message.startswith("2 indices get no policy")


def _layout(arrivals: dict[str, list[int]]) -> ExpectedLayout:
    builder = LayoutBuilder()
    for name, times in arrivals.items():
        for n, at in enumerate(times):
            builder.add_document(name, f"{name}-{n}", {"@timestamp": at}, arrival=at,
                                 log_group="/aws/containerinsights/lab/application/shop/api")
    return builder.build()


def test_forecast_of_a_layout_plans_every_index_by_arrival_and_finds_the_traps() -> None:
    """Each expected index is split into generations by when its documents arrive; the late one is a trap."""
    arrivals = {"mydata-shop-api-2021.06.01": [JUNE1, JUNE1 + MIN, parse_time("2021-07-02")],
                "mydata-shop-api-2021.06.02": [JUNE1 + DAY_MS]}
    generations, findings = forecast_layout(_layout(arrivals), [SEED], JOB)
    expected = [g for name, times in arrivals.items() for g in plan_generations(name, times, [SEED], JOB)]
    assert generations == expected and len(generations) == 3
    assert findings == find_traps(expected, [SEED]) and [f.kind for f in findings] == ["recreated"]


def test_forecast_of_a_replayed_layout_creates_every_index_at_the_replay() -> None:
    """A backfill creates each index once, with all its documents, when the replay runs: the creation-date trap."""
    replay = parse_time("2021-06-20")
    layout = _layout({"mydata-shop-api-2021.06.01": [JUNE1, parse_time("2021-07-02")]})
    (generation,), findings = forecast_layout(layout, [SEED], JOB, replayed_at=replay)
    assert (generation.forecast.created, generation.doc_count) == (replay, 2)
    assert [f.kind for f in findings] == ["creation-date"]


def test_forecast_of_existing_indices_is_one_generation_each() -> None:
    """Indices a node holds: one generation per index with the node's count; applied_at leaves older ones unmanaged."""
    facts = [IndexFacts("mydata-shop-api-2021.06.01", JUNE1, doc_count=7),
             IndexFacts("mydata-shop-api-2021.06.02", JUNE1 + DAY_MS)]
    first, second = forecast_existing(facts, [SEED], JOB, applied_at={"delete_policy": JUNE1 + MIN})
    assert (first.doc_count, second.doc_count, first.generation) == (7, 0, 1)
    assert first.forecast.attachment.how == "pre-existing" and second.forecast.deletion is not None
