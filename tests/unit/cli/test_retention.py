"""`efklab retention` on the command line: one-line errors with the JSON path, forecasts from payloads."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from efklab.cli import main
from efklab.testing import make_event, make_payload
from efklab.units import DAY_MS, parse_time
from tests.conftest import ROOT

SEED_POLICY = str(ROOT / "data" / "samples" / "ism-policy.json")
GROUP = "/aws/containerinsights/lab/application/shop/api"
JUNE1 = parse_time("2021-06-01T01:00:00Z")


def _payload_file(tmp_path: Path) -> str:
    """Ten days of one stream, plus a late event for June 1 arriving on July 5."""
    payloads = [make_payload([make_event({"log": "x"}, timestamp=JUNE1 + d * DAY_MS, sequence=d)], log_group=GROUP)
                for d in range(10)]
    late = JUNE1 + 34 * DAY_MS
    payloads.append(make_payload([make_event({"log": "late"}, timestamp=JUNE1 + 5, sequence=99),
                                  make_event({"log": "now"}, timestamp=late, sequence=100)], log_group=GROUP))
    path = tmp_path / "payloads.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    return str(path)


def test_validate_seed_policy(capsys: pytest.CaptureFixture[str]) -> None:
    """The seed policy validates and is described state by state."""
    assert main(["retention", "validate", SEED_POLICY]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "-> delete when min_index_age 30d" in out and "read-only" in out


@pytest.mark.parametrize(
    ("policy", "where"),
    [({"policy": {"description": "d", "default_state": "hot", "states": [
        {"name": "hot",
         "transitions": [{"state_name": "hot", "conditions": {"min_index_age": "30d", "min_doc_count": 1}}]}]}},
      "$.policy.states[0].transitions[0].conditions"),
     ({"policy": {"description": "d", "default_state": "warm", "states": [{"name": "hot"}]}},
      "$.policy.default_state")],
)
def test_invalid_policy_is_one_line_with_the_json_path_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  policy: dict, where: str) -> None:
    """A bad policy: exit 2, one stderr line `efklab retention: FILE:JSONPATH: reason`."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps(policy))
    assert main(["retention", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"efklab retention: {path}:{where}: ")


def test_two_policies_overlapping_at_one_priority_are_refused(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A second policy whose template overlaps at the same priority would be refused by the plugin."""
    other = json.loads(Path(SEED_POLICY).read_text())
    other["policy"]["policy_id"] = "other"
    other["policy"]["ism_template"] = [{"index_patterns": ["*-shop-*"], "priority": 10}]
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    assert main(["retention", "validate", SEED_POLICY, str(path)]) == 2
    assert "priority 10" in capsys.readouterr().err


def test_simulate_prints_when_each_index_is_deleted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Per index the deletion window; as of --at what is gone; the late event's recreated index is a trap."""
    code = main(["retention", "simulate", "--policy", SEED_POLICY,
                 "--at", "2021-07-03T00:00:00Z", _payload_file(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "mydata-shop-api-2021.06.01" in out and "2021-07-01T01:05:00Z .. 2021-07-01T01:08:00Z" in out
    assert "gone 2 indices" in out
    assert "[recreated] 1x: " in out and "(e.g. mydata-shop-api-2021.06.01)" in out


def test_simulate_json_and_replayed_backfill(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--replayed-at creates every index at that time: the creation-date trap for each, in JSON."""
    code = main(["retention", "simulate", "--policy", SEED_POLICY, "--replayed-at", "2021-06-20", "--at", "2021-06-21",
                 "--json", _payload_file(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    first = next(i for i in report["indices"] if i["index"] == "mydata-shop-api-2021.06.01")
    assert first["deletion"][0] == parse_time("2021-07-20T00:05:00Z") and first["status"] == "kept"
    assert {f["kind"] for f in report["findings"]} == {"creation-date"}
    assert [m["run"] for m in first["milestones"]] == [1, 8640, 8641]


def test_simulate_with_policy_applied_after_the_indices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--applied-at later than the indices: none are attached; each is listed as pre-existing."""
    main(["retention", "simulate", "--policy", SEED_POLICY, "--applied-at", "2021-08-01", "--at", "2021-09-01",
          "--json", _payload_file(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert all(i["outcome"] == "unmanaged" for i in report["indices"])
    assert report["summary"]["totals"]["gone"]["indices"] == 0
    assert {f["kind"] for f in report["findings"]} == {"pre-existing"}


@pytest.mark.parametrize(("option", "value"), [("--job-interval", "0"), ("--jitter", "1.5"), ("--at", "yesterday-ish")])
def test_bad_simulation_options_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str,
                                       value: str) -> None:
    """Job interval below the plugin's minimum, jitter outside 0..1, unreadable times: exit 2, one line."""
    assert main(["retention", "simulate", "--policy", SEED_POLICY, option, value, _payload_file(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("option", ["--at", "--applied-at", "--replayed-at"])
def test_an_empty_time_is_bad_input_not_unset(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str) -> None:
    """`--at ""` (an unset shell variable, say) is refused in one line with exit 2, not taken as now."""
    with pytest.raises(SystemExit) as done:
        main(["retention", "simulate", "--policy", SEED_POLICY, option, "", _payload_file(tmp_path)])
    assert done.value.code == 2
    assert "an empty time" in capsys.readouterr().err


def test_simulate_writes_the_timeline_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--plot writes a PNG."""
    png = tmp_path / "timeline.png"
    assert main(["retention", "simulate", "--policy", SEED_POLICY, "--plot", str(png), _payload_file(tmp_path)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG")


def test_simulate_refuses_payloads_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A corrupt payload record is bad input for a simulation: one line naming file and line, exit 2."""
    path = tmp_path / "bad.jsonl"
    path.write_text("not json\n")
    assert main(["retention", "simulate", "--policy", str(ROOT / "data/samples/ism-policy.json"), str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: not a JSON object" in err and len(err.strip().splitlines()) == 1


def test_simulate_defaults_to_the_last_arrival_and_groups_many_indices_and_traps(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The committed samples (181 indices): as of the last arrival (not now, when all are long gone), one line
    per creation day, one line per trap kind; --by-index lists every index."""
    payloads = sorted(str(p) for p in (ROOT / "data" / "samples" / "payloads").glob("*.jsonl.gz"))
    assert main(["retention", "simulate", "--policy", SEED_POLICY, *payloads]) == 0
    out = capsys.readouterr().out
    assert "one line per creation day" in out and "forecast from payloads (no node)" in out
    assert "forecast as of 2021-04-30T23:58:28Z: gone 41 indices" in out and "kept 140 indices" in out
    assert out.count("\n") < 80
    assert main(["retention", "simulate", "--policy", SEED_POLICY, "--replayed-at", "2021-06-20", *payloads]) == 0
    traps = capsys.readouterr().out.split("traps (one line per kind):\n")[1].splitlines()
    assert traps[0].startswith("  [creation-date] 181x: ISM counts age from index.creation_date") and len(traps) == 1
    assert main(["retention", "simulate", "--policy", SEED_POLICY, "--by-index", *payloads]) == 0
    assert capsys.readouterr().out.count("mydata-") > 150
