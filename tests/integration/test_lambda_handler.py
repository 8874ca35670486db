"""The Python Lambda end to end: a CloudWatch Lambda event in, documents in the real local node.

Requests go through a recording proxy to the node, so the tests see what the handler sent
(SigV4 headers, which actions each ``_bulk`` carried).  Item failures are real (a mapping
conflict the node refuses); a 429 is injected by wrapping the real ``post`` on its first
answer.  Dead letters go to S3/SQS, which moto stands in for.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from moto import mock_aws

from efklab.adapters import aws
from efklab.adapters.opensearch import count_per_index, delete_indices, iter_hits
from efklab.deploy import handler as lambda_handler
from efklab.deploy.config import HandlerConfig, load_config
from efklab.deploy.handler import DeliveryFailed, process_event
from efklab.deploy.transport import make_post
from efklab.errors import RemoteError
from efklab.opensearch.bulk import RequestFailure
from efklab.testing import lambda_event, make_control_payload, make_payload
from tests.integration.recording_proxy import RecordingProxy

pytestmark = pytest.mark.integration

PREFIX = "h6lambda"
KEY, SECRET, TOKEN = "AKIAEFKLABLAMBDA", "lambda-test-secret-not-printed", "session-token-of-the-function"
DAY = 1_714_989_600_000  # 2024-05-06T10:00:00Z
BULK_PATH = "/_bulk?filter_path=errors%2Citems.%2A.status%2Citems.%2A.error"  # only what the accounting reads


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The environment a Lambda runtime gives the function: role credentials and region."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setattr(lambda_handler, "_STATE", {})


@pytest.fixture
def indices(opensearch_client: Any, opensearch_connection: Any) -> Iterator[str]:
    """This module's indices, removed before and after each test."""
    pattern = f"{PREFIX}-*"
    delete_indices(opensearch_client, opensearch_connection, pattern)
    yield pattern
    delete_indices(opensearch_client, opensearch_connection, pattern)


def _event(namespace: str, messages: list[Any]) -> dict[str, Any]:
    payload = make_payload(messages, log_group=f"/aws/containerinsights/efklab/application/{namespace}/api", start=DAY)
    return lambda_event(payload)


def _config(url: str, **env: str) -> HandlerConfig:
    # seed mode names indices as the seed does
    prefix = {} if env.get("EFKLAB_MODE") == "seed" else {"EFKLAB_PREFIX": PREFIX}
    return load_config({"EFKLAB_OPENSEARCH_URL": url, **prefix, "EFKLAB_SIGNING_REGION": "eu-west-1", **env})


def _bulk_ids(body: bytes) -> list[str]:
    return [json.loads(line)["index"]["_id"] for line in body.decode().splitlines()[0::2]]


def test_event_in_documents_in_the_index_signed_with_sigv4(function_env: None, indices: str, opensearch_url: str,
                                                           opensearch_client: Any, opensearch_connection: Any) -> None:
    """A Lambda event becomes documents in the node; the request carries valid SigV4 headers for the function's role."""
    messages = [{"log": f"(I) 10:00:00[{i:03d}] order {i} ok\n", "stream": "stdout", "n": i} for i in range(5)]
    with RecordingProxy(opensearch_url) as proxy:
        config = _config(proxy.url)
        summary = process_event(_event("sig", messages), config=config, post=make_post(config, boto3.Session),
                                sleep=lambda s: None, dead_letters=None, request_id="req-sig")
    assert summary["outcome"] == "ok" and summary["indexed"] == 5 and summary["requests"] == 1
    assert count_per_index(opensearch_client, opensearch_connection, indices) == {f"{PREFIX}-sig-api-2024.05.06": 5}
    assert [h["_source"]["n"] for h in iter_hits(opensearch_client, opensearch_connection, indices,
                                                 sort=[{"n": "asc"}])] == list(range(5))

    (sent,) = proxy.requests
    date = sent.header("X-Amz-Date")
    assert sent.method == "POST" and sent.path == BULK_PATH and date is not None
    assert sent.header("X-Amz-Security-Token") == TOKEN
    assert sent.header("Authorization").startswith(
        f"AWS4-HMAC-SHA256 Credential={KEY}/{date[:8]}/eu-west-1/es/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
    )
    at = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    again = dict(aws.sign_request("POST", f"{proxy.url}{BULK_PATH}",
                                  headers=[("Content-Type", sent.header("Content-Type") or "")],
                                  body=sent.body, credentials=Credentials(KEY, SECRET, TOKEN), region="eu-west-1",
                                  service="es", now=at))
    assert sent.header("Authorization") == again["Authorization"]  # the signature covers exactly the bytes the node got


def test_a_mapping_conflict_is_dead_lettered_once_and_not_retried(function_env: None, indices: str, opensearch_url: str,
                                                                  opensearch_client: Any,
                                                                  opensearch_connection: Any) -> None:
    """A 400 item (the node refuses a string for a long field) goes to the S3 dead letters with the node's reason;
    nothing is re-sent."""
    opensearch_client.indices.create(index=f"{PREFIX}-conflict-api-2024.05.06",
                                     body={"mappings": {"properties": {"count": {"type": "long"}}}})
    messages = [{"log": "a\n", "count": 1}, {"log": "b\n", "count": "many"}, {"log": "c\n", "count": 3}]
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="efklab-dlq",
                                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with RecordingProxy(opensearch_url) as proxy:
            config = _config(proxy.url, EFKLAB_SIGNING="none", EFKLAB_DEAD_LETTER_URL="s3://efklab-dlq/lambda/")
            letters = lambda records: aws.write_dead_letters(boto3.Session(), "s3://efklab-dlq/lambda/", records,
                                                             name="2024/05/06/req-c")
            summary = process_event(_event("conflict", messages), config=config, post=make_post(config, boto3.Session),
                                    sleep=lambda s: None, dead_letters=letters, request_id="req-c")
        body = boto3.client("s3").get_object(Bucket="efklab-dlq", Key="lambda/2024/05/06/req-c.jsonl")["Body"].read()
    assert len(proxy.requests) == 1
    assert (summary["indexed"], summary["failed"], summary["dead_lettered"], summary["outcome"]) == (2, 1, 1, "partial")
    assert summary["dead_letter_location"] == "s3://efklab-dlq/lambda/2024/05/06/req-c.jsonl"
    (letter,) = [json.loads(line) for line in body.decode().splitlines()]
    assert letter["status"] == 400 and letter["error"]["type"] == "mapper_parsing_exception"
    assert letter["document"]["count"] == "many" and letter["request_id"] == "req-c"
    assert (count_per_index(opensearch_client, opensearch_connection, indices)
            == {f"{PREFIX}-conflict-api-2024.05.06": 2})


class FirstAnswer429:
    """Wraps the real post: on the first answer, item ``victim`` is reported as rejected with 429."""

    def __init__(self, post: Any, victim: int) -> None:
        self.post, self.victim, self.calls = post, victim, 0

    def __call__(self, body: str) -> Mapping[str, Any] | RequestFailure:
        answer = self.post(body)
        self.calls += 1
        if self.calls == 1 and not isinstance(answer, RequestFailure):
            items = [dict(i) for i in answer["items"]]
            items[self.victim] = {"index": {**items[self.victim]["index"], "status": 429,
                                            "error": {"type": "es_rejected_execution_exception",
                                                      "reason": "queue full"}}}
            return {**answer, "errors": True, "items": items}
        return answer


def test_a_429_item_is_retried_alone_after_a_backoff(function_env: None, indices: str, opensearch_url: str,
                                                     opensearch_client: Any, opensearch_connection: Any) -> None:
    """Only the item answered 429 is sent again (after the configured wait); every document ends in the index once."""
    messages = [{"log": f"line {i}\n", "n": i} for i in range(6)]
    waits: list[float] = []
    with RecordingProxy(opensearch_url) as proxy:
        config = _config(proxy.url, EFKLAB_BACKOFF_BASE="0.25")
        post = FirstAnswer429(make_post(config, boto3.Session), victim=3)
        summary = process_event(_event("retry", messages), config=config, post=post, sleep=waits.append,
                                dead_letters=None)
    first, second = (_bulk_ids(r.body) for r in proxy.requests)
    assert len(first) == 6 and second == [first[3]]
    assert waits == [0.25]
    assert (summary["indexed"], summary["failed"], summary["retried_items"], summary["requests"]) == (6, 0, 1, 2)
    assert count_per_index(opensearch_client, opensearch_connection, indices) == {f"{PREFIX}-retry-api-2024.05.06": 6}


def test_the_entry_point_logs_one_summary_line_without_bodies_or_headers(function_env: None, indices: str,
                                                                         opensearch_url: str,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """handler(event, context) reads its environment, indexes, and prints exactly one JSON line with counts only."""
    secret_text = "card=4111-1111-1111-1111"
    with RecordingProxy(opensearch_url) as proxy:
        for name, value in {"EFKLAB_OPENSEARCH_URL": proxy.url, "EFKLAB_PREFIX": PREFIX,
                            "EFKLAB_MODE": "opensearch"}.items():
            monkeypatch.setenv(name, value)

        class Context:
            aws_request_id = "req-entry"

        result = lambda_handler.handler(_event("entry", [{"log": f"{secret_text}\n"}, {"log": "second\n"}]), Context())
    (line,) = capsys.readouterr().out.splitlines()
    logged = json.loads(line)
    assert logged["indexed"] == 2 and logged["request_id"] == "req-entry" and result["outcome"] == "ok"
    assert proxy.requests[0].header("Authorization", ).startswith("AWS4-HMAC-SHA256")
    for forbidden in (secret_text, SECRET, TOKEN, "Authorization", "X-Amz"):
        assert forbidden not in line


def test_seed_mode_against_opensearch_2_dead_letters_every_item_with_the_nodes_reason(function_env: None, indices: str,
                                                                                      opensearch_url: str) -> None:
    """The seed's `_type` makes OpenSearch 2.x refuse the whole request (400):
    every item is a dead letter naming why."""
    captured: list[list[dict[str, Any]]] = []
    config = _config(opensearch_url, EFKLAB_SIGNING="none", EFKLAB_MODE="seed")
    summary = process_event(_event("seedmode", [{"log": "a\n"}, {"log": "b\n"}]), config=config,
                            post=make_post(config, boto3.Session), sleep=lambda s: None,
                            dead_letters=lambda letters: captured.append(letters) or "memory://", request_id="req-seed")
    (letters,) = captured
    assert summary["failed"] == 2 and summary["dead_lettered"] == 2
    assert {(d["status"], d["reason"].split(":")[0]) for d in letters} == {(400, "request_failed")}
    assert all("_type" in d["reason"] for d in letters)


def test_without_dead_letters_a_node_that_stays_down_fails_the_invocation(function_env: None,
                                                                          capsys: pytest.CaptureFixture[str],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Transient failures that outlast the retries fail the invocation so Lambda retries it (ids keep re-sends
    idempotent)."""
    for name, value in {"EFKLAB_OPENSEARCH_URL": "http://127.0.0.1:9", "EFKLAB_SIGNING": "none",
                        "EFKLAB_MAX_RETRIES": "2", "EFKLAB_BACKOFF_BASE": "0", "EFKLAB_TIMEOUT": "2"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(DeliveryFailed, match="no EFKLAB_DEAD_LETTER_URL"):
        lambda_handler.handler(_event("down", [{"log": "x\n"}]), None)
    logged = json.loads(capsys.readouterr().out)
    assert logged["outcome"] == "failed" and logged["failed"] == 1 and logged["requests"] == 3


def test_refused_credentials_stop_with_one_error(function_env: None, opensearch_url: str) -> None:
    """A 403 from the endpoint is a configuration problem: one RemoteError, no dead letters, no retries."""
    with RecordingProxy(opensearch_url, refuse_with=403) as proxy:
        config = _config(proxy.url)
        with pytest.raises(RemoteError, match="HTTP 403"):
            process_event(_event("denied", [{"log": "x\n"}]), config=config, post=make_post(config, boto3.Session),
                          sleep=lambda s: None, dead_letters=None)
    assert len(proxy.requests) == 1


def test_sqs_dead_letters_carry_undecodable_events(function_env: None) -> None:
    """An event that is not a CloudWatch payload goes whole to the SQS dead letters; nothing is posted."""
    with mock_aws():
        url = boto3.client("sqs").create_queue(QueueName="efklab-dlq")["QueueUrl"]
        config = _config("http://127.0.0.1:9", EFKLAB_SIGNING="none", EFKLAB_DEAD_LETTER_URL=url)
        posted: list[str] = []
        summary = process_event({"awslogs": {"data": "bm90IGd6aXA="}}, config=config, post=posted.append,  # type: ignore[arg-type]
                                sleep=lambda s: None,
                                dead_letters=lambda r: aws.write_dead_letters(boto3.Session(), url, r, name="x"))
        messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert posted == [] and summary["outcome"] == "undecodable" and summary["dead_lettered"] == 1
    (letter,) = [json.loads(m["Body"]) for m in messages]
    assert letter["stage"] == "payload" and letter["event"] == {"awslogs": {"data": "bm90IGd6aXA="}}


def test_a_control_message_posts_nothing(function_env: None) -> None:
    """CloudWatch's CONTROL_MESSAGE is acknowledged without a request, as the seed does."""
    posted: list[str] = []
    config = _config("http://127.0.0.1:9", EFKLAB_SIGNING="none")
    summary = process_event(lambda_event(make_control_payload()), config=config, post=posted.append,  # type: ignore[arg-type]
                            sleep=lambda s: None, dead_letters=None)
    assert posted == [] and summary["outcome"] == "control-message"


NOT_BULK_REPLIES = {
    "a proxy's HTML page": (200, b"<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html"),
    "acknowledged": (200, b'{"acknowledged":true}', "application/json"),
    "an empty body": (200, b"", "application/json"),
    "a truncated body": (200, b'{"errors":false,"items":[{"index":{"status":201}},{"ind', "application/json"),
    "a body without items": (200, b'{"took":1,"errors":false}', "application/json"),
    "one item short": (200, b'{"errors":false,"items":[{"index":{"status":201}},{"index":{"status":201}}]}',
                       "application/json"),
}


def _replacing_bulk_answers(reply: tuple[int, bytes, str]) -> Any:
    """The endpoint passes each request to the node (which indexes it) but answers every ``_bulk`` with ``reply``."""
    return lambda request, node: reply if request.path.startswith("/_bulk") else None


@pytest.mark.parametrize("reply", NOT_BULK_REPLIES.values(), ids=NOT_BULK_REPLIES.keys())
def test_a_200_that_is_not_a_bulk_response_never_counts_as_indexed(reply: tuple[int, bytes, str], function_env: None,
                                                                   indices: str, opensearch_url: str,
                                                                   opensearch_client: Any,
                                                                   opensearch_connection: Any) -> None:
    """The node indexes the documents, but what comes back is not one status per action: the request is retried,
    then every document is dead-lettered with the reason; the summary counts none as indexed and is not 'ok'."""
    captured: list[list[dict[str, Any]]] = []
    with RecordingProxy(opensearch_url, answer=_replacing_bulk_answers(reply), forward_first=True) as proxy:
        config = _config(proxy.url, EFKLAB_SIGNING="none", EFKLAB_MAX_RETRIES="2", EFKLAB_BACKOFF_BASE="0")
        summary = process_event(_event("garbled", [{"log": f"line {i}\n"} for i in range(3)]), config=config,
                                post=make_post(config, boto3.Session), sleep=lambda s: None,
                                dead_letters=lambda letters: captured.append(letters) or "memory://",
                                request_id="req-garbled")
    assert (summary["outcome"], summary["indexed"], summary["failed"], summary["dead_lettered"]) == (
        "partial", 0, 3, 3)
    assert len(proxy.requests) == 3  # the first try and two retries
    (letters,) = captured
    assert all(not letter["status"] for letter in letters)  # no HTTP status of its own: 0
    assert all("not JSON" in letter["reason"] or "counts as indexed" in letter["reason"] for letter in letters)
    assert count_per_index(opensearch_client, opensearch_connection, indices) == {
        f"{PREFIX}-garbled-api-2024.05.06": 3}  # indexed after all, but the node never said so: not counted


def test_without_dead_letters_a_200_that_is_not_a_bulk_response_fails_the_invocation(
        function_env: None, opensearch_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """No dead-letter destination: the invocation fails, so Lambda delivers the event again."""
    reply = NOT_BULK_REPLIES["a proxy's HTML page"]
    with RecordingProxy(opensearch_url, answer=lambda request, node: reply) as proxy:
        for name, value in {"EFKLAB_OPENSEARCH_URL": proxy.url, "EFKLAB_SIGNING": "none", "EFKLAB_PREFIX": PREFIX,
                            "EFKLAB_MAX_RETRIES": "1", "EFKLAB_BACKOFF_BASE": "0"}.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(DeliveryFailed):
            lambda_handler.handler(_event("garbled", [{"log": "x\n"}, {"log": "y\n"}]), None)
    logged = json.loads(capsys.readouterr().out)
    assert (logged["outcome"], logged["indexed"], logged["failed"], logged["requests"]) == ("failed", 0, 2, 2)


def test_a_bad_answer_once_then_the_nodes_answer_indexes_everything(function_env: None, indices: str,
                                                                    opensearch_url: str) -> None:
    """A proxy that garbles one answer: the request is sent again and the node's real answer counts."""
    garbled: list[int] = []

    def once(request: Any, node: Any) -> tuple[int, bytes, str] | None:
        if request.path.startswith("/_bulk") and not garbled:
            garbled.append(1)
            return NOT_BULK_REPLIES["acknowledged"]
        return None

    with RecordingProxy(opensearch_url, answer=once, forward_first=True) as proxy:
        config = _config(proxy.url, EFKLAB_SIGNING="none", EFKLAB_BACKOFF_BASE="0")
        summary = process_event(_event("once", [{"log": f"{i}\n"} for i in range(4)]), config=config,
                                post=make_post(config, boto3.Session), sleep=lambda s: None, dead_letters=None)
    assert (summary["outcome"], summary["indexed"], summary["requests"], len(proxy.requests)) == ("ok", 4, 2, 2)
    assert summary["created"] == 0  # the first (unanswered) request had created them


LIMIT = 3000  # bytes of request body the endpoint accepts


def test_a_request_over_the_endpoints_size_limit_is_split_until_it_fits(function_env: None, indices: str,
                                                                        opensearch_url: str, opensearch_client: Any,
                                                                        opensearch_connection: Any) -> None:
    """413 for the whole batch: halves are sent until each fits; every document is indexed by exactly one
    accepted request."""
    messages = [{"log": f"{i} " + "x" * 900 + "\n"} for i in range(8)]
    with RecordingProxy(opensearch_url, max_content_length=LIMIT) as proxy:
        config = _config(proxy.url, EFKLAB_SIGNING="none")
        summary = process_event(_event("split", messages), config=config, post=make_post(config, boto3.Session),
                                sleep=lambda s: None, dead_letters=None)
    accepted = [_bulk_ids(r.body) for r in proxy.requests if len(r.body) <= LIMIT]
    assert (summary["outcome"], summary["indexed"], summary["failed"]) == ("ok", 8, 0)
    assert len(proxy.requests) > len(accepted) >= 4
    every = [doc for ids in accepted for doc in ids]
    assert len(every) == len(set(every)) == 8
    assert count_per_index(opensearch_client, opensearch_connection, indices) == {f"{PREFIX}-split-api-2024.05.06": 8}


def test_a_document_alone_over_the_size_limit_is_dead_lettered_with_413(function_env: None, indices: str,
                                                                        opensearch_url: str, opensearch_client: Any,
                                                                        opensearch_connection: Any) -> None:
    """Only the document that cannot fit fails (413, not retried as a whole); its neighbours are indexed."""
    messages = [{"log": "small a\n"}, {"log": "y" * (2 * LIMIT) + "\n"}, {"log": "small b\n"}]
    captured: list[list[dict[str, Any]]] = []
    with RecordingProxy(opensearch_url, max_content_length=LIMIT) as proxy:
        config = _config(proxy.url, EFKLAB_SIGNING="none")
        summary = process_event(_event("huge", messages), config=config, post=make_post(config, boto3.Session),
                                sleep=lambda s: None, dead_letters=lambda r: captured.append(r) or "memory://")
    (letters,) = captured
    assert (summary["indexed"], summary["failed"], summary["outcome"]) == (2, 1, "partial")
    assert [(d["status"], d["document"]["log"][:1]) for d in letters] == [(413, "y")]
    assert count_per_index(opensearch_client, opensearch_connection, indices) == {f"{PREFIX}-huge-api-2024.05.06": 2}
