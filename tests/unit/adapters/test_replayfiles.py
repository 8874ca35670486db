"""The files a replay keeps and counts: checkpoints read strictly, paths probed before sending, records counted."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from efklab.adapters.payloadfiles import count_payload_records, iter_payload_records
from efklab.adapters.replayfiles import DeadLetterFile, check_writable, load_checkpoint
from efklab.errors import EfklabError, InputError, UsageError
from efklab.testing import lambda_event, make_event, make_payload


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (bytes(range(256)), "not UTF-8 text at byte 128"),
        (b"[" * 100_000, "JSON nested too deep"),
        (b"\x00\x00\x00", "not JSON"),
        (b"[1, 2]", "not an efklab replay checkpoint"),
        (b'{"format": "efklab-replay-checkpoint/1"}', "inputs is missing"),
    ],
)
def test_a_checkpoint_that_is_no_checkpoint_is_one_usage_error(tmp_path: Path, content: bytes, reason: str) -> None:
    """Binary, deeply nested, not JSON, wrong shape: a UsageError naming the file, never a traceback."""
    path = tmp_path / "cp.json"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=reason) as info:
        load_checkpoint(str(path))
    assert str(info.value).startswith(f"{path}: ")


def test_a_missing_checkpoint_means_a_fresh_start_and_a_directory_is_refused(tmp_path: Path) -> None:
    """No file yet: None; a directory in its place: an error naming it."""
    assert load_checkpoint(str(tmp_path / "none.json")) is None
    with pytest.raises(UsageError, match="is a directory"):
        load_checkpoint(str(tmp_path))


def test_paths_are_probed_for_writing_and_left_as_they_were(tmp_path: Path) -> None:
    """A missing folder or a directory is refused; a writable path passes and no file is left behind."""
    with pytest.raises(InputError, match="does not exist"):
        check_writable(str(tmp_path / "missing" / "cp.json"), what="checkpoint")
    with pytest.raises(UsageError, match="is a directory"):
        check_writable(str(tmp_path), what="checkpoint")
    check_writable(str(tmp_path / "cp.json"), what="checkpoint")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "dl.jsonl").write_text("kept\n")
    check_writable(str(tmp_path / "dl.jsonl"), what="dead-letter file")
    assert (tmp_path / "dl.jsonl").read_text() == "kept\n"


def test_a_dead_letter_with_a_lone_surrogate_stays_valid_utf8(tmp_path: Path) -> None:
    """A document holding a lone surrogate is written escaped, so the file stays readable JSON lines."""
    letters = DeadLetterFile(str(tmp_path / "dl.jsonl"))
    letters.write({"document": {"log": "bad \ud800 half"}})
    letters.close()
    (line,) = (tmp_path / "dl.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["document"]["log"] == "bad \ud800 half"


def payload_line(n: int) -> str:
    return json.dumps(lambda_event(make_payload([make_event(f"line {n}", sequence=n)])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["payload", "blank", "junk"]), max_size=12), st.booleans(), st.booleans())
def test_records_are_counted_as_the_replay_reads_them(tmp_path: Path, lines: list[str], gz: bool,
                                                      pretty: bool) -> None:
    """JSON lines with blank lines and junk, pretty-printed files, gzip: the cheap count equals the records read."""
    text = [payload_line(n) if kind == "payload" else "  " if kind == "blank" else "{not json"
            for n, kind in enumerate(lines)]
    body = ("[\n" + ",\n".join(payload_line(n) for n in range(len(lines))) + "\n]\n") if pretty else "\n".join(text)
    path = tmp_path / ("p.json.gz" if gz else "p.json")
    data = body.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    assert count_payload_records([str(path)]) == sum(1 for _ in iter_payload_records([str(path)]))


def test_a_truncated_gzip_counts_its_records_and_the_break(tmp_path: Path) -> None:
    """A gzip cut short: the lines before the break, plus the one record that says it broke."""
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(payload_line(n) for n in range(50)).encode())[:-200])
    try:
        expected = sum(1 for _ in iter_payload_records([str(path)]))
    except EfklabError:
        pytest.fail("reading a truncated gzip must yield a reject, not raise")
    assert count_payload_records([str(path)]) == expected
