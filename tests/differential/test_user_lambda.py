"""`efklab lambda`: a user's own function run under node, diffed against efklab's transform.

The seed's function (cut from the seed document, as the other differential tests do) is the
user function that efklab must reproduce exactly; variants written for these tests change what
users change (index naming, `_type`, an added field, the client library) and must be detected,
with the efklab options that reproduce them found where they exist.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from efklab.jobs.userlambda import diff_function, run_function
from efklab.lambda_.transform import OPENSEARCH, SEED, TransformOptions
from efklab.reports.runner import default_notebook_dir, run_report
from efklab.testing import make_payload
from tests.conftest import ROOT

PAYLOADS = str(ROOT / "data" / "samples" / "payloads")
ONE_DAY = str(ROOT / "data" / "samples" / "payloads" / "2021-03-22.jsonl.gz")
FUNCTIONS = Path(__file__).with_name("functions")
DOMAIN = "search-mydomain-abc123.us-east-1.es.amazonaws.com"
EFKLAB = [sys.executable, "-m", "efklab"]


def seed_function(folder: Path, seed_code: str, *edits: tuple[str, str]) -> Path:
    """The seed's code as a user deploys it (their domain in `endpoint`), with ``edits`` applied."""
    code = seed_code.replace("var endpoint = '<aws es endpoint>';", f"var endpoint = '{DOMAIN}';")
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.js").write_text(code, encoding="utf-8")
    return folder


CWL_NAMES = ("'mydata-' + namespace + '-' + apiname + '-' + timestamp.getUTCFullYear(),",
             "'cwl-' + timestamp.getUTCFullYear(),")
NO_TYPE = ("action.index._type = payload.logGroup;", "")
ADDED_FIELD = ("source['@owner'] = payload.owner;", "source['@owner'] = payload.owner; source.cluster = 'prod';")


def test_the_seeds_own_function_is_reproduced_for_every_committed_event(node: str, seed_code: str,
                                                                          tmp_path: Path) -> None:
    function = seed_function(tmp_path / "seed", seed_code)
    diff = diff_function(str(function), [PAYLOADS], TransformOptions(mode=SEED))
    assert len(diff.events) > 1000 and diff.differing == []
    assert diff.identical == len(diff.events)
    assert diff.matching[0] == TransformOptions(mode=SEED)


def test_its_requests_are_captured_for_the_domain_and_never_sent(node: str, seed_code: str, tmp_path: Path) -> None:
    run = run_function(str(seed_function(tmp_path / "seed", seed_code)), [ONE_DAY])
    requests = [r for i in run.invocations for r in i.requests]
    assert requests and {r.host for r in requests} == {f"https://{DOMAIN}"}
    assert all(r.is_bulk and r.headers["authorization"].startswith("AWS4-HMAC-SHA256") for r in requests)


def test_another_index_naming_without_type_is_found_and_reproduced(node: str, seed_code: str, tmp_path: Path) -> None:
    function = seed_function(tmp_path / "cwl", seed_code, CWL_NAMES, NO_TYPE)
    diff = diff_function(str(function), [PAYLOADS], TransformOptions(mode=SEED))
    first = diff.differing[0]
    assert first.difference is not None
    assert {f.field for f in first.difference.fields} == {"_index", "_type"}
    assert first.invocation.source is not None and first.invocation.source.endswith(".jsonl.gz")
    assert diff.matching[0] == TransformOptions(mode=OPENSEARCH, index_strategy="cwl")


def test_an_added_field_is_named_and_no_option_claims_to_reproduce_it(node: str, seed_code: str,
                                                                     tmp_path: Path) -> None:
    function = seed_function(tmp_path / "field", seed_code, ADDED_FIELD)
    diff = diff_function(str(function), [ONE_DAY], TransformOptions(mode=SEED))
    fields = {(f.part, f.field, f.theirs) for e in diff.differing if e.difference for f in e.difference.fields}
    assert fields == {("document", "cluster", '"prod"')}
    assert diff.matching == []


def test_a_function_built_on_the_client_library_gets_its_dependencies_and_is_reproduced(
        node: str, seed_code: str, tmp_path: Path) -> None:
    client_post = (FUNCTIONS / "client-post.js").read_text(encoding="utf-8")
    folder = seed_function(tmp_path / "client", seed_code, CWL_NAMES, NO_TYPE)
    code = (folder / "index.js").read_text(encoding="utf-8")
    start, end = code.index("function post(body, callback) {"), code.index("function buildRequest(")
    (folder / "index.js").write_text(code[:start] + client_post + code[end:], encoding="utf-8")
    shutil.copy(FUNCTIONS / "package.json", folder / "package.json")
    diff = diff_function(str(folder), [ONE_DAY], TransformOptions(mode=OPENSEARCH, index_strategy="cwl"))
    assert diff.run.failed == [] and diff.differing == []
    assert not (folder / "node_modules").exists()  # the user's folder is never written to


def test_a_bulk_answer_with_item_errors_makes_the_seed_fail_its_invocation(node: str, seed_code: str,
                                                                          tmp_path: Path) -> None:
    run = run_function(str(seed_function(tmp_path / "seed", seed_code)), [ONE_DAY], respond="item-errors")
    data = [i for i in run.invocations if i.requests]
    assert data and all(i.outcome == "error" for i in data)
    assert all(i.ok for i in run.invocations if not i.requests)  # the control message still succeeds


def test_a_function_that_throws_is_reported_with_its_stack_and_event(node: str, tmp_path: Path) -> None:
    payloads = tmp_path / "payloads.jsonl"
    payloads.write_text(json.dumps(make_payload(['{"log":"fine"}'])) + "\n"
                        + json.dumps(make_payload(['{"log":"fine"}', "plain text, not JSON"])) + "\n")
    done = subprocess.run([*EFKLAB, "lambda", "run", "--source", str(FUNCTIONS / "throws-on-plain-text.js"),
                           str(payloads)], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    assert re.search(r"payloads\.jsonl:2: invocation 2 error: SyntaxError: Unexpected token", done.stderr)
    assert "at parseMessage" in done.stderr and "Traceback" not in done.stderr


def test_a_function_that_never_calls_back_is_reported_after_its_timeout(node: str) -> None:
    run = run_function(str(FUNCTIONS / "never-calls-back.js"), [ONE_DAY], timeout_ms=300)
    assert {i.outcome for i in run.invocations} == {"no-callback"}
    assert "received [ 'awslogs' ]" in run.console


def test_without_node_the_command_says_so_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run([*EFKLAB, "lambda", "run", "--source", str(FUNCTIONS / "never-calls-back.js"), ONE_DAY],
                          capture_output=True, text=True, check=False, cwd=ROOT,
                          env={"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "node is not installed" in done.stderr


@pytest.fixture
def function_indices(opensearch_client: Any) -> Iterator[str]:
    """The index prefix a replay-through-function test writes to, deleted afterwards."""
    yield "efklab-fn-test-"
    opensearch_client.indices.delete(index="efklab-fn-test-*", ignore_unavailable=True)


def test_a_replay_through_the_function_lands_its_documents_on_the_node(node: str, seed_code: str, tmp_path: Path,
                                                                       opensearch_url: str,
                                                                       function_indices: str) -> None:
    function = seed_function(tmp_path / "logs", seed_code, NO_TYPE,
                             ("'mydata-' + namespace", f"'{function_indices}' + namespace"))
    done = subprocess.run([*EFKLAB, "replay", "--lambda-source", str(function), "--opensearch-url", opensearch_url,
                           "--json", ONE_DAY], capture_output=True, text=True, check=False, cwd=ROOT)
    summary = json.loads(done.stdout)
    assert done.returncode == 0 and summary["complete"] is True, done.stderr
    assert summary["indexed"] == summary["documents_sent"] > 0
    assert all(index.startswith(function_indices) for index in summary["indexed_per_index"])


def test_a_replay_through_the_seeds_function_names_the_nodes_type_refusal(node: str, seed_code: str, tmp_path: Path,
                                                                          opensearch_url: str) -> None:
    function = seed_function(tmp_path / "seed", seed_code)
    done = subprocess.run([*EFKLAB, "replay", "--lambda-source", str(function), "--opensearch-url", opensearch_url,
                           ONE_DAY], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 1
    assert "refused as a whole: HTTP 400: Action/metadata line [1] contains an unknown parameter [_type]" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_replay_notebook_compares_the_users_function_and_names_the_options(
        node: str, seed_code: str, tmp_path: Path, opensearch_url: str) -> None:
    """01-replay with `lambda_source`: the function is diffed on the pipeline's own payloads, the check recorded."""
    function = seed_function(tmp_path / "cwl", seed_code, CWL_NAMES, NO_TYPE)
    result = run_report([default_notebook_dir() / "01-replay.ipynb"], str(tmp_path / "out"),
                        {"lambda_source": str(function), "prefix": "efklab-test-nb-fn"},
                        now=dt.datetime(2024, 5, 1, tzinfo=dt.UTC), environ={})
    checks = {c["name"]: c for c in result.summary["checks"]}
    check = checks["your Lambda function writes what efklab's transform writes"]
    assert check["verdict"] == "fail" and check["figures"]["differing"] > 0
    assert check["figures"]["failed_invocations"] == 0
    html = (tmp_path / "out" / "01-replay.html").read_text(encoding="utf-8")
    assert "--mode opensearch --index-strategy &#x27;cwl&#x27;" in html or "--index-strategy 'cwl'" in html


def test_without_transform_options_the_diff_is_taken_under_the_options_found(node: str, seed_code: str,
                                                                              tmp_path: Path) -> None:
    """`efklab lambda diff --source <the seed's function> data/samples/payloads/`: every event identical, exit 0."""
    function = seed_function(tmp_path / "seed", seed_code)
    done = subprocess.run([*EFKLAB, "lambda", "diff", "--source", str(function), PAYLOADS],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^(\d+) events: \1 identical, 0 differ \(efklab --mode seed, found to reproduce your function\)$",
                     done.stdout, re.MULTILINE)
    explicit = subprocess.run([*EFKLAB, "lambda", "diff", "--source", str(function), "--mode", "opensearch", ONE_DAY],
                              capture_output=True, text=True, check=False, cwd=ROOT)
    assert explicit.returncode == 1 and "action field _type: efklab <missing>" in explicit.stdout
