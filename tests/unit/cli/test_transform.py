"""``efklab transform``: output, exit codes and one-line messages, as scripts and CI see them."""
from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from efklab.cli import main
from efklab.cloudwatch.payloads import decode_payload, to_lambda_event
from efklab.lambda_.transform import TransformOptions, render_bulk, transform_payload
from efklab.testing import make_control_payload, make_event, make_payload

GOOD = make_payload([{"log": "hello\n", "stream": "stdout"}, "plain text", 'x {"n":1.5}'])
SHORT_GROUP = make_payload(["x"], log_group="/aws/lambda/echo")


def _expected(payload: dict[str, Any], mode: str) -> bytes:
    actions, _ = transform_payload(decode_payload(payload), TransformOptions(mode=mode))
    return render_bulk(actions).encode()


def _write(path: Path, *records: Any) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def _run(capfdbinary: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, bytes, list[str]]:
    code = main(["transform", *argv])
    out, err = capfdbinary.readouterr()
    return code, out, err.decode().splitlines()


def test_seed_mode_writes_the_seeds_bulk_body(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """Lambda events in, the seed's _bulk bytes out, exit 0, a summary line on stderr."""
    path = _write(tmp_path / "in.jsonl", to_lambda_event(GOOD), GOOD)
    code, out, err = _run(capfdbinary, "--mode", "seed", str(path))
    assert code == 0
    assert out == _expected(GOOD, "seed") * 2
    assert err == ["efklab transform: 2 payloads (0 control messages), 6 events -> 6 actions, 0 rejects"]


def test_default_mode_writes_actions_opensearch_accepts(tmp_path: Path,
                                                        capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """The default mode has no _type and validated index names."""
    code, out, _ = _run(capfdbinary, str(_write(tmp_path / "in.jsonl", GOOD)))
    assert code == 0 and out == _expected(GOOD, "opensearch") and b'"_type"' not in out


def test_stdin_is_read_with_a_dash() -> None:
    """`-` reads stdin (a pipe), gzip or not."""
    data = gzip.compress((json.dumps(GOOD) + "\n").encode())
    done = subprocess.run([sys.executable, "-m", "efklab", "transform", "--mode", "seed", "-"], input=data,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == _expected(GOOD, "seed")


def test_bad_records_are_reported_by_file_and_line_and_skipped(tmp_path: Path,
                                                               capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """Every bad-input class is one FILE:LINE: reason line; the good payloads are still transformed; exit 2."""
    gz = gzip.compress(json.dumps(GOOD).encode())
    path = _write(
        tmp_path / "mixed.jsonl",
        GOOD,
        {"awslogs": {"data": "not*base64"}},
        {"awslogs": {"data": base64.b64encode(b"plain bytes").decode()}},
        {"awslogs": {"data": base64.b64encode(gz[:-20]).decode()}},
        '{"messageType": "DATA_MESSAGE", ',
        {**GOOD, "logGroup": 7},
        "\x00\x01\x02binary\x03",
        GOOD,
    )
    code, out, err = _run(capfdbinary, "--mode", "seed", str(path))
    assert code == 2
    assert out == _expected(GOOD, "seed") * 2
    assert err[:-1] == [
        f"{path}:2: awslogs.data is not base64 (character '*' at offset 3)",
        f"{path}:3: awslogs.data is not gzip data (starts with bytes 706c6169, expected 1f8b)",
        f"{path}:4: awslogs.data is truncated gzip data (unexpected end of file)",
        f"{path}:5: record is not valid JSON (Expecting property name enclosed in double quotes at line 1 column 33)",
        f"{path}:6: logGroup must be a string, got number",
        f"{path}:7: binary data, not a JSON record or base64 gzip payload",
    ]
    assert err[-1] == "efklab transform: 2 payloads (0 control messages), 6 events -> 6 actions, 6 rejects (6 payload)"


def test_a_missing_file_is_one_line_and_no_output(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """Inputs are checked before anything is written."""
    good = _write(tmp_path / "good.jsonl", GOOD)
    code, out, err = _run(capfdbinary, str(good), str(tmp_path / "nope.jsonl"))
    assert (code, out) == (2, b"")
    assert err == [f"efklab transform: {tmp_path / 'nope.jsonl'}: no such file"]


def test_a_truncated_gzip_file_keeps_what_was_read(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """Records before the break are transformed; the break is reported with the file and line."""
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(("".join(json.dumps(GOOD) + "\n" for _ in range(100))).encode())[:-300])
    code, out, err = _run(capfdbinary, "--mode", "seed", str(path))
    assert code == 2 and out.count(b"\n") > 0
    assert err[0].startswith(f"{path}:") and "corrupt gzip file (truncated" in err[0]


def test_event_rejects_name_the_event_and_go_to_the_rejects_file(tmp_path: Path,
                                                                 capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """FILE:LINE:logEvents[i]: reason on stderr; every reject as JSON in --rejects."""
    throwing = make_payload([make_event("x", extracted_fields={"hasOwnProperty": "y"}), "fine"])
    path = _write(tmp_path / "in.jsonl", throwing, SHORT_GROUP)
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = _run(capfdbinary, "--rejects", str(rejects), str(path))
    assert code == 2 and out.count(b"\n") == 2
    assert err[0].startswith(f"{path}:1:logEvents[0]: extractedFields has its own key 'hasOwnProperty'")
    assert err[1].startswith(f"{path}:2:logEvents[0]: log group '/aws/lambda/echo' has no segment 5 (namespace)")
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["stage"], r["source"], r["position"]) for r in written] == [
        ("transform", str(path), "1:logEvents[0]"),
        ("index-name", str(path), "2:logEvents[0]"),
    ]
    assert written[0]["item"]["extractedFields"] == {"hasOwnProperty": "y"}


def test_control_messages_are_counted(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """CONTROL_MESSAGE payloads yield nothing and show in the summary."""
    code, out, err = _run(capfdbinary, str(_write(tmp_path / "in.jsonl", make_control_payload(), GOOD)))
    assert code == 0 and out == _expected(GOOD, "opensearch")
    assert err == ["efklab transform: 2 payloads (1 control message), 3 events -> 3 actions, 0 rejects"]


def test_many_rejects_are_capped_on_stderr(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """Twenty reject lines, then a count and a pointer to --rejects; --quiet leaves only the summary."""
    path = _write(tmp_path / "bad.jsonl", *["junk"] * 25)
    code, _, err = _run(capfdbinary, str(path))
    assert code == 2 and len(err) == 22
    assert err[20] == "... 5 more rejects not shown (write them all with --rejects FILE)"
    code, _, err = _run(capfdbinary, "--quiet", str(path))
    assert code == 2 and err == ["efklab transform: 0 payloads (0 control messages), 0 events -> 0 actions, 25 rejects "
                                 "(25 payload)"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--index-strategy", "{namespace}-{pod}"], "unknown field {pod}"),
        (["--index-strategy", "daily"], "unknown index strategy 'daily'"),
        (["--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--mode", "seed", "--tz", "Asia/Seoul"], "--tz applies to --mode opensearch only"),
        (["--prefix", "MyData"], "must be lowercase"),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes], argv: list[str],
                                   message: str) -> None:
    """Bad options exit 2 with one line naming the problem, before reading input."""
    code, out, err = _run(capfdbinary, *argv, str(_write(tmp_path / "in.jsonl", GOOD)))
    assert (code, out, len(err)) == (2, b"", 1)
    assert err[0].startswith("efklab transform: ") and message in err[0]


def test_help_describes_forms_modes_and_fields(capsys: pytest.CaptureFixture[str]) -> None:
    """--help names the input forms, both modes, the template fields and the exit codes."""
    with pytest.raises(SystemExit):
        main(["transform", "--help"])
    text = capsys.readouterr().out
    for needle in ("awslogs", "--mode seed", "--index-strategy", "{prefix}-{namespace}", "log_group_name",
                   "--rejects", "exit status"):
        assert needle in text
