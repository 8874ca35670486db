"""The old-vs-new grouping diff: counts, clusters and start-regexp changes on small inputs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from efklab.fluentd.concat.rule import ConcatRule, build_rule
from efklab.multiline.grouping import diff_rules

SEED = r"/\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]/"
AWS = r"/^(date:){0,1}\d{4}[-/]\d{1,2}[-/]\d{1,2}/"
SEED_LINES = [
    "11:09:04[301] logdata~~~~~~\n",
    "(T) 11:09:04[301] logdata~~~~~~\n",
    "logdata~~~~~~\n",
    "11:09:04[301] logdata~~~~~~\n",
]


@dataclass(frozen=True)
class Rec:
    tag: str
    time_ns: int
    record: dict[str, Any]
    source: str
    lineno: int


def _records(texts: list[str], source: str = "app.log") -> list[list[Rec]]:
    return [[Rec("var.log.containers.app.log", 1_619_608_144_000_000_000 + i * 1_000_000,
                 {"log": t, "stream": "stdout"}, source, i + 1) for i, t in enumerate(texts)]]


def _rule(start: str, **extra: str) -> ConcatRule:
    return build_rule({"key": "log", "multiline_start_regexp": start, "separator": "", "flush_interval": "5",
                       "timeout_label": "@NORMAL", **extra})


def _diff(old: ConcatRule, new: ConcatRule, texts: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    diff, shown = diff_rules(old, new, lambda: _records(texts))
    return diff.report, shown


def test_same_rule_is_identical() -> None:
    """Diffing a rule against itself reports identical groupings and shows no clusters."""
    report, shown = _diff(_rule(SEED), _rule(SEED), SEED_LINES)
    assert report["identical"] is True
    assert report["lines_regrouped"] == report["groups_split"] == report["groups_merged"] == 0
    assert shown == []


def test_seed_fix_merges_the_lines_the_aws_regexp_left_alone() -> None:
    """AWS date regexp -> seed regexp: 4 lone events become 2, three lines merge into one group."""
    report, _ = _diff(_rule(AWS), _rule(SEED), SEED_LINES)
    assert report["identical"] is False
    assert report["events"] == {"old": 4, "new": 2}
    assert report["lines_regrouped"] == 3
    assert report["groups_merged"] == 1
    assert report["groups_split"] == 0


def test_start_regexp_changes_are_counted_with_their_place() -> None:
    """The (T) line starts matching the new start regexp, and its file:line is reported."""
    report, _ = _diff(_rule(AWS), _rule(SEED), SEED_LINES)
    starts = report["start_regexp"]
    assert (starts["started_matching"], starts["stopped_matching"]) == (1, 0)
    assert starts["started_examples"] == [{"at": "app.log:2", "text": SEED_LINES[1]}]


def test_reverting_the_fix_splits_the_group() -> None:
    """Seed regexp -> AWS regexp: the seed's group of three splits, and lines stop matching."""
    report, _ = _diff(_rule(SEED), _rule(AWS), SEED_LINES)
    assert report["groups_split"] == 1
    assert report["groups_merged"] == 0
    assert report["start_regexp"]["stopped_matching"] == 1


def test_side_by_side_shows_old_and_new_events_of_a_cluster() -> None:
    """The first changed cluster lists the three old lone events and the one new group."""
    _, shown = _diff(_rule(AWS), _rule(SEED), SEED_LINES)
    assert len(shown) == 1
    assert [e["lines"] for e in shown[0]["old"]] == ["app.log:2", "app.log:3", "app.log:4"]
    assert [e["lines"] for e in shown[0]["new"]] == ["app.log:2 .. app.log:4"]
    assert shown[0]["new"][0]["text"] == "".join(SEED_LINES[1:])


def test_same_grouping_with_other_times_counts_changed_events() -> None:
    """use_first_timestamp keeps the groups but changes their times: events changed, none regrouped."""
    texts = ["(I) 11:09:04[301] a\n", "  more\n", "(I) 11:09:04[302] b\n", "(I) 11:09:04[303] c\n"]
    report, shown = _diff(_rule(SEED), _rule(SEED, use_first_timestamp="true"), texts)
    assert report["identical"] is False
    assert report["lines_regrouped"] == 0
    # every group now has its first line's time instead of the next start's (or the timer's)
    assert report["events_changed"] == 3
    assert shown[0]["old"][0]["time"] != shown[0]["new"][0]["time"]


def test_clusters_shown_are_limited_and_in_input_order() -> None:
    """Only the first N changed clusters are shown, ordered by their first line."""
    texts = [f"(I) 11:09:04[{i:03d}] x\n" if i % 2 == 0 else "  detail\n" for i in range(20)]
    diff, shown = diff_rules(_rule(AWS), _rule(SEED), lambda: _records(texts), clusters=3)
    assert len(shown) == 3
    assert diff.report["first_changed_lines"] == sorted(diff.report["first_changed_lines"])
    assert diff.report["changed_clusters"] == 10
    assert [e["lines"] for e in shown[2]["new"]] == ["app.log:5 .. app.log:6"]


def test_regroupings_are_shown_before_events_that_only_changed_route_or_time() -> None:
    """The most telling changes first: the largest group the new rule merges, then smaller ones, then re-timed lines."""
    texts = ["(I) 11:09:04[001] lone\n",  # same lines under both rules, but closed later: only its time changes
             "(I) 11:09:04[002] small\n", "  one frame\n",
             "(E) 11:09:04[003] big\n", "  frame 1\n", "  frame 2\n", "  frame 3\n", "(I) 11:09:04[004] end\n"]
    diff, shown = diff_rules(_rule(AWS), _rule(SEED), lambda: _records(texts), clusters=5)
    report = diff.report
    assert report["regrouping_clusters"] == 2
    assert report["first_changed_lines"][:2] == [3, 1]  # the 4-line stack trace, then the 2-line one
    assert [e["count"] for e in shown[0]["new"]] == [4] and [e["count"] for e in shown[1]["new"]] == [2]
    assert all(len(c["old"]) == len(c["new"]) == 1 for c in shown[2:])  # one event each side: route or time only


def test_lines_per_route_are_counted_for_each_rule() -> None:
    """Beside events per route, the diff counts the input lines in them (what a lost route would lose)."""
    report, _ = _diff(_rule(AWS), _rule(SEED), SEED_LINES)
    assert report["lines_by_route"] == {"old": {"main": 4}, "new": {"main": 1, "timeout": 3}}
    assert report["events_by_route"] == {"old": {"main": 4}, "new": {"main": 1, "timeout": 1}}
