"""How the Lambda reads an HTTP answer to ``_bulk`` (efklab.deploy.transport.read_answer)."""
from __future__ import annotations

import pytest

from efklab.deploy.transport import read_answer
from efklab.opensearch.bulk import RequestFailure, bulk_items


@pytest.mark.parametrize("body", [b"<html>Bad Gateway</html>", b"", b'{"items": [', b"[" * 50_000])
def test_a_2xx_body_that_is_not_json_is_a_failure_without_a_status(body: bytes) -> None:
    """Not JSON (a page, nothing, cut short, nested past the parser): no usable status, so nothing counts as ok."""
    answer = read_answer(200, body)
    assert isinstance(answer, RequestFailure) and answer.status is None and "not JSON" in answer.reason


def test_a_2xx_json_body_is_handed_on_and_checked_as_a_bulk_answer() -> None:
    """JSON that is no bulk answer reaches the bulk check, which says why it is not one."""
    assert bulk_items(read_answer(200, b'{"acknowledged":true}'), 1) == (
        "not a bulk response (no items; it holds acknowledged)")
    assert bulk_items(read_answer(200, b'{"errors":false,"items":[{"index":{"status":201}}]}'), 1) == [
        {"index": {"status": 201}}]


@pytest.mark.parametrize(("status", "fatal"), [(401, True), (403, True), (413, False), (429, False), (503, False)])
def test_error_statuses_keep_their_status(status: int, fatal: bool) -> None:
    """401/403 stop (credentials); 413 is split by the bulk sender; 429/5xx are retried."""
    answer = read_answer(status, b'{"error":{"type":"x","reason":"y"}}')
    assert isinstance(answer, RequestFailure) and (answer.status, answer.fatal) == (status, fatal)
