"""The sample generator (efklab.samples.generate): deterministic, realistic container log files with their truth."""
from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.errors import UsageError
from efklab.samples.applogs import format_app_clock
from efklab.samples.generate import (
    RUNTIME_SPLIT_BYTES,
    Line,
    SampleSpec,
    encode_docker_string,
    format_rfc3339nano,
    generate_containers,
    render_cri_line,
    render_docker_line,
    render_log,
    split_runtime_line,
    truth_rows,
)

SEED_START = re.compile(r"\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]")  # the seed's multiline_start_regexp
FILE_NAME = re.compile(r"^[a-z0-9-]+-[b-z2-9]{10}-[b-z2-9]{5}_[a-z0-9-]+_[a-z0-9-]+-[0-9a-f]{64}\.log$")
DOCKER_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?Z$")
SMALL = SampleSpec(seed=7, events=1200, days=40)


@pytest.fixture(scope="module")
def logs():  # type: ignore[no-untyped-def]
    return generate_containers(SMALL)


def _all_lines(logs):  # type: ignore[no-untyped-def]
    return [(log, n, line) for log in logs for n, line in enumerate(log.lines, start=1)]


def test_same_seed_gives_identical_bytes() -> None:
    """Two runs with the same spec render byte-identical files."""
    first = {log.file_name: render_log(log) for log in generate_containers(SMALL)}
    second = {log.file_name: render_log(log) for log in generate_containers(SMALL)}
    assert first == second


def test_another_seed_gives_other_files() -> None:
    """The seed matters: another seed gives other pods and lines."""
    other = {log.file_name for log in generate_containers(SampleSpec(seed=8, events=1200))}
    assert other.isdisjoint(log.file_name for log in generate_containers(SMALL))


def test_file_names_follow_the_kubelet_pattern(logs) -> None:  # type: ignore[no-untyped-def]
    """Every file is /var/log/containers/<pod>_<namespace>_<container>-<64 hex>.log."""
    assert all(FILE_NAME.match(log.file_name) for log in logs), [log.file_name for log in logs]


def test_cluster_has_several_namespaces_pods_and_containers(logs) -> None:  # type: ignore[no-untyped-def]
    """Several namespaces, several containers, and a deployment with more than one replica."""
    assert len({log.namespace for log in logs}) >= 3
    assert len({log.container for log in logs}) >= 6
    assert max(Counter(log.container for log in logs).values()) >= 2


def test_statement_count_is_exactly_the_events_asked_for(logs) -> None:  # type: ignore[no-untyped-def]
    """--events counts logical statements across all containers."""
    assert sum(len(log.statements) for log in logs) == SMALL.events


def test_truth_partitions_every_file(logs) -> None:  # type: ignore[no-untyped-def]
    """Each physical line belongs to exactly one statement."""
    for log in logs:
        numbers = sorted(n for s in log.statements for n in s.lines)
        assert numbers == list(range(1, len(log.lines) + 1))


def test_docker_lines_are_json_file_records(logs) -> None:  # type: ignore[no-untyped-def]
    """log/stream/time in Docker's order; log ends with a newline unless a 16 KiB piece; time is RFC3339Nano UTC."""
    for log in logs:
        for raw, line in zip(render_log(log).splitlines(), log.lines, strict=True):
            record = json.loads(raw)
            assert list(record) == ["log", "stream", "time"]
            assert record["stream"] in ("stdout", "stderr")
            assert DOCKER_TIME.match(record["time"]), record["time"]
            assert record["log"].endswith("\n") is line.final
            assert line.final or len(record["log"].encode()) == RUNTIME_SPLIT_BYTES


def test_times_never_go_backwards_within_a_file(logs) -> None:  # type: ignore[no-untyped-def]
    """The runtime stamps lines in the order it writes them."""
    for log in logs:
        times = [line.time_ns for line in log.lines]
        assert times == sorted(times)


def test_stdout_and_stderr_are_interleaved(logs) -> None:  # type: ignore[no-untyped-def]
    """Some files carry both streams, and some stderr traces have a stdout line in between."""
    assert any({line.stream for line in log.lines} == {"stdout", "stderr"} for log in logs)
    assert any(s.interleaved for log in logs for s in log.statements)


def test_java_heads_match_the_seed_regex_and_continuations_do_not(logs) -> None:  # type: ignore[no-untyped-def]
    """Stack-trace statements start with a (L) hh:mm:ss[ms] head; their other lines never match it."""
    traces = [(log, s) for log in logs for s in log.statements if s.kind == "stacktrace"]
    assert len(traces) >= 10
    for log, statement in traces:
        texts = [log.lines[n - 1].text for n in statement.lines if log.lines[n - 1].stream == statement.stream]
        assert SEED_START.match(texts[0])
        assert not any(SEED_START.search(t) for t in texts[1:])
        assert any(t.startswith("\tat ") for t in texts[1:])


def test_trace_lines_are_written_microseconds_apart(logs) -> None:  # type: ignore[no-untyped-def]
    """Consecutive lines of one statement are at most 40 us apart, so most share their head's millisecond."""
    same_ms = total = 0
    for log in logs:
        for statement in log.statements:
            if statement.kind != "stacktrace" or statement.interleaved:
                continue
            times = [log.lines[n - 1].time_ns for n in statement.lines]
            assert all(0 < b - a <= 40_000 for a, b in itertools.pairwise(times))
            same_ms += sum(t // 10**6 == times[0] // 10**6 for t in times[1:])
            total += len(times) - 1
    assert same_ms / total > 0.5


def test_seed_example_line_shapes_are_present(logs) -> None:  # type: ignore[no-untyped-def]
    """The seed's four shapes: time-only, (T) head, bare text, time-only continuation."""
    texts = [line.text for log in logs if log.app == "legacy-batch" for line in log.lines]
    assert any(re.match(r"^\(T\) \d{2}:\d{2}:\d{2}\[\d{3}\] ", t) for t in texts)
    assert any(re.match(r"^\d{2}:\d{2}:\d{2}\[\d{3}\] ", t) for t in texts)
    assert any(t == "logdata~~~~~~" or not re.match(r"^[\d(]", t) for t in texts)


def test_json_apps_write_one_object_per_line_with_nesting(logs) -> None:  # type: ignore[no-untyped-def]
    """JSON apps' lines parse as objects with nested objects, numbers and arrays."""
    objects = [json.loads(line.text) for log in logs if log.app in ("fraud-scorer", "notification-worker")
               for line in log.lines if line.text.startswith("{") and line.final]
    assert len(objects) > 50
    assert any(isinstance(v, dict) for o in objects for v in o.values())
    assert any(isinstance(v, list) for o in objects for v in o.values())
    assert any(isinstance(v, float) for o in objects for v in o.values())
    assert any(isinstance(v, int) and v > 2**53 for o in objects for v in o.values())


def test_app_clock_is_kst_and_not_after_the_runtime_stamp(logs) -> None:  # type: ignore[no-untyped-def]
    """A head's printed hh:mm:ss[ms] is UTC+9 and at most 1 s before the runtime's timestamp."""
    for log in logs:
        for statement in log.statements:
            line = log.lines[statement.lines[0] - 1]
            m = re.match(r"^\([DETI]\) (\d{2}:\d{2}:\d{2}\[\d{3}\])", line.text)
            if m:
                candidates = {format_app_clock(line.time_ns - d, 9 * 3600) for d in range(0, 10**9, 10**6)}
                assert m.group(1) in candidates


def test_set_outlives_a_30_day_retention_with_the_bulk_recent(logs) -> None:  # type: ignore[no-untyped-def]
    """40 days: a handful of statements on every old day, the bulk in the last three days."""
    per_day = Counter(
        datetime.fromtimestamp(log.lines[s.lines[0] - 1].time_ns // 10**9, tz=UTC).date()
        for log in logs for s in log.statements
    )
    assert len(per_day) == 40 and (max(per_day) - min(per_day)).days == 39
    last = max(per_day)
    old = {d: n for d, n in per_day.items() if (last - d).days >= 3}
    assert len(old) == 37 and all(1 <= n <= 2 * SMALL.old_day_events for n in old.values())
    assert sum(old.values()) / SMALL.events < 0.25


def test_cri_lines_carry_the_same_content_without_json() -> None:
    """CRI: '<time> <stream> <P|F> <content>', content exactly the app's text, no trailing newline inside."""
    logs = generate_containers(SampleSpec(seed=3, events=300, days=2, recent_days=2, format="cri"))
    for log in logs:
        for raw, line in zip(render_log(log, "cri").splitlines(), log.lines, strict=True):
            time_text, stream, tag, content = raw.split(" ", 3)
            assert (stream, tag, content) == (line.stream, "F" if line.final else "P", line.text)
            assert DOCKER_TIME.match(time_text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\tat x\n", '"\\u0009at x\\n"'),
        ("a<b>&c", '"a\\u003cb\\u003e\\u0026c"'),
        ('say "hi" \\ 주문', '"say \\"hi\\" \\\\ 주문"'),
        ("cr\r", '"cr\\r"'),
        ("\u2028", '"\\u2028"'),
    ],
)
def test_docker_string_escaping(text: str, expected: str) -> None:
    """Docker's json-file encoder: tab, <, >, & as \\u00XX; UTF-8 kept; U+2028 escaped."""
    assert encode_docker_string(text) == expected
    assert json.loads(expected) == text


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        (1619575744301123456, "2021-04-28T02:09:04.301123456Z"),
        (1619575744301000000, "2021-04-28T02:09:04.301Z"),
        (1619575744000000000, "2021-04-28T02:09:04Z"),
        (1619575744300000010, "2021-04-28T02:09:04.30000001Z"),
    ],
)
def test_rfc3339nano_trims_trailing_zeros(ns: int, expected: str) -> None:
    """Go's RFC3339Nano, as both runtimes write it."""
    assert format_rfc3339nano(ns) == expected


def test_long_lines_are_split_into_16k_pieces() -> None:
    """Lines over 16 KiB become pieces of at most 16 KiB; Docker omits the newline and CRI tags P on all but the
    last."""
    text = "x" * 40000
    pieces = split_runtime_line(text)
    assert "".join(pieces) == text
    assert all(len(p.encode()) <= RUNTIME_SPLIT_BYTES for p in pieces)
    assert render_docker_line(Line(0, "stdout", pieces[0], final=False)).startswith('{"log":"xxx')
    assert '\\n"' not in render_docker_line(Line(0, "stdout", pieces[0], final=False))
    assert render_cri_line(Line(0, "stdout", pieces[0], final=False)).split(" ")[2] == "P"


def test_split_never_cuts_a_utf8_character() -> None:
    """A multi-byte character on a piece boundary moves to the next piece whole."""
    text = "가" * 9000  # 3 bytes each
    assert "".join(split_runtime_line(text)) == text


def test_truth_rows_name_file_lines_kind_and_stream(logs) -> None:  # type: ignore[no-untyped-def]
    """truth rows are JSON-ready and point into containers/<file>."""
    rows = list(truth_rows(logs))
    assert len(rows) == SMALL.events
    assert rows[0]["file"].startswith("containers/") and rows[0]["lines"][0] == 1
    json.dumps(rows)


@pytest.mark.parametrize(
    "spec",
    [
        SampleSpec(format="syslog"),
        SampleSpec(events=0),
        SampleSpec(days=0),
        SampleSpec(events=100, days=40, old_day_events=6),
        SampleSpec(start=datetime(2021, 4, 1)),
    ],
)
def test_unusable_specs_are_refused(spec: SampleSpec) -> None:
    """Bad options fail fast with a usage error, before anything is generated."""
    with pytest.raises(UsageError):
        generate_containers(spec)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), events=st.integers(20, 200), days=st.integers(1, 5))
def test_any_spec_gives_a_partition_of_exactly_n_statements(seed: int, events: int, days: int) -> None:
    """For any seed and size: exactly N statements, each line in exactly one."""
    logs = generate_containers(SampleSpec(seed=seed, events=events, days=days, recent_days=days, old_day_events=0))
    assert sum(len(log.statements) for log in logs) == events
    for log in logs:
        assert sorted(n for s in log.statements for n in s.lines) == list(range(1, len(log.lines) + 1))
