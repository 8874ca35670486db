"""Notebook 06 on real nodes: seed bodies from OpenSearch 1.3.20 to the suite's 2.19.4, through papermill."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from efklab.reports.runner import default_notebook_dir, run_report
from tests.integration.test_versions import FEW_DAYS, nodes_of_versions, url_of

pytestmark = [pytest.mark.integration, pytest.mark.notebooks, pytest.mark.slow]
__all__ = ["nodes_of_versions"]  # the session's 1.3.20 node, shared with test_versions.py


def test_upgrade_notebook_names_the_type_refusal_and_records_the_break(
        nodes_of_versions: dict[str, str | Exception], opensearch_url: str, tmp_path: Path) -> None:
    """The checks say what the node did: 1.3.20's documents all refused by 2.19.4, so the upgrade check fails."""
    old = url_of(nodes_of_versions, "1.3.20")
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    for name in FEW_DAYS:
        shutil.copy(name, payloads)
    result = run_report([default_notebook_dir() / "06-upgrade.ipynb"], str(tmp_path / "out"),
                        {"payloads": str(payloads), "mode": "seed", "from_url": old, "to_url": opensearch_url},
                        now=dt.datetime(2024, 5, 1, tzinfo=dt.UTC), environ={})
    verdicts = {c["name"]: c for c in result.summary["checks"]}
    accepted = verdicts["OpenSearch 2.19.4 accepts every document OpenSearch 1.3.20 accepts"]
    assert accepted["verdict"] == "fail" and accepted["figures"]["accepted_after"] == 0
    assert accepted["figures"]["accepted_before"] == accepted["figures"]["refused_after"] > 0
    html = (tmp_path / "out" / "06-upgrade.html").read_text(encoding="utf-8")
    assert "unknown parameter [_type]" in html and "remove _type" in html
