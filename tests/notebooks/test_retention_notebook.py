"""Notebook 05 on the real node: the forecast and what the node's ISM does, each verdict saying which it is."""
from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from efklab.adapters.ism import IsmApi
from efklab.jobs.samples import sample_logs
from efklab.reports.runner import default_notebook_dir, run_report
from efklab.retention.explain import read_explain
from efklab.retention.scaling import DEFAULT_SCALE, scale_policy
from tests.conftest import ROOT

pytestmark = [pytest.mark.notebooks, pytest.mark.integration, pytest.mark.slow]
RUN = uuid.uuid4().hex[:8]


def test_retention_notebook_shows_the_nodes_ism_beside_the_forecast(opensearch_url: str, opensearch_client: Any,
                                                                     opensearch_connection: Any,
                                                                     tmp_path: Path) -> None:
    """A (scaled) policy on the node manages one index: the notebook's node section shows it managed under the
    policy the node stores (observed); the forecast reads the payloads under the seed's policy; every verdict
    names where it was measured."""
    api = IsmApi(opensearch_client, opensearch_connection)
    pattern = f"efklabnb{RUN}-*"
    body = scale_policy(json.loads((ROOT / "data" / "samples" / "ism-policy.json").read_text()), DEFAULT_SCALE,
                        index_patterns=[pattern])
    api.put_policy(f"nb_{RUN}", body)
    index = f"efklabnb{RUN}-shop-api-2021.06.01"
    try:
        opensearch_client.index(index=index, body={"log": "x"}, refresh=True)
        give_up = time.monotonic() + 60
        while not any(r.managed for r in read_explain(api.explain(index))) and time.monotonic() < give_up:
            time.sleep(1)
        logs = tmp_path / "logs"
        sample_logs(logs, events=150, days=3)
        result = run_report([default_notebook_dir() / "05-retention.ipynb"], str(tmp_path / "out"),
                            {"logs": str(logs), "pattern": pattern},
                            now=dt.datetime(2024, 5, 1, tzinfo=dt.UTC), environ={},
                            optional_parameters={"opensearch_url": opensearch_url})
    finally:
        opensearch_client.indices.delete(index=pattern, ignore_unavailable=True, allow_no_indices=True)
        api.delete_policy(f"nb_{RUN}")
    checks = {c["name"]: c for c in result.summary["checks"]}
    assert [c["verdict"] for c in checks.values()] == ["pass"] * 4
    assert checks["indices past the retention period are deleted"]["measured"] == "forecast"
    observed = checks["ISM on the node acts as forecast: no failed step, no index outlives its window"]
    assert observed["measured"].startswith("observed on the node") and observed["figures"]["managed"] == 1
    executed = json.loads((tmp_path / "out" / "05-retention.ipynb").read_text(encoding="utf-8"))
    printed = "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))
    assert "forecast from payloads (no node)" in printed and f"1 indices match {pattern}: 1 managed by ISM" in printed
    html = (tmp_path / "out" / "05-retention.html").read_text(encoding="utf-8")
    assert f"nb_{RUN}" in html and "observed on the node" in html and "<img" in html
