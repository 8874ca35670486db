"""The committed sample set (data/samples): reproducible by the README's commands, complete, decodable."""
from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from efklab.adapters.payloadfiles import read_payload_file
from efklab.cli import main
from efklab.cloudwatch.payloads import Payload
from tests.conftest import ROOT

SAMPLES = ROOT / "data" / "samples"
GENERATED = ("containers", "payloads", "provenance.jsonl.gz", "truth.jsonl", "pods.json", "manifest.json")
pytestmark = pytest.mark.skipif(not (SAMPLES / "manifest.json").exists(), reason="data/samples has not been generated")


def _tree(root: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """File -> content; .gz files by their decompressed bytes (another zlib build may compress differently)."""
    out = {}
    for name in names:
        path = root / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        out.update({str(f.relative_to(root)): _content(f) for f in files if f.is_file()})
    return out


def _content(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _jsonl_gz(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]


def test_generate_command_reproduces_the_committed_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's generate command, run again, writes the same bytes (gzip members compared uncompressed)."""
    monkeypatch.chdir(SAMPLES.parents[1])
    code = main(["samples", "generate", "--out", str(tmp_path), "--seed", "1", "--events", "3000", "--days", "40",
                 "--config", "data/samples/fluentd.yaml"])
    assert code == 0
    assert _tree(tmp_path, GENERATED) == _tree(SAMPLES, GENERATED)


def test_payloads_command_reproduces_the_aws_sample_payloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's payloads command (AWS sample regexp) writes byte-identical payloads and provenance."""
    monkeypatch.chdir(SAMPLES.parents[1])
    code = main(["samples", "payloads", "--config", "data/samples/fluentd-aws-sample.yaml",
                 "--pods", "data/samples/pods.json", "--seed", "1", "--provenance", str(tmp_path / "prov.jsonl.gz"),
                 "--out", str(tmp_path / "pay.jsonl.gz"), "data/samples/containers"])
    assert code == 0
    assert _content(tmp_path / "pay.jsonl.gz") == _content(SAMPLES / "payloads-aws-sample.jsonl.gz")
    assert _content(tmp_path / "prov.jsonl.gz") == _content(SAMPLES / "provenance-aws-sample.jsonl.gz")


def test_manifest_counts_match_the_files() -> None:
    """manifest.json says how many containers, lines, statements, payloads and events there are."""
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    logs = sorted((SAMPLES / "containers").glob("*.log"))
    payloads = [p for f in sorted((SAMPLES / "payloads").glob("*.jsonl.gz")) for p in _jsonl_gz(f)]
    assert manifest["containers"] == len(logs)
    assert manifest["lines"] == sum(len(f.read_text(encoding="utf-8").splitlines()) for f in logs)
    assert manifest["statements"] == len((SAMPLES / "truth.jsonl").read_text(encoding="utf-8").splitlines())
    assert manifest["payloads"] == len(payloads)
    assert manifest["events"] == sum(len(p["logEvents"]) for p in payloads if p["messageType"] == "DATA_MESSAGE")


@pytest.mark.parametrize(("payloads", "provenance"),
                         [("payloads/*.jsonl.gz", "provenance.jsonl.gz"),
                          ("payloads-aws-sample.jsonl.gz", "provenance-aws-sample.jsonl.gz")])
def test_every_line_is_in_exactly_one_delivered_event(payloads: str, provenance: str) -> None:
    """Provenance covers each container log line once, and names exactly the delivered event ids."""
    rows = _jsonl_gz(SAMPLES / provenance)
    expected = Counter(f"containers/{f.name}:{n}" for f in (SAMPLES / "containers").glob("*.log")
                       for n in range(1, len(f.read_text(encoding="utf-8").splitlines()) + 1))
    assert Counter(s for row in rows for s in row["sources"]) == expected
    delivered = {e["id"] for f in sorted(SAMPLES.glob(payloads))
                 for p in _jsonl_gz(f) if p["messageType"] == "DATA_MESSAGE" for e in p["logEvents"]}
    assert {row["id"] for row in rows} == delivered


def test_payloads_decode_and_ids_carry_their_timestamps() -> None:
    """Every committed payload passes efklab.cloudwatch.payloads; each id is 56 digits with id >> 144 == timestamp."""
    decoded = [p for f in sorted((SAMPLES / "payloads").glob("*.jsonl.gz")) for p in read_payload_file(str(f))]
    assert all(isinstance(p, Payload) for p in decoded)
    assert all(len(e.id) == 56 and int(e.id) >> 144 == e.timestamp for p in decoded if not p.is_control
               for e in p.log_events)


def test_lines_span_more_than_the_30_day_retention() -> None:
    """The first line is more than 30 days before the last, so retention has something to delete."""
    days = {json.loads(line)["time"][:10] for f in (SAMPLES / "containers").glob("*.log")
            for line in f.read_text(encoding="utf-8").splitlines()}
    assert (min(days), max(days), len(days)) == ("2021-03-22", "2021-04-30", 40)


def test_seed_regex_groups_what_the_aws_sample_regex_splits() -> None:
    """The seed's symptom in numbers: the AWS sample regexp gives about twice the events, most sharing a millisecond."""
    seed = [(p["logStream"], e) for f in (SAMPLES / "payloads").glob("*.jsonl.gz")
            for p in _jsonl_gz(f) if p["messageType"] == "DATA_MESSAGE" for e in p["logEvents"]]
    aws = [(p["logStream"], e) for p in _jsonl_gz(SAMPLES / "payloads-aws-sample.jsonl.gz")
           if p["messageType"] == "DATA_MESSAGE" for e in p["logEvents"]]
    assert len(aws) > 1.9 * len(seed)
    assert sum(json.loads(e["message"])["log"].count("\n") > 1 for _, e in seed) > 300
    multi = [json.loads(e["message"])["log"] for _, e in aws if json.loads(e["message"])["log"].count("\n") > 1]
    # only date-led lines start a group
    assert all(re.match(r"(date:)?\d{4}[-/]\d{1,2}[-/]\d{1,2}", log) for log in multi)
    shared = Counter((stream, e["timestamp"]) for stream, e in aws)
    assert sum(n for n in shared.values() if n > 1) > len(aws) / 2
