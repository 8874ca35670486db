"""Shard projection: steady-state shards of daily strategies against cluster.max_shards_per_node."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.opensearch.shards import compare_strategies, count_shards_over_time, project_shards, projection_series
from efklab.units import DAY_MS


def test_seed_strategy_on_one_node_with_default_settings() -> None:
    """20 namespace/container streams, 30 days, 1 primary + 1 replica: 20*31*2 = 1240 > 1000, full on day 25."""
    row = project_shards("seed", 20, 30)
    assert (row.live_days, row.shards_per_index, row.steady_shards, row.limit) == (31, 2, 1240, 1000)
    assert not row.fits and row.full_on_day == 25


def test_coarser_strategy_fits() -> None:
    """One daily index (cwl) holds 62 shards; the comparison lists finest first."""
    rows = compare_strategies({"cwl": 1, "seed": 20, "namespace": 4}, 30)
    assert [r.strategy for r in rows] == ["seed", "namespace", "cwl"]
    assert [r.fits for r in rows] == [False, True, True]
    assert rows[-1].steady_shards == 62


@pytest.mark.parametrize(("nodes", "fits"), [(1, False), (2, True)])
def test_more_data_nodes_raise_the_limit(nodes: int, fits: bool) -> None:
    """The limit is per data node."""
    assert project_shards("seed", 20, 30, data_nodes=nodes).fits is fits


def test_other_shards_count_against_the_limit() -> None:
    """System indices already open take from the same budget."""
    assert project_shards("x", 16, 30, other_shards=0).fits
    assert not project_shards("x", 16, 30, other_shards=10).fits


def test_shards_over_time_follow_creations_and_deletions() -> None:
    """Open shards rise with each created index and fall at each deletion."""
    spans = [(0, 3 * DAY_MS), (DAY_MS, None), (2 * DAY_MS, 2 * DAY_MS + 1)]
    assert [s for _, s in count_shards_over_time(spans, 2, start=0, end=4 * DAY_MS)] == [2, 4, 6, 2, 2]


@given(st.integers(1, 200), st.integers(0, 90), st.integers(1, 5), st.integers(0, 2), st.integers(1, 5))
def test_full_day_is_the_first_day_over_the_limit(per_day: int, days: int, primaries: int, replicas: int,
                                                  nodes: int) -> None:
    """On full_on_day the next day's indices no longer fit; the day before they did."""
    row = project_shards("x", per_day, days, primaries=primaries, replicas=replicas, data_nodes=nodes)
    if row.fits:
        assert row.full_on_day is None
    else:
        per = per_day * row.shards_per_index
        day = row.full_on_day
        assert (day + 1) * per > row.limit and day * per <= row.limit


def test_projection_series_grows_then_levels_at_steady_state() -> None:
    """Day by day the shards grow by one day of indices until retention, then stay at steady state."""
    row = project_shards("x", 2, 3)
    points = [s for _, s in projection_series(row, start=0, days=6)]
    assert points == [4, 8, 12, 16, 16, 16] and points[-1] == row.steady_shards
