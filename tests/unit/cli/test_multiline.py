"""``efklab multiline group|diff|filters`` as a user runs them: output shape, exit codes, messages."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from efklab.cli import main
from tests.conftest import FLUENTD_CORPUS, ROOT

SEED_CONFIG = ROOT / "data" / "samples" / "fluentd.yaml"
SEED = r"/\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]/"
AWS = r"/^(date:){0,1}\d{4}[-/]\d{1,2}[-/]\d{1,2}/"
APP_FILE = "myapp-5d8f7c9b4-x2x9k_default_myapp-0123456789abcdef.log"
SEED_LINES = ["11:09:04[301] logdata~~~~~~\n", "(T) 11:09:04[301] logdata~~~~~~\n", "logdata~~~~~~\n",
              "11:09:04[301] logdata~~~~~~\n"]
TIME = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z\Z")


def docker_log(path: Path, texts: list[str], *, start_ms: int = 301, stream: str = "stdout") -> Path:
    """A docker json-file log with one line per text, 1 ms apart."""
    with open(path, "w", encoding="utf-8") as out:
        for i, text in enumerate(texts):
            stamp = f"2021-04-28T11:09:04.{start_ms + i:03d}000000Z"
            out.write(json.dumps({"log": text, "stream": stream, "time": stamp}, ensure_ascii=False) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_group_with_the_seed_config_uses_the_containers_filter(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """--config on the seed's fluentd.yaml routes an app log to the @containers filter and groups it."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, out, err = run(capsys, "multiline", "group", "--config", str(SEED_CONFIG), str(log))
    assert code == 0
    assert "<label @containers>" in err
    got = events(out)
    assert [e["record"]["log"] for e in got] == [SEED_LINES[0], "".join(SEED_LINES[1:])]
    assert [e["route"] for e in got] == ["main", "timeout"]


def test_group_output_is_fluentd_stdout_shaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each line is {time, tag, route, record}: 9-digit UTC time, the in_tail tag, the parsed record without time."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES[:1])
    _, out, _ = run(capsys, "multiline", "group", "--config", str(SEED_CONFIG), str(log))
    (event,) = events(out)
    assert list(event) == ["time", "tag", "route", "record"]
    assert event["time"] == "2021-04-28T11:09:04.301000000Z" and TIME.match(event["time"])
    assert event["tag"] == f"var.log.containers.{APP_FILE}"
    assert event["record"] == {"log": SEED_LINES[0], "stream": "stdout"}


def test_group_writes_unicode_unescaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Non-ASCII text is written as UTF-8, not as \\u escapes (as fluentd's JSON does)."""
    log = docker_log(tmp_path / APP_FILE, ["(E) 11:09:04[301] 결제 실패 ✓\n"])
    _, out, _ = run(capsys, "multiline", "group", "--config", str(SEED_CONFIG), str(log))
    assert "결제 실패 ✓" in out


def test_group_routes_the_cloudwatch_agent_log_to_its_own_filter(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A cloudwatch-agent file is read by the @cwagentlogs source, whose filter has the date regexp."""
    log = docker_log(tmp_path / "cloudwatch-agent-abcde_amazon-cloudwatch_cloudwatch-agent-0123.log",
                     ["2021/04/28 11:09:04 start\n", "  detail\n"])
    code, out, err = run(capsys, "multiline", "group", "--config", str(SEED_CONFIG),
                         "--flush-timeouts", "off", str(log))
    assert code == 0 and "<label @cwagentlogs>" in err
    assert [e["record"]["log"] for e in events(out)] == ["2021/04/28 11:09:04 start\n  detail\n"]


def test_group_with_options_and_no_timeout_label_says_where_the_last_group_went(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """Without timeout_label the last group takes the error route, and stderr says fluentd drops it."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, out, err = run(capsys, "multiline", "group", "--start-regexp", SEED, "--separator", "",
                         "--flush-timeouts", "off", str(log))
    assert code == 0
    assert [e["route"] for e in events(out)] == ["main", "error"]
    assert "@ERROR" in err and "drops" in err


def test_group_with_flush_timeouts_off_stamps_the_rest_with_its_first_time(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """--flush-timeouts off flushes what is left as at shutdown: the group's first line's time."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    _, out, _ = run(capsys, "multiline", "group", "--config", str(SEED_CONFIG), "--flush-timeouts", "off", str(log))
    assert events(out)[-1]["time"] == "2021-04-28T11:09:04.302000000Z"


def test_group_refuses_config_and_rule_options_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--config with --start-regexp is a usage error: exit 2, one line."""
    code, out, err = run(capsys, "multiline", "group", "--config", str(SEED_CONFIG), "--start-regexp", SEED, "x.log")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "either --config or rule options" in err


def test_group_reports_an_invalid_regexp_as_fluentd_would(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A regexp fluentd refuses at startup is exit 2 with a one-line message."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, _, err = run(capsys, "multiline", "group", "--start-regexp", "/(unclosed/", str(log))
    assert code == 2
    assert err.startswith("efklab multiline: ") and len(err.strip().splitlines()) == 1


def test_group_picks_a_filter_by_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--filter cwagentlogs applies that label's filter even to an app log."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, out, err = run(capsys, "multiline", "group", "--config", str(SEED_CONFIG),
                         "--filter", "cwagentlogs", str(log))
    assert code == 0 and "@cwagentlogs" in err
    assert len(events(out)) == 4


def test_diff_of_the_seed_fix_shows_the_change_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The acceptance check: AWS date regexp -> seed regexp differs; the summary names the merge."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, out, _ = run(capsys, "multiline", "diff", "--old", AWS, "--new", SEED, "--separator", "", str(log))
    assert code == 1
    assert "groups merged" in out and "RESULT: grouping differs" in out
    assert "(T) 11:09:04[301] logdata" in out


def test_diff_json_is_machine_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints one JSON document with the counts and the clusters."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, out, _ = run(capsys, "multiline", "diff", "--old", AWS, "--new", SEED, "--json", str(log))
    report = json.loads(out)
    assert code == 1
    assert report["events"] == {"old": 4, "new": 2}
    assert report["start_regexp"]["started_matching"] == 1
    assert report["clusters"][0]["new"][0]["count"] == 3


def test_diff_of_identical_rules_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same SPEC on both sides: identical, exit 0."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, out, _ = run(capsys, "multiline", "diff", "--old", str(SEED_CONFIG), "--new", SEED, "--separator", "",
                       "--flush-interval", "5", "--timeout-label", "@NORMAL", str(log))
    assert code == 0 and "RESULT: grouping identical" in out


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git for FILE@GITREV")
def test_diff_reads_a_config_at_a_git_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--old fluentd.yaml@HEAD~1 compares the committed previous version with the working file."""
    repo = tmp_path / "repo"
    repo.mkdir()
    conf = repo / "fluentd.yaml"
    seed_text = SEED_CONFIG.read_text(encoding="utf-8")
    containers_regexp = "multiline_start_regexp /\\((D|E|T|I)\\)\\s\\d{2}[:]\\d{2}[:]\\d{2}\\[\\d{3}\\]/"
    assert containers_regexp in seed_text
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    conf.write_text(seed_text.replace(containers_regexp, f"multiline_start_regexp {AWS}"), encoding="utf-8")
    subprocess.run([*git, "add", "fluentd.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "before"], check=True)
    conf.write_text(seed_text, encoding="utf-8")
    subprocess.run([*git, "commit", "-qam", "after"], check=True)
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, out, _ = run(capsys, "multiline", "diff", "--old", f"{conf}@HEAD~1", "--new", f"{conf}@HEAD", str(log))
    assert code == 1 and "@HEAD~1" in out
    code, _, err = run(capsys, "multiline", "diff", "--old", f"{conf}@no-such-rev", "--new", str(conf), str(log))
    assert code == 2 and "git show failed" in err


def test_diff_rejects_a_spec_that_is_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A SPEC that is no regexp, file or FILE@REV is a usage error (exit 2)."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    code, _, err = run(capsys, "multiline", "diff", "--old", "nope", "--new", SEED, str(log))
    assert code == 2 and "not a /regexp/" in err


def test_filters_lists_the_seed_filters_with_context(capsys: pytest.CaptureFixture[str]) -> None:
    """Both concat filters of the seed's fluentd.yaml, with file, line, label and parameters as written."""
    code, out, _ = run(capsys, "multiline", "filters", "--json", str(SEED_CONFIG))
    items = json.loads(out)
    assert code == 0
    assert [i["effective_label"] or i["label"] for i in items] == ["@containers", "@cwagentlogs"]
    assert items[0]["params"]["multiline_start_regexp"] == SEED
    assert items[0]["params"]["separator"] == '""'
    assert all(i["mode"] == "regexp" and i["error"] is None for i in items)


def test_filters_exits_1_when_fluentd_would_refuse_a_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A filter with exclusive parameters is listed as refused and the command exits 1."""
    conf = tmp_path / "fluent.conf"
    conf.write_text("<filter **>\n  @type concat\n  key log\n  n_lines 3\n  multiline_start_regexp /^s/\n</filter>\n")
    code, out, _ = run(capsys, "multiline", "filters", str(conf))
    assert code == 1
    assert "REFUSED by fluentd" in out and "are exclusive" in out


def test_filters_of_a_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable config is bad input: exit 2 with the file named."""
    code, _, err = run(capsys, "multiline", "filters", str(tmp_path / "missing.conf"))
    assert code == 2 and "missing.conf" in err


@pytest.mark.skipif(not FLUENTD_CORPUS.is_dir(), reason="needs ../shared/fluentd-configs (present in CI)")
def test_filters_finds_the_60_filters_of_the_shared_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    """All 17 real-world configs are read and their 60 concat filters listed, none refused."""
    configs = sorted(str(p) for p in FLUENTD_CORPUS.iterdir() if p.name not in ("EXPECTED.json", "SOURCES.md"))
    code, out, _ = run(capsys, "multiline", "filters", "--json", *configs)
    items = json.loads(out)
    assert len(items) == 60
    assert code == 0


def test_a_directory_of_logs_is_routed_file_by_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A directory stands for its *.log files, so each file still gets the concat filter in_tail routes it to."""
    assert main(["multiline", "diff", "--old", "data/samples/fluentd-aws-sample.yaml",
                 "--new", "data/samples/fluentd.yaml", "data/samples/containers"]) == 1
    by_dir = capsys.readouterr().out
    files = sorted(str(p) for p in Path("data/samples/containers").glob("*.log"))
    assert main(["multiline", "diff", "--old", "data/samples/fluentd-aws-sample.yaml",
                 "--new", "data/samples/fluentd.yaml", *files]) == 1
    assert capsys.readouterr().out == by_dir


SAMPLE_LOGS = ROOT / "data" / "samples" / "containers"
AWS_CONFIG = ROOT / "data" / "samples" / "fluentd-aws-sample.yaml"


def test_diff_of_bare_regexps_states_the_plugin_defaults_before_the_counts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No config: the output says up front that timeout_label, flush_interval and separator are the plugin's."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    _, out, _ = run(capsys, "multiline", "diff", "--old", AWS, "--new", SEED, str(log))
    lines = out.splitlines()
    defaults = next(i for i, line in enumerate(lines) if "no config given, plugin defaults apply" in line)
    counts = next(i for i, line in enumerate(lines) if line.startswith("events "))
    assert defaults < counts
    assert 'separator "\\n", flush_interval 60, timeout_label (none)' in lines[defaults]
    assert any(line.startswith("  default: no timeout_label") for line in lines[defaults:counts])


def test_a_route_that_reads_as_loss_carries_its_explanation_on_the_same_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """error 0 -> 1 comes with its lines and why, beside the numbers, not somewhere below."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    _, out, _ = run(capsys, "multiline", "diff", "--old", AWS, "--new", SEED, str(log))
    (row,) = [line for line in out.splitlines() if line.startswith("  error")]
    assert re.match(r"  error\s+0 -> 1\s+<- lines 0 -> 3: closed by the 60s timer with no timeout_label", row)
    assert "fluentd drops unless a <label @ERROR> handles it" in row and "more groups end by the timer" in row


def test_a_bare_regexp_takes_the_rest_of_the_rule_from_the_other_specs_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--old CONFIG --new /regexp/: the new rule is the config's filter with that start regexp, timeout_label too."""
    log = docker_log(tmp_path / APP_FILE, SEED_LINES)
    _, out, _ = run(capsys, "multiline", "diff", "--json", "--old", str(AWS_CONFIG), "--new", SEED, str(log))
    report = json.loads(out)
    assert report["regexp_rule"]["specs"] == ["--new"]
    assert "fluentd-aws-sample.yaml:121" in report["regexp_rule"]["from"] and report["regexp_rule"]["defaults"] == []
    assert report["regexp_rule"]["params"] == {"key": "log", "separator": "", "flush_interval": 5.0,
                                               "timeout_label": "@NORMAL", "stream_identity_key": None,
                                               "use_first_timestamp": False}
    assert report["events_by_route"]["new"] == {"main": 1, "timeout": 1}
    assert "delivered, not lost" in report["route_notes"]["new"]["timeout"]


def test_the_seed_scenario_tells_the_same_story_from_regexps_with_a_config_as_from_configs(
        capsys: pytest.CaptureFixture[str]) -> None:
    """AWS regexp -> seed regexp over the committed samples, --config for the rest = config -> config."""
    _, out, _ = run(capsys, "multiline", "diff", "--json", "--old", str(AWS_CONFIG), "--new", str(SEED_CONFIG),
                    str(SAMPLE_LOGS))
    from_configs = json.loads(out)
    _, out, _ = run(capsys, "multiline", "diff", "--json", "--config", str(SEED_CONFIG), "--old", AWS, "--new", SEED,
                    str(SAMPLE_LOGS))
    from_regexps = json.loads(out)
    for key in ("lines", "events", "events_by_route", "lines_by_route", "lines_regrouped", "groups_split",
                "groups_merged", "events_changed", "changed_clusters", "regrouping_clusters", "first_changed_lines"):
        assert from_regexps[key] == from_configs[key], key
    assert from_configs["events_by_route"]["new"].get("error", 0) == 0


def test_a_stack_trace_of_many_lone_events_is_summarised_after_the_first_six(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The largest regrouping of the samples (47 lone lines -> one event) lists 6 old events and counts the rest."""
    monkeypatch.setenv("COLUMNS", "200")  # the side-by-side columns follow the terminal's width
    _, out, _ = run(capsys, "multiline", "diff", "--config", str(SEED_CONFIG), "--old", AWS, "--new", SEED,
                    "--examples", "1", str(SAMPLE_LOGS))
    assert "[main] line 288-334 (47)" in out
    assert "... 41 more event(s), line 294-334, 1 line(s) each [main]" in out
    assert "[main] line 294 (1)" not in out
