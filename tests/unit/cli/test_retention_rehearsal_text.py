"""A rehearsal as text, JSON and a report table: forecast beside what the node did, and the limits said."""
from __future__ import annotations

import json

import pytest

from efklab.cli.retention.text import print_rehearsal, rehearsal_json
from efklab.jobs.rehearsal import RehearsalReport
from efklab.reports.tables.retention import rehearsal_table
from efklab.retention.rehearsal import ARRIVAL, BEFORE_PUT, Verdict
from efklab.retention.scaling import DEFAULT_SCALE
from efklab.retention.schedule import JobSettings

PUT = 1_000_000
REPORT = RehearsalReport(
    url="http://127.0.0.1:9200", policy_id="delete_policy-rehearsal-ab", source_policy="delete_policy",
    scale=DEFAULT_SCALE, ages=(("30d", "90s"),), settings=JobSettings(1, 0.0), put_at=PUT,
    verdicts=(Verdict("r-pre-a", 1, BEFORE_PUT, PUT - 500, "not managed (pre-existing); kept",
                      "not managed; present, -", True, None, None),
              Verdict("r-a", 1, ARRIVAL, PUT + 100, "managed by x; deleted in its window", "managed by x; deleted",
                      True, (PUT + 180_100, PUT + 180_100), (PUT + 181_000, PUT + 183_000)),
              Verdict("r-b", 1, ARRIVAL, PUT + 9_000, "managed by x; deleted in its window", "managed by x; deleted",
                      False, (PUT + 189_000, PUT + 189_000), (PUT + 249_000, PUT + 251_000),
                      "deleted after the window (and the latency allowance)")),
    forecasts=(), prefix="r-")


def test_the_text_puts_forecast_and_observation_side_by_side_and_says_what_a_rehearsal_cannot_show(
        capsys: pytest.CaptureFixture[str]) -> None:
    print_rehearsal(REPORT)
    out = capsys.readouterr().out
    assert "scale 1d=3s (min_index_age 30d -> 90s); ISM job every 1 min, jitter 0 (not scaled)" in out
    assert "+180s..+180s" in out and "managed, deleted +181s..+183s" in out and "NO  (deleted after the window" in out
    assert "2 deleted by ISM, 2 of 3 agree with the forecast" in out
    assert "OpenSearch refuses index.creation_date at creation" in out


def test_json_and_table_carry_the_same_verdicts() -> None:
    document = json.loads(json.dumps(rehearsal_json(REPORT)))
    assert document["agrees"] is False and [i["agrees"] for i in document["indices"]] == [True, True, False]
    table = rehearsal_table(REPORT)
    assert list(table["index"]) == ["pre-a", "a", "b"] and list(table["agrees"]) == ["yes", "yes", "NO"]
    assert table.loc[1, "observed on the node"] == "deleted +181s .. +183s"
