"""``efklab samples generate|payloads``: reproducible files, decodable payloads, complete provenance."""
from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from efklab.adapters.payloadfiles import read_payload_file
from efklab.cli import main
from efklab.cloudwatch.payloads import Payload, decode_payload, encode_payload
from tests.conftest import ROOT

AWS_CONFIG = str(ROOT / "data" / "samples" / "fluentd-aws-sample.yaml")
SMALL = ["--events", "400", "--days", "35", "--old-day-events", "2", "--seed", "11"]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _jsonl_gz(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples") / "set"
    assert main(["samples", "generate", "--out", str(out), *SMALL, "--lambda-events"]) == 0
    return out


def test_generate_twice_gives_identical_bytes(sample_dir: Path, tmp_path: Path) -> None:
    """Same options, another directory: every file byte-identical."""
    assert main(["samples", "generate", "--out", str(tmp_path / "again"), *SMALL, "--lambda-events"]) == 0
    assert _files(tmp_path / "again") == _files(sample_dir)


def test_generate_writes_the_documented_layout(sample_dir: Path) -> None:
    """containers/*.log, payloads/<day>.jsonl.gz, lambda-events/, provenance, truth, pods, manifest."""
    names = set(_files(sample_dir))
    assert {"manifest.json", "pods.json", "truth.jsonl", "provenance.jsonl.gz"} <= names
    assert any(n.startswith("containers/") and n.endswith(".log") for n in names)
    assert any(n.startswith("payloads/2021-") and n.endswith(".jsonl.gz") for n in names)
    assert any(n.startswith("lambda-events/") for n in names)
    assert "rejects.jsonl" not in names


def test_payloads_decode_with_efklab_payloads(sample_dir: Path) -> None:
    """Every payload line decodes and passes the schema; ids carry their timestamp in the top bits."""
    decoded = [p for f in sorted((sample_dir / "payloads").glob("*.gz")) for p in read_payload_file(str(f))]
    assert decoded and all(isinstance(p, Payload) for p in decoded)
    assert decoded[0].message_type == "CONTROL_MESSAGE"
    events = [e for p in decoded[1:] for e in p.log_events]
    assert all(int(e.id) >> 144 == e.timestamp and len(e.id) == 56 for e in events)


def test_lambda_events_carry_the_same_payloads(sample_dir: Path) -> None:
    """lambda-events/<day> holds {"awslogs":{"data":...}} for the same payloads, in the same order."""
    day = sorted((sample_dir / "payloads").glob("*.gz"))[-1].name
    plain = [encode_payload(p) for p in read_payload_file(str(sample_dir / "payloads" / day))]  # type: ignore[arg-type]
    wrapped = [encode_payload(decode_payload(json.dumps(e))) for e in _jsonl_gz(sample_dir / "lambda-events" / day)]
    assert wrapped == plain and len(plain) > 10


def test_provenance_covers_every_container_line_once(sample_dir: Path) -> None:
    """Each line of each container log is in exactly one event (or reject) of provenance.jsonl.gz."""
    rows = _jsonl_gz(sample_dir / "provenance.jsonl.gz")
    seen = Counter(s for row in rows for s in row["sources"])
    expected = Counter(f"containers/{p.name}:{n}" for p in (sample_dir / "containers").glob("*.log")
                       for n in range(1, len(p.read_text(encoding="utf-8").splitlines()) + 1))
    assert seen == expected


def test_provenance_ids_are_the_payload_ids(sample_dir: Path) -> None:
    """The event ids in provenance are exactly the ids delivered in the payloads."""
    ids = {row["id"] for row in _jsonl_gz(sample_dir / "provenance.jsonl.gz") if "id" in row}
    delivered = {e["id"] for f in (sample_dir / "payloads").glob("*.gz") for p in _jsonl_gz(f)
                 if p["messageType"] == "DATA_MESSAGE" for e in p["logEvents"]}
    assert ids == delivered


def test_payloads_command_reproduces_generate(sample_dir: Path, tmp_path: Path) -> None:
    """`samples payloads` with the set's pods.json over its containers gives the very same payloads."""
    out = tmp_path / "p.jsonl"
    code = main(["samples", "payloads", "--config", str(ROOT / "data" / "samples" / "fluentd.yaml"), "--pods",
                 str(sample_dir / "pods.json"), "--seed", "11", "--out", str(out), str(sample_dir / "containers")])
    assert code == 0
    generated = [line for f in sorted((sample_dir / "payloads").glob("*.gz"))
                 for line in gzip.decompress(f.read_bytes()).decode().splitlines()]
    assert out.read_text(encoding="utf-8").splitlines() == generated


def test_aws_sample_config_sends_many_more_single_line_events(sample_dir: Path, tmp_path: Path) -> None:
    """The seed's symptom: with the AWS sample's regex every line becomes its own event."""
    seed = sum(len(p["logEvents"]) for f in (sample_dir / "payloads").glob("*.gz")
               for p in _jsonl_gz(f) if p["messageType"] == "DATA_MESSAGE")
    out = tmp_path / "aws.jsonl.gz"
    assert main(["samples", "payloads", "--config", AWS_CONFIG, "--out", str(out), str(sample_dir / "containers")]) == 0
    aws = sum(len(p["logEvents"]) for p in _jsonl_gz(out) if p["messageType"] == "DATA_MESSAGE")
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (sample_dir / "containers").glob("*.log"))
    assert seed < aws and aws > 0.95 * lines


def test_cri_format_under_the_seeds_json_parser_is_refused_before_writing(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The seed's <parse> @type json cannot read CRI lines: generate says so and exits 2 (it used to exit 0
    with "0 payloads" and every line in rejects.jsonl), and writes nothing."""
    out = tmp_path / "cri"
    assert main(["samples", "generate", "--out", str(out), "--events", "60", "--days", "2", "--recent-days", "2",
                 "--format", "cri"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot read cri lines" in err and "@type cri" in err
    assert not out.exists()


def test_cri_logs_under_the_seeds_json_parser_are_all_rejected(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """After a containerd switch the seed's <parse> @type json drops every line: CRI logs generated under a
    CRI parser, replayed through the seed's config, deliver nothing and every line is a reject."""
    cri_config = tmp_path / "fluentd-cri.yaml"
    cri_config.write_text((ROOT / "data" / "samples" / "fluentd.yaml").read_text(encoding="utf-8")
                          .replace("@type json\n        time_format %Y-%m-%dT%H:%M:%S.%NZ", "@type cri"),
                          encoding="utf-8")
    out = tmp_path / "cri"
    assert main(["samples", "generate", "--out", str(out), "--events", "60", "--days", "2", "--recent-days", "2",
                 "--format", "cri", "--config", str(cri_config)]) == 0
    assert any((out / "payloads").iterdir())
    rejects = tmp_path / "rejects.jsonl"
    assert main(["samples", "payloads", "--config", str(ROOT / "data" / "samples" / "fluentd.yaml"),
                 "--out", str(tmp_path / "p.jsonl"), "--rejects", str(rejects), str(out / "containers")]) == 2
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (out / "containers").glob("*.log"))
    rows = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == lines and {r["stage"] for r in rows} == {"parse"}
    delivered = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p for p in delivered if p["messageType"] == "DATA_MESSAGE"] == []


def test_non_empty_out_is_refused_without_force(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Existing files are not overwritten by accident: exit 2, one line."""
    assert main(["samples", "generate", "--out", str(sample_dir), *SMALL]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["samples", "generate", "--out", "x", "--start", "yesterday"],
        ["samples", "generate", "--out", "x", "--events", "0"],
        ["samples", "generate", "--out", "x", "--format", "syslog"],
        ["samples", "payloads", "--config", AWS_CONFIG, "--out", "-", "no-such.log"],
        ["samples", "payloads", "--config", "no-such.yaml", "--out", "-", "x.log"],
        ["samples", "payloads", "--config", AWS_CONFIG, "--env", "JUSTANAME", "--out", "-", "x.log"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Usage and input errors: exit 2, a single line on stderr, nothing written."""
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    assert code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
