"""``efklab capture`` against moto's CloudWatch Logs: payloads exactly as CloudWatch would deliver them."""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.awsrequest
import moto.logs.models as logs_models
import pytest
from moto import mock_aws

from efklab.adapters import aws
from efklab.cli import build_parser, main
from efklab.cli.capture import run as capture_cli
from efklab.cloudwatch.payloads import decode_payload, to_lambda_event
from efklab.errors import EfklabError, RemoteError
from efklab.lambda_.transform import TransformOptions, render_bulk, transform_payload
from tests.conftest import SEED_DOCUMENT
from tests.differential.oracle import NodeOracle, extract_seed_lambda, find_node

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
SECRET = "efklab-test-secret-key-never-printed"
START = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
GROUP = "/aws/containerinsights/demo/application/shop/api"
OTHER_GROUP = "/aws/containerinsights/demo/application/shop/web"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region from the environment; no real AWS config is read."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEFKLABTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def moto_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's clock starts at START and advances one second per reading, so every put has its own ingestion time."""
    ticks = iter(range(10**9))
    monkeypatch.setattr(logs_models, "utcnow", lambda: START.replace(tzinfo=None) + timedelta(seconds=next(ticks)))


@dataclass
class Account:
    """What the test put into moto: every put_log_events call, in order."""

    logs: Any
    function_arn: str
    puts: list[tuple[str, str, list[dict[str, Any]]]] = field(default_factory=list)

    def put(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        self.puts.append((group, stream, events))


def _ms(offset_ms: int) -> int:
    return int(START.timestamp() * 1000) + offset_ms


def _docker_message(log: str, stream: str = "stdout", **extra: Any) -> str:
    """A message as fluent-plugin-cloudwatch-logs writes it: the record as JSON."""
    record = {"log": log, "stream": stream, "kubernetes": {"pod_name": "api-7d9f", "host": "ip-10-0-1-2"}, **extra}
    return json.dumps(record, ensure_ascii=False)


@pytest.fixture
def account(aws_env: None, moto_clock: None) -> Iterator[Account]:
    """Two log groups of the seed's shape, streams with several put batches, a Lambda subscription."""
    with mock_aws():
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="logs-to-os", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("efklab/deploy/handler.py", "def handler(event, context):\n    return None\n")
        function = boto3.client("lambda").create_function(
            FunctionName="logs-to-opensearch",
            Runtime="python3.12",
            Role=role,
            Handler="efklab.deploy.handler.handler",
            Code={"ZipFile": code.getvalue()},
            Environment={"Variables": {"EFKLAB_MODE": "seed", "EFKLAB_OPENSEARCH_PASSWORD": "hunter2-in-env"}},
        )
        acc = Account(boto3.client("logs"), function["FunctionArn"])
        for group in (GROUP, OTHER_GROUP):
            acc.logs.create_log_group(logGroupName=group)
            for stream in ("api-7d9f_shop_api-0a1b", "api-7d9f_shop_api-2c3d"):
                acc.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        t = 0
        for batch in range(3):
            for stream in ("api-7d9f_shop_api-0a1b", "api-7d9f_shop_api-2c3d"):
                events = []
                for i in range(4):
                    t += 1 if i else 0  # equal timestamps inside a batch happen in real logs
                    log = (f"(I) 10:00:{batch:02d}[{i:03d}] order {batch}-{i} ok é\n" if i != 2
                           else "\tat com.example.Api.run(Api.java:42)\n")
                    events.append({"timestamp": _ms(t), "message": _docker_message(log, count=i, ratio=i / 4)})
                events.append({"timestamp": _ms(t), "message": f"plain text ERROR line {batch} without json"})
                acc.put(GROUP, stream, events)
                t += 7
        acc.put(OTHER_GROUP, "api-7d9f_shop_api-0a1b", [{"timestamp": _ms(5), "message": _docker_message("web up\n")}])
        quirks = [
            '2024-05-06 10:00:00 INFO payload {"user":"kim","amount":1e21,"tags":["a","b"],"nested":{"2":"x","1":"y"}}',
            '{"log":"한국어 로그 ✓\\n","count":12345678901234567890,"ok":true,"nothing":null}',
            "no json here at all { but a brace",
            '{"@timestamp":"overridden by the seed","@message":"too","level":"warn"}',
        ]
        acc.put(GROUP, "api-7d9f_shop_api-0a1b",
                [{"timestamp": _ms(100 + i), "message": m} for i, m in enumerate(quirks)])
        # Subscriptions are added after the puts: moto would otherwise try to invoke the function.
        for group in (GROUP, OTHER_GROUP):
            acc.logs.put_subscription_filter(
                logGroupName=group, filterName="to-opensearch", filterPattern="", destinationArn=acc.function_arn
            )
        yield acc


def _capture(tmp_path: Path, *args: str, name: str = "out.jsonl") -> tuple[int, Path]:
    out = tmp_path / name
    return main(["capture", *args, "--out", str(out)]), out


def _read_lines(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    return [json.loads(line) for line in text.splitlines()]


def _expected_payloads(account: Account, captured: list[dict[str, Any]], group: str,
                       pattern: Callable[[str], bool] = lambda m: True) -> list[dict[str, Any]]:
    """What CloudWatch delivers: one payload per put call, the ids being the ones CloudWatch assigned."""
    ids = {(p["logStream"], e["timestamp"], e["message"]): e["id"] for p in captured for e in p["logEvents"]}
    expected = []
    for g, stream, events in account.puts:
        kept = [e for e in events if pattern(e["message"])]
        if g != group or not kept:
            continue
        expected.append(
            {
                "messageType": "DATA_MESSAGE",
                "owner": ACCOUNT,
                "logGroup": group,
                "logStream": stream,
                "subscriptionFilters": ["to-opensearch"],
                "logEvents": [{"id": ids[(stream, e["timestamp"], e["message"])], "timestamp": e["timestamp"],
                               "message": e["message"]} for e in kept],
            }
        )
    return expected


def _by_stream(payloads: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for p in payloads:
        out.setdefault(p["logStream"], []).append(p)
    return out


def test_capture_help_documents_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`efklab capture --help` explains the options, the files written and the exit codes."""
    with pytest.raises(SystemExit) as info:
        main(["capture", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in ("--log-group", "--log-group-prefix", "--start", "--end", "--filter-pattern", "--out",
                 "--lambda-events", "--profile", "--region", "--resume", "filters.json", "checkpoint", "Exit codes"):
        assert word in text


def test_captured_payloads_are_the_put_batches_as_cloudwatch_delivers_them(account: Account, tmp_path: Path) -> None:
    """One payload per put_log_events call and stream, with owner, group, stream, filter name and events in order."""
    rc, out = _capture(tmp_path, "--log-group", GROUP)
    assert rc == 0
    captured = _read_lines(out)
    assert _by_stream(captured) == _by_stream(_expected_payloads(account, captured, GROUP))
    ids = [e["id"] for p in captured for e in p["logEvents"]]
    assert len(ids) == len(set(ids)) == 34


def _key(payload: dict[str, Any]) -> tuple[str, str]:
    return payload["logStream"], payload["logEvents"][0]["id"]


@pytest.mark.differential
def test_replaying_captured_payloads_gives_the_seed_lambdas_documents(account: Account, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`efklab transform --mode seed` over the capture is byte-identical to the seed Lambda (under node) fed what
    CloudWatch delivers."""
    node = find_node()
    if node is None or not SEED_DOCUMENT.exists():
        pytest.skip("needs node and the seed document (../shared, or EFKLAB_SHARED_DIR)")
    rc, out = _capture(tmp_path, "--log-group", GROUP)
    assert rc == 0
    captured = _read_lines(out)
    truth = _expected_payloads(account, captured, GROUP)
    oracle = NodeOracle(node, extract_seed_lambda(SEED_DOCUMENT.read_text(encoding="utf-8")))
    try:
        answers = oracle.batch([{"op": "handler", "event": to_lambda_event(p)} for p in truth])
    finally:
        oracle.close()
    assert all(a["ok"] for a in answers), answers
    seed_body = {_key(p): a["body"] for p, a in zip(truth, answers, strict=True)}
    expected = "".join(seed_body[_key(p)] for p in captured)

    ours = "".join(render_bulk(transform_payload(decode_payload(p), TransformOptions(mode="seed"))[0])
                   for p in captured)
    assert ours == expected  # the Python API

    pytest.importorskip("efklab.cli.transform", reason="`efklab transform` is not built yet")
    capsys.readouterr()
    assert main(["transform", "--mode", "seed", str(out)]) == 0
    assert capsys.readouterr().out == expected  # the CLI


def test_late_events_stay_in_the_payload_of_their_own_put(account: Account, tmp_path: Path) -> None:
    """A put whose events are older than an earlier put's (they interleave by time) is still delivered as one
    payload."""
    stream = "api-7d9f_shop_api-0a1b"
    # moto would invoke it on put
    account.logs.delete_subscription_filter(logGroupName=GROUP, filterName="to-opensearch")
    account.put(GROUP, stream,
                [{"timestamp": _ms(1), "message": "late one"}, {"timestamp": _ms(8), "message": "late two"}])
    account.logs.put_subscription_filter(logGroupName=GROUP, filterName="to-opensearch", filterPattern="",
                                         destinationArn=account.function_arn)
    rc, out = _capture(tmp_path, "--log-group", GROUP)
    captured = _read_lines(out)
    assert rc == 0
    assert _by_stream(captured) == _by_stream(_expected_payloads(account, captured, GROUP))
    assert [e["message"] for e in _by_stream(captured)[stream][-1]["logEvents"]] == ["late one", "late two"]


def test_filters_file_names_the_pattern_and_redacts_the_lambda_environment(account: Account, tmp_path: Path) -> None:
    """OUT.filters.json holds the subscription filter and the destination Lambda's configuration, secrets redacted."""
    rc, out = _capture(tmp_path, "--log-group", GROUP)
    assert rc == 0
    doc = json.loads(Path(f"{out}.filters.json").read_text())
    (group,) = doc["log_groups"]
    assert ((group["name"], group["filter_pattern"], group["subscription_filters"], group["complete"])
            == (GROUP, "", ["to-opensearch"], True))
    (described,) = group["filters"]
    assert described["destinationArn"] == account.function_arn
    config = described["destination"]["configuration"]
    assert config["Handler"] == "efklab.deploy.handler.handler"
    assert config["Environment"]["Variables"] == {"EFKLAB_MODE": "seed", "EFKLAB_OPENSEARCH_PASSWORD": "<redacted>"}
    assert "hunter2" not in Path(f"{out}.filters.json").read_text()


def test_the_subscription_filter_pattern_selects_the_events_by_default(account: Account, tmp_path: Path) -> None:
    """Payloads hold only what the subscription filter would deliver; --filter-pattern overrides it."""
    account.logs.put_subscription_filter(logGroupName=GROUP, filterName="to-opensearch", filterPattern="ERROR",
                                         destinationArn=account.function_arn)
    rc, out = _capture(tmp_path, "--log-group", GROUP)
    captured = _read_lines(out)
    assert rc == 0
    assert _by_stream(captured) == _by_stream(_expected_payloads(account, captured, GROUP, lambda m: "ERROR" in m))
    rc, out = _capture(tmp_path, "--log-group", GROUP, "--filter-pattern", "", name="all.jsonl")
    assert sum(len(p["logEvents"]) for p in _read_lines(out)) == 34


def test_two_subscription_filters_need_a_choice(account: Account, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """With two filters on a group the user names one; without it the error is one line, exit 2."""
    account.logs.put_subscription_filter(logGroupName=GROUP, filterName="archive", filterPattern="order",
                                         destinationArn=account.function_arn)
    rc, _ = _capture(tmp_path, "--log-group", GROUP)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "--subscription-filter" in err
    rc, out = _capture(tmp_path, "--log-group", GROUP, "--subscription-filter", "archive")
    captured = _read_lines(out)
    assert rc == 0
    assert {tuple(p["subscriptionFilters"]) for p in captured} == {("archive",)}
    assert all("order" in e["message"] for p in captured for e in p["logEvents"])


def test_prefix_captures_every_matching_group(account: Account, tmp_path: Path) -> None:
    """--log-group-prefix finds each log group and captures them all, each with its own payloads."""
    rc, out = _capture(tmp_path, "--log-group-prefix", "/aws/containerinsights/demo/application/shop/")
    captured = _read_lines(out)
    assert rc == 0
    assert [p for p in captured if p["logGroup"] == OTHER_GROUP] == _expected_payloads(account, captured, OTHER_GROUP)
    assert sum(len(p["logEvents"]) for p in captured) == 35


def test_start_and_end_bound_the_events(account: Account, tmp_path: Path) -> None:
    """Only events with start <= timestamp <= end are captured."""
    start, end = _ms(10), _ms(30)
    rc, out = _capture(tmp_path, "--log-group", GROUP, "--start", str(start), "--end", str(end))
    stamps = [e["timestamp"] for p in _read_lines(out) for e in p["logEvents"]]
    assert rc == 0 and stamps
    want = [e["timestamp"] for g, _, events in account.puts if g == GROUP
            for e in events if start <= e["timestamp"] <= end]
    assert sorted(stamps) == sorted(want)


def test_lambda_events_carry_the_same_payloads(account: Account, tmp_path: Path) -> None:
    """--lambda-events writes {"awslogs":{"data":base64(gzip(json))}} that decode to the plain capture."""
    payloads = pytest.importorskip("efklab.cloudwatch.payloads",
                                   reason="efklab.cloudwatch.payloads (payload codec) is not built yet")
    _, plain = _capture(tmp_path, "--log-group", GROUP)
    rc, events = _capture(tmp_path, "--log-group", GROUP, "--lambda-events", name="events.jsonl")
    assert rc == 0
    decoded = [payloads.encode_payload(payloads.decode_payload(line)) for line in _read_lines(events)]
    assert all(set(line) == {"awslogs"} for line in _read_lines(events))
    assert decoded == _read_lines(plain)


class _FailingCalls:
    """Answers chosen filter_log_events calls with an AWS error instead of moto (counts every call)."""

    def __init__(self, fail: dict[int, tuple[int, str]]) -> None:
        self.fail = fail
        self.calls = 0

    def __call__(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls in self.fail:
            status, code = self.fail[self.calls]
            response = botocore.awsrequest.AWSResponse("https://logs", status, {}, None)
            return response, {"Error": {"Code": code, "Message": f"{code} injected"},
                              "ResponseMetadata": {"HTTPStatusCode": status}}
        return None


def _session_with(hook: _FailingCalls) -> Callable[..., Any]:
    def make(**kwargs: Any) -> Any:
        session = aws.make_session(**kwargs)
        session.events.register("before-call.cloudwatch-logs.FilterLogEvents", hook)
        return session

    return make


def _run(argv: list[str], **inject: Any) -> int:
    args = build_parser().parse_args(["capture", *argv])
    try:
        return capture_cli.run(args, **inject)
    except EfklabError:  # what the dispatcher turns into exit 2
        return 2


def test_throttling_is_retried_with_backoff(account: Account, tmp_path: Path) -> None:
    """ThrottlingException answers are retried after exponentially growing waits; nothing is lost."""
    hook, waits = _FailingCalls({1: (400, "ThrottlingException"), 2: (400, "ThrottlingException")}), []
    out = tmp_path / "t.jsonl"
    rc = _run(["--log-group", GROUP, "--out", str(out)], sleep=waits.append, make_session=_session_with(hook))
    assert rc == 0
    assert waits == [1.0, 2.0]
    assert sum(len(p["logEvents"]) for p in _read_lines(out)) == 34


@pytest.mark.parametrize("name", ["resume.jsonl", "resume.jsonl.gz"])
def test_interrupted_capture_resumes_without_loss_or_duplicates(account: Account, tmp_path: Path, name: str) -> None:
    """A capture that fails mid-way, rerun with --resume, writes exactly what an uninterrupted one writes."""
    ref = tmp_path / f"ref-{name}"
    assert _run(["--log-group", GROUP, "--page-size", "4", "--out", str(ref)]) == 0

    out = tmp_path / name
    hook = _FailingCalls({4: (403, "AccessDeniedException")})
    assert _run(["--log-group", GROUP, "--page-size", "4", "--out", str(out)], make_session=_session_with(hook)) == 2
    checkpoint = json.loads(Path(f"{out}.checkpoint.json").read_text())
    assert checkpoint["groups"][GROUP]["page"] == 3 and not checkpoint["groups"][GROUP]["done"]
    with open(out, "ab") as f:
        f.write(b"half a line written when the process died")  # beyond the checkpoint: cut on resume

    assert _run(["--log-group", GROUP, "--page-size", "4", "--out", str(out), "--resume"]) == 0
    assert _read_lines(out) == _read_lines(ref)
    assert not Path(f"{out}.checkpoint.json").exists()


def test_resume_with_other_options_is_refused(account: Account, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A checkpoint only continues the same query; anything else is a one-line error."""
    out = tmp_path / "r.jsonl"
    hook = _FailingCalls({2: (403, "AccessDeniedException")})
    assert _run(["--log-group", GROUP, "--page-size", "4", "--out", str(out)], make_session=_session_with(hook)) == 2
    rc = main(["capture", "--log-group", GROUP, "--page-size", "4", "--out", str(out), "--resume",
               "--filter-pattern", "ERROR"])
    assert rc == 2
    assert "filter_pattern differ" in capsys.readouterr().err


def test_missing_log_group_is_one_line_exit_2(account: Account, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A log group that does not exist is named in a one-line error."""
    rc, _ = _capture(tmp_path, "--log-group", "/no/such/group")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err == "efklab capture: --log-group: log group '/no/such/group' not found in this account/region"


def test_no_credentials_is_one_line_exit_2(aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Without credentials in the chain the user gets one line saying where they are looked for."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    rc, _ = _capture(tmp_path, "--log-group", GROUP)  # no mock: moto would lend its own keys; nothing is sent unsigned
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "no AWS credentials found" in err


def test_no_region_is_a_usage_error(aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Without a region the error says how to give one."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    rc, _ = _capture(tmp_path, "--log-group", GROUP)
    assert rc == 2 and "--region" in capsys.readouterr().err


def test_credentials_never_reach_output_files_or_terminal(account: Account, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The secret key is in none of the files written nor in anything printed."""
    rc, _ = _capture(tmp_path, "--log-group", GROUP, "--json")
    printed = capsys.readouterr()
    assert rc == 0
    for path in tmp_path.iterdir():
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in printed.out + printed.err
    assert json.loads(printed.out)["events"] == 34


def test_an_expired_page_token_on_resume_says_to_start_over(account: Account, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """When AWS refuses the checkpoint's page token, the one-line error says to run without --resume."""
    out = tmp_path / "x.jsonl"
    argv = ["capture", "--log-group", GROUP, "--page-size", "4", "--out", str(out)]
    assert _run(argv[1:], make_session=_session_with(_FailingCalls({2: (403, "AccessDeniedException")}))) == 2
    capsys.readouterr()
    refused = _FailingCalls({1: (400, "InvalidParameterException")})
    args = build_parser().parse_args([*argv, "--resume"])
    with pytest.raises(RemoteError, match="page tokens expire; run without --resume"):
        capture_cli.run(args, make_session=_session_with(refused))
