"""The layout recipe's shard projection on the committed payloads, for the naming in use and the compared ones."""
from __future__ import annotations

import pytest

from efklab.jobs.layout import OWN_STRATEGY, index_layout
from tests.conftest import ROOT

PAYLOADS = [str(p) for p in sorted((ROOT / "data" / "samples" / "payloads").glob("*.jsonl.gz"))]


def _rows(strategy: str) -> dict[str, tuple[int, bool]]:
    result = index_layout(PAYLOADS, index_strategy=strategy, prefix="mydata" if strategy == "seed" else "cwl")
    return {p.strategy: (p.indices_per_day, p.fits) for p in result.projections}


@pytest.mark.parametrize("strategy", ["seed", "cwl", "cwl-group"])
def test_the_compared_strategies_do_not_depend_on_the_naming_in_use(strategy: str) -> None:
    """The same events give the same per-strategy counts whichever naming produced the layout
    (cwl used to be charged 4 namespaces x 8 containers = 32 seed indices a day, 1,984 shards 'over the limit')."""
    rows = _rows(strategy)
    assert rows["per namespace+container (seed)"] == (8, True)
    assert rows["per namespace"] == (4, True)
    assert rows["one index per day (cwl)"] == (1, True)


def test_the_naming_in_use_counts_its_own_indices() -> None:
    """cwl makes one index a day; seed one per namespace and container that logged on the busiest day."""
    assert _rows("cwl")[OWN_STRATEGY] == (1, True)
    assert _rows("seed")[OWN_STRATEGY] == (8, True)
    assert not [p for p in index_layout(PAYLOADS, index_strategy="cwl").problems if "shards" in p]
