"""Order metrics, causes and the recommended fix, as specifications over small views."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from efklab.errors import InputError
from efklab.jobs.ordering import read_line_times
from efklab.ordering.diagnosis import Measurement, count_truncated_ties, detect_causes, recommend_fix
from efklab.ordering.inversions import count_inversions, heaviest_increasing
from efklab.ordering.measure import OrderReport, Shown, SourceRef, measure_order, parse_provenance, parse_timestamp_ms

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "views.yaml").read_text())
CASE_KEYS = {"name", "docs", "shown", "expect", "causes"}
FILE = "containers/app.log"


def build_view(case: dict[str, Any]) -> tuple[list[Shown], dict[str, tuple[SourceRef, ...]]]:
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{case['name']}: unknown keys {unknown}"
    docs = {d["id"]: d for d in case["docs"]}
    provenance = {d["id"]: tuple(SourceRef(FILE, n) for n in d["lines"]) for d in case["docs"]}
    shown = [Shown(i, docs[i]["ms"], stream="app", index="mydata-x", shard=docs[i]["shard"], text=docs[i]["text"])
             for i in case["shown"]]
    return shown, provenance


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_view_figures_and_causes(case: dict[str, Any]) -> None:
    """Each case's figures and causes are exactly what its YAML says."""
    shown, provenance = build_view(case)
    report = measure_order(shown, provenance)
    totals = report.totals()
    actual = {key: totals[key] for key in case["expect"]}
    assert actual == pytest.approx(case["expect"]), {"actual": totals}
    codes = [c.code for c in detect_causes(Measurement.of("as indexed", (), report, primaries=2))]
    assert codes == case["causes"]


def test_reversed_display_of_newest_first_is_the_truth() -> None:
    """A newest-first list that is exactly the file reversed has no inversions; ascending views are read as given."""
    provenance = {str(i): (SourceRef(FILE, i),) for i in range(1, 6)}
    newest_first = [Shown(str(i), 1000 + i) for i in range(5, 0, -1)]
    assert measure_order(newest_first, provenance).totals()["inversions"] == 0
    assert measure_order(newest_first, provenance, descending=False).totals()["kendall_tau_distance"] == 1.0


def test_every_shown_document_is_placed_or_rejected() -> None:
    """Unknown ids and duplicates are rejects with reasons; events never shown are counted as missing."""
    provenance = {"a": (SourceRef(FILE, 1),), "b": (SourceRef(FILE, 2),), "gone": (SourceRef(FILE, 3),)}
    shown = [Shown("b", 2), Shown("zz", 2), Shown("a", 1), Shown("a", 1)]
    report = measure_order(shown, provenance)
    assert len(report.placed) + len(report.rejects) == len(shown)
    assert sorted(r.reason for r in report.rejects) == ["event id shown more than once",
                                                        "no provenance for this event id"]
    assert report.missing == 1


def test_without_provenance_the_event_id_order_is_the_truth() -> None:
    """Per stream, CloudWatch event ids (increasing in ingestion order) stand in for file order."""
    shown = [Shown("0003", 5, stream="s1"), Shown("0001", 5, stream="s1"), Shown("0002", 5, stream="s1"),
             Shown("0009", 5, stream="s2")]
    report = measure_order(shown)
    assert report.truth == "event-id"
    assert [(s.stream, s.documents, s.inversions) for s in report.streams] == [("s1", 3, 1), ("s2", 1, 0)]


def test_streams_are_measured_separately() -> None:
    """Interleaving two files in the display is not disorder; disorder inside one is."""
    provenance = {"a1": (SourceRef("a.log", 1),), "a2": (SourceRef("a.log", 2),), "b1": (SourceRef("b.log", 1),),
                  "b2": (SourceRef("b.log", 2),)}
    shown = [Shown("b2", 4), Shown("a2", 3), Shown("b1", 2), Shown("a1", 1)]
    assert [s.inversions for s in measure_order(shown, provenance).streams] == [0, 0]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"id": "1", "sources": ["containers/a.log:3", "containers/a.log:2"]}],
         {"1": (SourceRef("containers/a.log", 2), SourceRef("containers/a.log", 3))}),
        ([{"id": "1", "lines": ["c:d/x.log:7"]}], {"1": (SourceRef("c:d/x.log", 7),)}),
    ],
)
def test_provenance_rows_are_parsed_into_sorted_source_lines(rows: list[dict], expected: dict) -> None:
    """``file:line`` references, split at the last colon, sorted in file order."""
    assert parse_provenance(rows) == expected


@pytest.mark.parametrize("row", [{"id": "1"}, {"id": 1, "sources": ["a:1"]}, {"id": "1", "sources": ["a.log"]}])
def test_bad_provenance_rows_fail_with_their_row_number(row: dict) -> None:
    """A row without id, with a non-string id or a reference without line is an InputError at its row."""
    with pytest.raises(InputError, match=r"^prov.jsonl:2: "):
        parse_provenance([{"id": "ok", "sources": ["a:1"]}, row], source="prov.jsonl")


@pytest.mark.parametrize(
    ("value", "ms"),
    [("2021-04-28T02:09:04.301Z", 1619575744301), ("2021-04-28T11:09:04.301+09:00", 1619575744301),
     (1619575744301, 1619575744301)],
)
def test_timestamps_as_returned_become_epoch_ms(value: object, ms: int) -> None:
    """ISO text (Z or offset) and epoch ms mean the same instant."""
    assert parse_timestamp_ms(value) == ms


@given(st.lists(st.integers(-50, 50), max_size=60))
def test_inversions_match_the_definition(values: list[int]) -> None:
    """The O(n log n) count equals the pairwise definition."""
    brute = sum(1 for i, j in itertools.combinations(range(len(values)), 2) if values[i] > values[j])
    assert count_inversions(values) == brute


@given(st.permutations(list(range(9))), st.lists(st.integers(1, 5), min_size=9, max_size=9))
def test_heaviest_increasing_subsequence_is_increasing_and_heaviest(values: list[int], weights: list[int]) -> None:
    """The kept positions are in order and no in-order subsequence weighs more (checked exhaustively)."""
    kept = heaviest_increasing(values, weights)
    assert all(values[a] < values[b] for a, b in itertools.pairwise(kept)) and kept == sorted(kept)
    best = 0
    for mask in range(1 << len(values)):
        chosen = [i for i in range(len(values)) if mask >> i & 1]
        if all(values[a] < values[b] for a, b in itertools.pairwise(chosen)):
            best = max(best, sum(weights[i] for i in chosen))
    assert sum(weights[i] for i in kept) == best


@given(st.permutations(list(range(12))), st.lists(st.integers(0, 3), min_size=12, max_size=12))
def test_no_inversions_exactly_when_nothing_is_out_of_place(order: list[int], stamps: list[int]) -> None:
    """Zero inversions, zero lines out of place and a zero Kendall distance go together."""
    provenance = {str(i): (SourceRef(FILE, i + 1),) for i in range(12)}
    shown = [Shown(str(i), stamps[i]) for i in reversed(order)]
    t = measure_order(shown, provenance).totals()
    assert (t["inversions"] == 0) == (t["out_of_place_lines"] == 0) == (t["kendall_tau_distance"] == 0)
    assert t["tie_inversions"] + t["time_inversions"] == t["inversions"]


def view(grouping: str, tiebreaker: tuple[str, ...], **figures: Any) -> Measurement:
    base = {key: 0 for key in ("documents", "lines", "inversions", "tie_groups", "documents_in_ties",
                               "split_continuations", "split_same_ms", "tie_inversions", "time_inversions",
                               "cross_shard_tie_inversions", "index_order_inversions")}
    base.update({"share_out_of_place": 0.0, "kendall_tau_distance": 0.0, "shards_known": True})
    base.update(figures)
    return Measurement(grouping, tiebreaker, base, primaries=2)


AWS, SEED = "aws-sample regex", "seed regex"


@pytest.mark.parametrize(
    ("views", "candidate", "fix", "tiebreaker", "grouping"),
    [
        ([view(AWS, (), documents=10, lines=10)], None, "none", (), AWS),
        (
            [view(AWS, (), inversions=5, share_out_of_place=0.3, tie_inversions=5), view(AWS, ("@id",), inversions=0)],
            None, "tiebreaker", ("@id",), AWS,
        ),
        (
            [view(AWS, (), inversions=9, share_out_of_place=0.4, split_continuations=6, documents=20),
             view(SEED, (), documents=8, lines=20)],
            SEED, "regex", (), SEED,
        ),
        (
            [view(AWS, (), inversions=9, share_out_of_place=0.4, split_continuations=6),
             view(AWS, ("@id",)), view(SEED, (), inversions=2, share_out_of_place=0.1),
             view(SEED, ("@log_stream", "@id")), view(SEED, ("@id",))],
            SEED, "both", ("@id",), SEED,
        ),
        (
            [view(AWS, (), inversions=9, share_out_of_place=0.4, split_continuations=6), view(AWS, ("@id",))],
            None, "both", ("@id",), AWS,
        ),
    ],
    ids=["nothing to fix", "ties only", "regex cures it", "regex then tiebreaker", "regex unmeasured"],
)
def test_the_recommended_fix_follows_the_measurements(views: list[Measurement], candidate: str | None, fix: str,
                                                      tiebreaker: tuple, grouping: str) -> None:
    """Regex when continuation lines are split (and the candidate helps),
    a tiebreaker when ties still disorder lines."""
    rec = recommend_fix(views, current=AWS, candidate=candidate)
    assert (rec.fix, rec.tiebreaker, rec.grouping) == (fix, tiebreaker, grouping)
    assert rec.steps and rec.before == views[0].headline()


def test_an_unmeasured_regex_fix_has_no_after_figures() -> None:
    """Recommending a regex nobody replayed says so instead of inventing numbers."""
    rec = recommend_fix([view(AWS, (), inversions=3, share_out_of_place=0.2, split_continuations=3)], current=AWS)
    assert rec.fix == "regex" and rec.after is None and "replay with a candidate regex" in rec.steps[0]


def test_a_candidate_regex_that_does_not_group_is_not_recommended() -> None:
    """If the candidate leaves as many continuation lines alone, the regex is not the fix."""
    views = [view(AWS, (), split_continuations=4, inversions=4, share_out_of_place=0.2),
             view(SEED, (), split_continuations=4), view(AWS, ("@id",))]
    assert recommend_fix(views, current=AWS, candidate=SEED).fix == "tiebreaker"


def test_ties_made_by_millisecond_truncation_are_counted() -> None:
    """Documents tied at one ms whose lines had distinct nanosecond times: a truncated tie group."""
    provenance = {"a": (SourceRef(FILE, 1),), "b": (SourceRef(FILE, 2),), "c": (SourceRef(FILE, 3),),
                  "d": (SourceRef(FILE, 4),)}
    report: OrderReport = measure_order([Shown("d", 7), Shown("c", 7), Shown("b", 5), Shown("a", 5)], provenance)
    times = {(FILE, 1): 5_000_100, (FILE, 2): 5_000_900, (FILE, 3): 7_000_000, (FILE, 4): 7_000_000}
    assert count_truncated_ties(report, times) == 1
    causes = detect_causes(Measurement.of("x", (), report), truncated_tie_groups=1)
    assert "ns-truncation" in [c.code for c in causes]


def test_line_times_are_read_from_the_container_logs(tmp_path: Path) -> None:
    """The nanosecond time of each source line the provenance names comes from its docker json-file line."""
    folder = tmp_path / "containers"
    folder.mkdir()
    lines = ['{"log":"(E) boom\\n","stream":"stdout","time":"2021-04-28T02:09:04.301000100Z"}',
             '{"log":"\\tat x(Y.java:1)\\n","stream":"stdout","time":"2021-04-28T02:09:04.301000900Z"}']
    (folder / "app.log").write_text("\n".join(lines) + "\n")
    provenance = {"a": (SourceRef("containers/app.log", 1),), "b": (SourceRef("containers/app.log", 2),),
                  "c": (SourceRef("containers/gone.log", 1),)}
    times = read_line_times(provenance, tmp_path)
    assert times == {("containers/app.log", 1): 1619575744301000100, ("containers/app.log", 2): 1619575744301000900}
