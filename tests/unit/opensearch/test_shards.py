"""Shard projection: steady-state shards of daily strategies against cluster.max_shards_per_node."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.opensearch.shards import (
    COMPARED_STRATEGIES,
    compare_strategies,
    count_shards_over_time,
    indices_per_busiest_day,
    project_shards,
    projection_series,
)
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


GROUP = "/aws/containerinsights/c/application/{ns}/{app}"
TEN_MIN = 600_000


def test_each_strategy_counts_the_indices_its_own_names_make() -> None:
    """3 streams (2 namespaces) on one day, 1 on the next: seed 3, per namespace 2, cwl 1, on the busiest day."""
    cart, web, gateway = (GROUP.format(ns="shop", app="cart"), GROUP.format(ns="shop", app="web"),
                          GROUP.format(ns="pay", app="gw"))
    events = [(cart, "s1", 0), (cart, "s1", TEN_MIN), (web, "s2", TEN_MIN), (gateway, "s3", 2 * TEN_MIN),
              (gateway, "s3", DAY_MS)]
    counts = indices_per_busiest_day(events, COMPARED_STRATEGIES)
    assert counts == {"per namespace+container (seed)": 3, "per namespace": 2,
                      "per container name (cwl-group)": 3, "one index per day (cwl)": 1}


def test_one_busy_stream_per_namespace_is_not_multiplied_by_every_container() -> None:
    """Two namespaces with two containers each, but only one (namespace, container) pair per namespace logs."""
    events = [(GROUP.format(ns="a", app="x"), "s", 0), (GROUP.format(ns="b", app="y"), "s", 0),
              (GROUP.format(ns="a", app="x"), "s", DAY_MS), (GROUP.format(ns="b", app="x"), "s", DAY_MS),
              (GROUP.format(ns="a", app="y"), "s", 2 * DAY_MS)]
    assert indices_per_busiest_day(events, COMPARED_STRATEGIES)["per namespace+container (seed)"] == 2
