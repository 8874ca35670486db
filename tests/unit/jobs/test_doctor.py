"""efklab doctor on the committed sample set: the seed's corrected setup is clean of errors, the pre-fix one is not."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from efklab.cli import main
from efklab.cli.doctor.text import print_report
from efklab.doctor.registry import CHECK_IDS, CHECKS
from efklab.jobs.doctor import diagnose, diagnose_samples
from tests.conftest import ROOT

SAMPLES = ROOT / "data" / "samples"
CONFIG = str(SAMPLES / "fluentd.yaml")
AWS_CONFIG = str(SAMPLES / "fluentd-aws-sample.yaml")
POLICY = str(SAMPLES / "ism-policy.json")
LOGS = [str(SAMPLES / "containers")]
PAYLOADS = sorted(str(p) for p in (SAMPLES / "payloads").glob("*.jsonl.gz"))


def acceptance_args(config: str) -> list[str]:
    return ["doctor", "--config", config, "--policy", POLICY, "--logs", *LOGS, "--payloads", *PAYLOADS]


def test_corrected_setup_has_no_error_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """The seed's fluentd.yaml, policy, logs and payloads: warnings at most, exit 0."""
    assert main(acceptance_args(CONFIG)) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out and "\nERROR" not in out


def test_corrected_setup_still_shows_what_is_left() -> None:
    """The seed's regexp leaves the Python warnings of fraud-scorer alone and Docker's split line apart: warnings,
    with evidence."""
    report = diagnose(config=CONFIG, policy=POLICY, logs=LOGS, payloads=PAYLOADS)
    by_check = {f.check: f for f in report.findings}
    assert report.counts["error"] == 0
    split = by_check["ordering-split-continuations"]
    assert split.severity == "warning" and split.figures["split_continuations"] == 5
    assert any("'  warnings.warn('" in line for line in split.evidence)
    assert by_check["docker-split-lines"].severity == "warning"
    assert any(":277: 16,384 bytes" in line for line in by_check["docker-split-lines"].evidence)


def test_pre_fix_setup_shows_the_ordering_problem_as_an_error_with_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    """The AWS sample regexp on the same logs: continuation lines as separate documents on one millisecond, exit 1."""
    assert main(acceptance_args(AWS_CONFIG)) == 1
    out = capsys.readouterr().out
    assert "ERROR   ordering-split-continuations" in out
    report = diagnose(config=AWS_CONFIG, policy=POLICY, logs=LOGS, payloads=PAYLOADS)
    (split,) = [f for f in report.findings if f.check == "ordering-split-continuations"]
    assert split.severity == "error"
    assert split.figures["split_continuations"] == 2612 and split.figures["documents"] == 6169
    assert split.where is not None and split.where.endswith("data/samples/fluentd-aws-sample.yaml:124")
    assert any(line.startswith("containers/cart-api-") and ":4: '    select' alone, same millisecond as line 3" in line
               for line in split.evidence)
    assert "@id" in split.fix


def test_pre_fix_setup_names_the_files_the_regexp_never_matches() -> None:
    """The Java services' files: no line matches the date regexp, most of their lines are continuations."""
    report = diagnose(config=AWS_CONFIG, logs=LOGS)
    (never,) = [f for f in report.findings if f.check == "concat-start-never-matches"]
    assert never.severity == "error"
    assert any("payment-gateway" in line and "0 of 1,291 lines match" in line for line in never.evidence)


def test_payloads_are_emulated_from_config_and_logs_when_none_are_given() -> None:
    """Without --payloads the layout checks run on what the pipeline would deliver."""
    report = diagnose(config=CONFIG, logs=LOGS, policy=POLICY)
    assert report.inputs["payloads"]["origin"].startswith("payloads emulated from")
    assert report.inputs["payloads"]["events"] == 2999
    needs_node = {c.id for c in CHECKS if "node" in c.needs}
    assert "ism-plugin-missing" in needs_node
    assert {r.id for r in report.runs if r.status == "skipped"} == needs_node


def test_the_notebook_front_end_defaults_to_the_samples() -> None:
    """diagnose_samples() with no arguments is the corrected setup; 'none' leaves an input out."""
    report = diagnose_samples()
    assert report.counts["error"] == 0 and "payloads" in report.inputs
    only_policy = diagnose_samples(config="none", logs="none", payloads="none")
    assert set(only_policy.inputs) == {"policy", "settings"}


def test_seed_mode_payloads_carry_type(capsys: pytest.CaptureFixture[str]) -> None:
    """--mode seed (the first payload is a CONTROL_MESSAGE): the bulk actions carry _type,
    a warning naming OpenSearch 2.x."""
    report = diagnose(payloads=PAYLOADS[:2], mode="seed")
    (typed,) = [f for f in report.findings if f.check == "bulk-type-field"]
    assert typed.severity == "warning" and "OpenSearch 2.x" in typed.title


def test_json_output_has_every_check_and_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """--json: inputs, summary counts, every finding with why and fix, every check with its status."""
    assert main([*acceptance_args(AWS_CONFIG), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in data["checks"]] == list(CHECK_IDS)
    assert data["summary"]["error"] == sum(f["severity"] == "error" for f in data["findings"]) == 2
    assert all(f["why"] and f["fix"] for f in data["findings"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["doctor"], "nothing to check"),
        (["doctor", "--policy", POLICY, "--only", "no-such-check"], "no check named 'no-such-check'"),
        (["doctor", "--config", "missing.yaml"], "missing.yaml"),
        (["doctor", "--logs", "nowhere/"], "nowhere"),
        (["doctor", "--policy", POLICY, "--primaries", "0"], "--primaries must be at least 1"),
        (["doctor", "--payloads", PAYLOADS[0], "--mode", "seed", "--index-strategy", "cwl"], "--index-strategy"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Usage and input errors: exit 2, one line on stderr naming the problem, no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_list_shows_every_check_with_its_inputs_and_sources(capsys: pytest.CaptureFixture[str]) -> None:
    """--list: one row per registered check (id, severity, inputs), then its references."""
    assert main(["doctor", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(check in out for check in CHECK_IDS)
    assert ("needs config + logs, or payloads" in out
            and "https://github.com/opensearch-project/index-management/issues/264" in out)


def test_only_and_skip_select_checks_by_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    """--only ism- runs the ISM checks alone; skipping the checks that find the pre-fix errors leaves exit 0."""
    report = diagnose(policy=POLICY, only=["ism-"])
    assert {r.id for r in report.runs} == {c for c in CHECK_IDS if c.startswith("ism-")}
    assert main(["doctor", "--config", AWS_CONFIG, "--logs", *LOGS, "--skip", "ordering-", "concat-start-never"]) == 0
    capsys.readouterr()


def test_strict_fails_on_warnings_and_min_severity_hides(capsys: pytest.CaptureFixture[str]) -> None:
    """--strict: the corrected setup's warnings fail the run; --min-severity error hides them but says so."""
    assert main([*acceptance_args(CONFIG), "--strict"]) == 1
    capsys.readouterr()
    assert main([*acceptance_args(CONFIG), "--min-severity", "error"]) == 0
    out = capsys.readouterr().out
    assert "WARNING" not in out and "below --min-severity not shown" in out


def test_text_report_blocks_have_where_evidence_why_fix() -> None:
    """Each finding renders as severity + check + what, then where, evidence, why and fix lines."""
    report = diagnose(config=AWS_CONFIG, logs=LOGS)
    out = io.StringIO()
    print_report(report, out)
    block = out.getvalue().split("ERROR   ordering-split-continuations")[1].split("\n\n")[0]
    for label in ("where", "evidence", "why", "fix"):
        assert f"\n  {label}" in block, label


def test_a_policy_file_that_cannot_be_read_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing policy file is exit 2 (a policy the plugin refuses is a finding instead)."""
    assert main(["doctor", "--policy", str(tmp_path / "none.json")]) == 2
    assert "cannot read policy" in capsys.readouterr().err
    refused = tmp_path / "refused.json"
    refused.write_text('{"policy": {"description": "x"}}')
    assert main(["doctor", "--policy", str(refused)]) == 1
    assert "ism-policy-invalid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("policy", '{"policy": {', "policy.json:1:13: not valid JSON"),
        ("payloads", "not json\n", "payloads.jsonl:1: not a JSON object"),
    ],
)
def test_an_input_that_is_not_readable_at_all_is_exit_2_with_its_location(
    name: str, text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy that is not JSON, or a payload record that cannot be decoded, is bad input: one line, exit 2."""
    path = tmp_path / ("policy.json" if name == "policy" else "payloads.jsonl")
    path.write_text(text)
    assert main(["doctor", f"--{name}", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_shard_projection_charges_each_strategy_only_the_indices_its_own_names_make(
        capsys: pytest.CaptureFixture[str]) -> None:
    """One cwl index a day is 1 x 31 days x 2 shards, never the seed naming's namespaces x containers."""
    payloads = str(ROOT / "data" / "samples" / "payloads")
    assert main(["doctor", "--payloads", payloads, "--max-shards-per-node", "20", "--index-strategy", "cwl",
                 "--only", "shard-projection", "--json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert "this strategy: 62 shards (over the limit)" in finding["evidence"]
    assert "per namespace+container (seed): 496 shards (over the limit)" in finding["evidence"]
    assert finding["figures"]["indices_per_day"] == 1
