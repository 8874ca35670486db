"""`efklab layout` without a node: expected indices, invalid names with reasons, mapping risks, shards."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from efklab.cli import main
from efklab.testing import make_event, make_payload
from efklab.units import DAY_MS, parse_time
from tests.conftest import ROOT

JUNE1 = parse_time("2021-06-01T01:00:00Z")


def _write(tmp_path: Path, payloads: list[dict]) -> str:
    path = tmp_path / "payloads.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    return str(path)


def _stream(namespace: str, container: str, days: int, message: dict) -> list[dict]:
    group = f"/aws/containerinsights/lab/application/{namespace}/{container}"
    return [make_payload([make_event(message, timestamp=JUNE1 + d * DAY_MS, sequence=d)], log_group=group)
            for d in range(days)]


def test_clean_layout_lists_indices_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two streams over three days: six indices with their counts, no problems."""
    path = _write(tmp_path, _stream("shop", "api", 3, {"log": "a"}) + _stream("pay", "worker", 3, {"log": "b"}))
    assert main(["layout", path]) == 0
    out = capsys.readouterr().out
    assert "mydata-shop-api-2021.06.03" in out and "6 indices, 6 documents" in out and "no problems found" in out


@pytest.mark.parametrize(
    ("mode_args", "log_group", "index", "reason"),
    [([], "/aws/containerinsights/lab/application/shop/API", "API-2021.06.01", "must be lowercase"),
     (["--mode", "seed"], "/aws/containerinsights/lab/application/my shop/api", "mydata-my shop-api-2021.06.01",
      "must not contain the following characters")],
    ids=["template-keeps-case", "seed-space-in-namespace"],
)
def test_invalid_names_are_listed_with_reasons_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          mode_args: list[str], log_group: str, index: str,
                                                          reason: str) -> None:
    """Names OpenSearch refuses are listed with its reason and the number of events lost; exit 1."""
    path = _write(tmp_path, [make_payload([make_event({"log": "a"}, timestamp=JUNE1)], log_group=log_group)])
    strategy = [] if mode_args else ["--index-strategy", "{log_group_name}-{date:%Y.%m.%d}"]
    code = main(["layout", "--json", *mode_args, *strategy, path])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    (invalid,) = report["invalid_names"]
    assert invalid["index"] == index and reason in invalid["reason"] and invalid["events"] == 1
    assert report["indices"] == []


def test_mapping_conflicts_and_pattern_conflicts_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """status 200 then "OK" in one index is a refused document; code number vs string across indices a pattern
    conflict."""
    group = "/aws/containerinsights/lab/application/shop/api"
    payloads = [make_payload([make_event({"status": 200}, timestamp=JUNE1, sequence=1),
                              make_event({"status": "OK"}, timestamp=JUNE1 + 1, sequence=2)], log_group=group)]
    payloads += _stream("pay", "worker", 1, {"code": 7}) + _stream("pay", "web", 1, {"code": "E7"})
    code = main(["layout", "--json", _write(tmp_path, payloads)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    conflict = report["mapping_conflicts"]["mydata-shop-api-2021.06.01"]["status"]
    assert conflict["mapped"] == "long" and conflict["count"] == 1
    assert [c["field"] for c in report["pattern_conflicts"]] == ["code"]
    assert next(i for i in report["indices"] if i["index"] == "mydata-shop-api-2021.06.01")["docs"] == 1


def test_shard_projection_flags_a_per_stream_strategy_over_the_limit(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """20 streams x 31 days x 2 shards = 1240 > 1000: the seed strategy fails, one daily index fits."""
    payloads = [p for n in range(20) for p in _stream("ns", f"c{n}", 1, {"log": "x"})]
    code = main(["layout", "--json", _write(tmp_path, payloads)])
    report = json.loads(capsys.readouterr().out)
    rows = {s["strategy"]: s for s in report["shards"]["strategies"]}
    assert code == 1
    assert rows["this strategy"]["steady_shards"] == 1240 and rows["this strategy"]["full_on_day"] == 25
    assert rows["one index per day (cwl)"]["fits"]


def test_retention_days_come_from_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--policy takes 30 days from the seed policy's min_index_age; --retention-days overrides."""
    path = _write(tmp_path, _stream("shop", "api", 1, {"log": "a"}))
    main(["layout", "--json", "--policy", str(ROOT / "data" / "samples" / "ism-policy.json"), path])
    assert json.loads(capsys.readouterr().out)["shards"]["retention_days"] == 30
    main(["layout", "--json", "--retention-days", "7", path])
    assert json.loads(capsys.readouterr().out)["shards"]["retention_days"] == 7


def test_missing_payload_file_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input never shows a traceback."""
    assert main(["layout", str(tmp_path / "nope.jsonl")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize(("args", "reason"), [(["--index-strategy", "MyData-{date:%Y.%m.%d}"], "must be lowercase"),
                                              (["--prefix", "_x"], "must not start with '_', '-', or '+'"),
                                              (["--index-strategy", "{nope}-{date}"], "nope")])
def test_strategy_making_invalid_names_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          args: list[str], reason: str) -> None:
    """A strategy or prefix that can only make names OpenSearch refuses fails before reading any payload."""
    path = _write(tmp_path, _stream("shop", "api", 1, {"log": "a"}))
    assert main(["layout", *args, path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err


def test_short_log_group_in_seed_mode_is_an_undefined_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--mode seed names a short log group's index mydata-undefined-undefined-...; listed as wrong, exit 1."""
    path = _write(tmp_path, [make_payload([make_event({"log": "a"}, timestamp=JUNE1)], log_group="/aws/lambda/fn")])
    code = main(["layout", "--mode", "seed", "--json", path])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["indices"][0]["index"] == "mydata-undefined-undefined-2021.06.01"
    assert report["invalid_names"][0]["accepted"] is True


def test_short_log_group_in_opensearch_mode_produces_no_document(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The corrected transform rejects the event with the reason; layout counts it as lost, exit 1."""
    path = _write(tmp_path, [make_payload([make_event({"log": "a"}, timestamp=JUNE1)], log_group="/aws/lambda/fn")])
    code = main(["layout", "--json", path])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["indices"] == [] and "segment 5" in report["rejects"][0]["reason"]


def test_an_unreadable_payload_record_is_named_and_the_layout_marked_partial_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A corrupt record is FILE:LINE on stderr, the readable payloads are still laid out,
    and exit 2 says it is partial."""
    good = json.dumps(_stream("shop", "api", 1, {"log": "a"})[0])
    path = tmp_path / "mixed.jsonl"
    path.write_text(f"{good}\nnot json\n{good}\n")
    assert main(["layout", str(path)]) == 2
    captured = capsys.readouterr()
    assert "mydata-shop-api-2021.06.01" in captured.out
    assert f"{path}:2: not a JSON object" in captured.err
    assert "cover the readable ones only" in captured.err
