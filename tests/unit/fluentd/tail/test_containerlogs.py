"""Container log readers: what in_tail + <parse> emit for docker, CRI and text lines, and what they drop."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.errors import ConfigError, InputError
from efklab.fluentd.config.find import ParseSpec
from efklab.fluentd.tail.containerlogs import (
    CRI_PARSE,
    SEED_PARSE,
    TEXT_PARSE,
    FluentRecord,
    chomp,
    detect_format,
    fluentd_tag,
    kubernetes_metadata,
    make_line_parser,
    parse_lines,
    read_chunks,
    read_records,
    ruby_inspect,
)
from efklab.fluentd.tail.survey import survey_log
from efklab.model import Reject

CID = "8918eb5d18e2e03a761ae9db18435bf10a7ad4b48159d566102307b542562991"
FILE = f"cart-api-mjld6jphhb-6xdpt_shop_cart-api-{CID}.log"
TAG = f"var.log.containers.{FILE}"


def docker(log: str, time: str = "2021-04-28T11:09:05.002Z", stream: str = "stdout") -> str:
    return json.dumps({"log": log, "stream": stream, "time": time}) + "\n"


def write(tmp_path: Path, lines: list[str], name: str = FILE) -> str:
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def test_docker_line_becomes_log_and_stream_with_time_removed(tmp_path: Path) -> None:
    """The seed's <parse> @type json: `time` becomes the event time and leaves the record."""
    path = write(tmp_path, [docker("(T) 11:09:04[301] logdata\n")])
    assert list(read_records(path)) == [FluentRecord(TAG, 1619608145002000000,
                                                     {"log": "(T) 11:09:04[301] logdata\n", "stream": "stdout"},
                                                     path, 1)]


@pytest.mark.parametrize(("time", "ns"), [("2021-04-28T11:09:05.64792455Z", 1619608145647924550),
                                          ("2021-04-28T11:09:05.1Z", 1619608145100000000),
                                          ("2021-04-28T11:09:05.123456789Z", 1619608145123456789)])
def test_docker_trimmed_fractions_parse_to_nanoseconds(tmp_path: Path, time: str, ns: int) -> None:
    """Docker trims trailing zeros of RFC3339Nano; %N reads however many digits there are."""
    [record] = read_records(write(tmp_path, [docker("x\n", time)]))
    assert isinstance(record, FluentRecord) and record.time_ns == ns


def test_time_without_fraction_is_dropped_with_fluentds_warning(tmp_path: Path) -> None:
    """`...:05Z` does not fit %S.%NZ: fluentd logs "invalid time format" and drops the line."""
    [reject] = read_records(write(tmp_path, [docker("x\n", "2021-04-28T11:09:05Z")]))
    assert isinstance(reject, Reject) and reject.position == 1
    assert reject.reason == ("invalid line found: invalid time format: value = 2021-04-28T11:09:05Z, "
                             "error_class = ArgumentError, error = string doesn't match")


def test_cri_lines_under_the_seeds_json_parse_are_all_dropped(tmp_path: Path) -> None:
    """The seed's json <parse> on a containerd node: every line is "pattern not matched"."""
    path = write(tmp_path, ["2021-04-28T11:09:05.002Z stdout F (T) 11:09:04[301] x\n"])
    [reject] = read_records(path, parse=SEED_PARSE)
    assert isinstance(reject, Reject)
    assert reject.reason == 'pattern not matched: "2021-04-28T11:09:05.002Z stdout F (T) 11:09:04[301] x"'
    assert (reject.source, reject.position, reject.stage) == (path, 1, "parse")


def test_cri_lines_read_with_the_aws_regexp(tmp_path: Path) -> None:
    """CRI lines through AWS's regexp parser: stream, logtag and log (no trailing newline)."""
    path = write(tmp_path, ["2016-10-06T00:17:09.669794202Z stdout F log content 1\n"])
    [record] = read_records(path)
    assert isinstance(record, FluentRecord)
    assert (record.time_ns, record.record) == (1475713029669794202,
                                               {"stream": "stdout", "logtag": "F", "log": "log content 1"})


def test_cri_partial_lines_join_when_asked(tmp_path: Path) -> None:
    """P parts join with their F line per stream, as the runtime's reader does; order kept."""
    path = write(tmp_path, ["2016-10-06T00:17:09.1Z stdout P part one \n", "2016-10-06T00:17:09.2Z stderr F err\n",
                            "2016-10-06T00:17:09.3Z stdout F and two\n"])
    joined = [(r.lineno, r.record["log"]) for r in read_records(path, join_partials=True)]
    assert joined == [(2, "err"), (1, "part one and two")]
    assert len(list(read_records(path))) == 3


def test_plain_text_uses_the_none_parser(tmp_path: Path) -> None:
    """Plain text lines become {"message": line} stamped with the given read time."""
    path = write(tmp_path, ["hello\n", "world"], name="app.log")
    got = [(r.record, r.time_ns, r.lineno) for r in read_records(path, now_ns=7)]
    assert got == [({"message": "hello"}, 7, 1), ({"message": "world"}, 7, 2)]


def test_crlf_is_chomped_like_ruby(tmp_path: Path) -> None:
    """in_tail chomps "\\r\\n" as well as "\\n"."""
    path = write(tmp_path, ["a\r\n"], name="app.log")
    assert [r.record for r in read_records(path, parse=TEXT_PARSE)] == [{"message": "a"}]


def test_unicode_and_escapes_survive(tmp_path: Path) -> None:
    """Non-ASCII text and JSON escapes decode as fluentd's JSON parser does."""
    path = write(tmp_path, ['{"log":"정산 \\u00e9\\t\\n","stream":"stderr","time":"2021-04-28T11:09:05.0Z"}\n'])
    [record] = read_records(path)
    assert isinstance(record, FluentRecord) and record.record == {"log": "정산 é\t\n", "stream": "stderr"}


def test_missing_time_field_gets_the_read_time(tmp_path: Path) -> None:
    """A JSON line without `time` is stamped with the current (given) time, as fluentd does."""
    path = write(tmp_path, ['{"log":"x\\n"}\n'])
    assert [r.time_ns for r in read_records(path, now_ns=42)] == [42]


def test_regexp_parse_with_time_format_and_kept_time(tmp_path: Path) -> None:
    """A regexp <parse> keeps named groups; keep_time_key keeps the time field too."""
    parse = ParseSpec(type="regexp", expression=r"^(?<time>\S+) (?<level>[A-Z]+) (?<msg>.*)$",
                      time_format="%Y-%m-%d_%H:%M:%S", keep_time_key=True)
    lines = ["2021-04-28_11:09:05 INFO started", "no match here"]
    items = list(parse_lines(lines, source="f", tag="t", parse=parse))
    assert items[0] == FluentRecord("t", 1619608145000000000,
                                    {"time": "2021-04-28_11:09:05", "level": "INFO", "msg": "started"}, "f", 1)
    assert isinstance(items[1], Reject) and items[1].reason == 'pattern not matched: "no match here"'


def test_unsupported_parser_type_is_a_config_error() -> None:
    """A <parse> efklab does not emulate is refused up front, not guessed."""
    with pytest.raises(ConfigError, match="syslog"):
        list(parse_lines(["x"], source="f", tag="t", parse=ParseSpec(type="syslog")))


def test_missing_log_file_is_an_input_error(tmp_path: Path) -> None:
    """An unreadable log file is an InputError naming it."""
    with pytest.raises(InputError):
        read_records(str(tmp_path / "missing.log"))


@pytest.mark.parametrize(("lines", "fmt"), [([docker("x\n")], "docker"),
                                            (["2016-10-06T00:17:09.669794202Z stdout P x\n"], "cri"),
                                            (["\n", "2016-10-06T00:17:09Z stderr F:x y\n"], "cri"),
                                            (["plain text\n"], "text"), (["{not json\n"], "text"), ([], "text")])
def test_detect_format_from_first_lines(lines: list[str], fmt: str) -> None:
    """docker (JSON objects), cri (`<time> <stream> <P|F>`), otherwise text."""
    assert detect_format(lines) == fmt


def test_kubernetes_metadata_from_the_file_name() -> None:
    """<pod>_<namespace>_<container>-<64 hex id>.log, as kubernetes_metadata reads it."""
    meta = kubernetes_metadata(f"/var/log/containers/{FILE}")
    assert meta is not None
    assert (meta.pod, meta.namespace, meta.container, meta.container_id) == ("cart-api-mjld6jphhb-6xdpt", "shop",
                                                                             "cart-api", CID)
    assert kubernetes_metadata("app.log") is None


@pytest.mark.parametrize(("tag", "expected"), [("*", TAG), ("kube.*", f"kube.{TAG}"), ("fixed", "fixed"),
                                               ("*.app", f"{TAG}.app"), ("a.*.b.*.c", f"a.{TAG}.b."),
                                               ("k8s.**", f"k8s.{TAG}")])
def test_tail_tag_expands_star_with_the_container_path(tag: str, expected: str) -> None:
    """`tag *` under /var/log/containers gives var.log.containers.<file name>; prefix/suffix as Ruby's split('*')."""
    assert fluentd_tag(f"some/local/dir/{FILE}", tag) == expected


def test_ruby_inspect_quotes_like_fluentds_warning() -> None:
    """Lines in warnings are quoted as Ruby's String#inspect does."""
    assert ruby_inspect('a"b\\c\t\x01#{x}') == '"a\\"b\\\\c\\t\\u0001\\#{x}"'
    assert ruby_inspect("x\u2028\u00a0\udcff\x7f") == '"x\\u2028\u00a0\\xFF\\u007F"'


def test_survey_reports_unjoined_docker_splits(tmp_path: Path) -> None:
    """Docker 16 KiB split chunks (no trailing newline) are reported as a condition."""
    path = write(tmp_path, [docker("x" * 16384), docker("rest\n"), docker("ok\n")])
    survey = survey_log(path)
    assert (survey.format, survey.unterminated, survey.unterminated_count) == ("docker", (1,), 1)
    assert any(c.startswith("docker 16 KiB split lines left unjoined") for c in survey.conditions)


def test_survey_reports_a_parse_that_does_not_fit(tmp_path: Path) -> None:
    """The seed's json <parse> over CRI lines: the mismatch is named, with the drop count."""
    path = write(tmp_path, ["2016-10-06T00:17:09.1Z stdout F a\n", "2016-10-06T00:17:09.2Z stdout F b\n"])
    survey = survey_log(path, parse=SEED_PARSE)
    assert (survey.format, survey.records, survey.rejects) == ("cri", 0, 2)
    assert "does not fit these cri lines: 2 of 2 lines" in survey.conditions[0]
    assert survey_log(path, parse=CRI_PARSE).conditions == ()


_LINE = st.one_of(st.text(max_size=30).map(lambda s: s.replace("\n", "")),
                  st.builds(lambda s: docker(s)[:-1], st.text(max_size=20)))


@given(st.lists(_LINE, max_size=30), st.sampled_from([SEED_PARSE, CRI_PARSE, TEXT_PARSE]))
def test_every_line_ends_in_exactly_one_record_or_reject_in_order(lines: list[str], parse: ParseSpec) -> None:
    """Conservation: one outcome per input line, in file order, carrying its line number."""
    items = list(parse_lines([line + "\n" for line in lines], source="f", tag="t", parse=parse))
    positions = [i.lineno if isinstance(i, FluentRecord) else i.position for i in items]
    assert positions == list(range(1, len(lines) + 1))


def test_multi_format_takes_the_first_pattern_that_parses() -> None:
    """<parse> @type multi_format: docker JSON or CRI lines, whichever <pattern> reads the line."""
    from efklab.fluentd.config.find import find_sources, parse_config_text

    text = ("<source>\n  @type tail\n  <parse>\n    @type multi_format\n    <pattern>\n      format json\n"
            "      time_format %Y-%m-%dT%H:%M:%S.%NZ\n    </pattern>\n    <pattern>\n"
            "      format /^(?<time>.+) (?<stream>stdout|stderr) [^ ]* (?<log>.*)$/\n"
            "      time_format %Y-%m-%dT%H:%M:%S.%N%:z\n    </pattern>\n  </parse>\n</source>\n")
    parse = find_sources(parse_config_text(text))[0].parse
    assert parse is not None and [p.type for p in parse.patterns] == ["json", "regexp"]
    lines = [docker("a\n"), "2021-04-28T11:09:05.5Z stderr F b\n", "neither\n"]
    items = list(parse_lines(lines, source="f", tag="t", parse=parse))
    assert [i.record if isinstance(i, FluentRecord) else i.reason for i in items] == [
        {"log": "a\n", "stream": "stdout"}, {"stream": "stderr", "log": "b"}, 'pattern not matched: "neither"']


def test_emit_unmatched_lines_keeps_them_as_records() -> None:
    """With emit_unmatched_lines, a line the parser cannot read is emitted as {"unmatched_line": ...}."""
    parse = ParseSpec(type="json", time_format="%Y-%m-%dT%H:%M:%S.%NZ", emit_unmatched_lines=True)
    items = list(parse_lines(["2021-04-28T11:09:05.5Z stdout F x\n"], source="f", tag="t", parse=parse, now_ns=9))
    assert items == [FluentRecord("t", 9, {"unmatched_line": "2021-04-28T11:09:05.5Z stdout F x"}, "f", 1)]


# --- the docker fast path reads exactly what the json module reads ------------------------------
_TIMES = st.one_of(
    st.builds(lambda s, f: f"2021-04-28T11:09:{s:02d}{f}Z", st.integers(0, 61),
              st.sampled_from(["", ".", ".5", ".64792455", ".123456789", ".1234567891", ".²", ".٣", ".+5", ". 5"])),
    st.sampled_from(["2021-04-28T11:09:05.1z", "2021-04-28T11:09:05.1+00:00", "2021-13-28T11:09:05.1Z",
                     "1970-01-01T00:00:00.5Z", "２０21-04-28T11:09:05.1Z", "", "yesterday"]),
    st.integers(-2**70, 2**70), st.floats(allow_nan=False), st.none())
_VALUES = st.one_of(st.text(max_size=8), st.integers(-2**70, 2**70), st.floats(allow_nan=False), st.none(),
                    st.lists(st.integers(), max_size=2), st.just("\ud800"))


@st.composite
def _docker_lines(draw: st.DrawFn) -> str:
    """Docker-like lines, mostly well formed, with the traps orjson and json read differently."""
    record = {"log": draw(st.one_of(st.text(max_size=12), _VALUES)),
              "stream": draw(st.sampled_from(["stdout", "stderr", 7])), "time": draw(_TIMES)}
    if draw(st.booleans()):
        record = dict(draw(st.permutations(list(record.items()))))
    if draw(st.integers(0, 4)) == 0:
        record[draw(st.sampled_from(["attrs", "time", "log", "x"]))] = draw(_VALUES)
    if draw(st.integers(0, 6)) == 0:
        del record[draw(st.sampled_from(["time", "log", "stream"]))]
    text = json.dumps(record, ensure_ascii=draw(st.booleans()),
                      separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    text = draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " ", "\r", "\x0c", "}", " x"]))
    return draw(st.one_of(st.just(text), st.just(text[: len(text) // 2]),
                          st.just('{"log":"a","stream":"b","time":NaN}'),
                          st.just('{"log":"\\ud800","stream":"s","time":"2021-04-28T11:09:05.1Z"}'),
                          st.just('{"log":"a\udc80","stream":"s","time":"2021-04-28T11:09:05.1Z"}'),
                          st.text(max_size=10))
                .map(lambda line: line.replace("\n", "")))


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(_docker_lines(), max_size=12), keep=st.booleans(),
       fmt=st.sampled_from([SEED_PARSE.time_format, None]))
def test_docker_lines_read_as_the_json_module_reads_them(lines: list[str], keep: bool, fmt: str | None) -> None:
    """The orjson fast path gives the same records, times and rejects as fluentd's json parser via the json module."""
    parse = ParseSpec(type="json", time_format=fmt, keep_time_key=keep)
    parse_line = make_line_parser(parse, now_ns=5)
    expected: list[FluentRecord | Reject] = []
    for n, line in enumerate(lines, 1):
        text = chomp(line + "\n")
        result = parse_line(text)
        expected.append(Reject("parse", result, "f", n, text) if isinstance(result, str)
                        else FluentRecord("t", result[0], result[1], "f", n))
    got = list(parse_lines([line + "\n" for line in lines], source="f", tag="t", parse=parse, now_ns=5))
    assert [repr(i) for i in got] == [repr(i) for i in expected]


def test_a_non_ascii_digit_in_the_fraction_is_a_bad_time_not_a_crash(tmp_path: Path) -> None:
    """`.²Z` or `.٣Z` do not fit %N (ASCII digits): fluentd drops the line with its warning."""
    items = list(read_records(write(tmp_path, [docker("x\n", "2021-04-28T11:09:05.²Z"),
                                               docker("y\n", "2021-04-28T11:09:05.٣Z")])))
    assert [type(i) for i in items] == [Reject, Reject]
    assert all("invalid time format" in i.reason for i in items if isinstance(i, Reject))


def test_chunks_hold_records_and_rejects_in_columns(tmp_path: Path) -> None:
    """A chunk's records keep their line numbers beside the rejects; items() restores file order."""
    path = write(tmp_path, [docker("a\n"), "junk\n", docker("b\n"), docker("c\n", "bad")])
    [chunk] = read_chunks(path)
    assert ((chunk.first_lineno, [r["log"] for r in chunk.records], [r.position for r in chunk.rejects])
            == (1, ["a\n", "b\n"], [2, 4]))
    assert [(type(i).__name__, i.lineno if isinstance(i, FluentRecord) else i.position) for i in chunk.items()] == [
        ("FluentRecord", 1), ("Reject", 2), ("FluentRecord", 3), ("Reject", 4)]
