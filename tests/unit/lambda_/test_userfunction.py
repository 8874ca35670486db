"""A user's function: its handler setting, and how the loopback endpoint answers it as OpenSearch would."""
from __future__ import annotations

import json

import pytest

from efklab.cli.userlambda.options import RESPONSES as CLI_RESPONSES
from efklab.errors import UsageError
from efklab.lambda_.userfunction import RESPONSES, CapturedRequest, HandlerSpec, bulk_answer, parse_handler

BODY = (b'{"index":{"_index":"a","_id":"1"}}\n{"x":1}\n'
        b'{"create":{"_index":"b","_id":"2"}}\n{"x":2}\n'
        b'{"delete":{"_index":"c","_id":"3"}}\n')


@pytest.mark.parametrize(("text", "module", "export"), [
    ("index.handler", "index", "handler"), ("src/app.main", "src/app", "main"),
    ("lambda.logs.handler", "lambda.logs", "handler"),
])
def test_a_handler_setting_names_a_module_and_an_export(text: str, module: str, export: str) -> None:
    assert parse_handler(text) == HandlerSpec(module=module, export=export)


@pytest.mark.parametrize("text", ["index", ".handler", "index.", "index.1handler", "my file.handler"])
def test_a_handler_setting_lambda_would_refuse_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match=r"FILE\.EXPORT"):
        parse_handler(text)


def test_every_action_of_a_bulk_body_gets_one_created_item_in_order() -> None:
    status, answer = bulk_answer(BODY, "ok")
    assert status == 200 and answer["errors"] is False
    assert [(next(iter(i)), next(iter(i.values()))["_id"]) for i in answer["items"]] == [
        ("index", "1"), ("create", "2"), ("delete", "3")]
    assert {next(iter(i.values()))["status"] for i in answer["items"]} == {201}


def test_item_errors_answer_200_with_every_item_refused() -> None:
    status, answer = bulk_answer(BODY, "item-errors")
    assert status == 200 and answer["errors"] is True
    assert [next(iter(i.values()))["status"] for i in answer["items"]] == [400, 400, 400]


@pytest.mark.parametrize(("respond", "status"), [("http-429", 429), ("http-500", 500)])
def test_whole_request_failures_answer_with_their_status(respond: str, status: int) -> None:
    got, answer = bulk_answer(BODY, respond)
    assert got == status and answer["status"] == status and "error" in answer


def test_a_malformed_action_line_is_refused_as_the_node_refuses_it() -> None:
    status, answer = bulk_answer(b"not json\n{}\n", "ok")
    assert status == 400 and "line [1]" in json.dumps(answer)


def test_only_posts_to_bulk_count_as_bulk_requests() -> None:
    def request(method: str, path: str) -> CapturedRequest:
        return CapturedRequest(0, method, "https://d", path, {}, b"")

    assert request("POST", "/_bulk").is_bulk and request("POST", "/logs/_bulk?refresh=true").is_bulk
    assert not request("GET", "/_bulk").is_bulk and not request("PUT", "/_index_template/x").is_bulk


def test_the_cli_spells_out_the_core_responses() -> None:
    assert CLI_RESPONSES == RESPONSES
