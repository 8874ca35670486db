"""The Lambda's HTTP side: POST ``_bulk`` bodies with urllib3, signed with SigV4 (botocore).

``make_post`` builds the ``post(body)`` that ``efklab.opensearch.bulk.send_with_retries`` drives: the
parsed response on a 2xx (which ``send_with_retries`` checks is a complete bulk answer before
anything counts as indexed), else a ``RequestFailure`` (401/403 fatal: retrying cannot fix
credentials; 413 makes it split the request).  The node is asked for only what the accounting reads (``filter_path``:
``errors`` and each item's status and error), a tenth of the full answer to build and parse.
No retries here (``efklab.opensearch.bulk`` decides), nothing here logs, and a connection
failure is a failure without a status.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import urllib3

from efklab.adapters import aws
from efklab.deploy.config import HandlerConfig
from efklab.opensearch.batches import RESPONSE_FILTER
from efklab.opensearch.bulk import RequestFailure

Post = Callable[[str | bytes], object]  # the parsed 2xx answer, or a RequestFailure


def read_answer(status: int, body: bytes) -> object:
    """A ``_bulk`` HTTP answer as ``send_with_retries`` wants it: the parsed 2xx body, or a RequestFailure."""
    if 200 <= status < 300:  # whether it is a complete bulk answer is for ``bulk.bulk_items`` to say
        try:
            parsed: object = json.loads(body)
        except (ValueError, RecursionError):
            return RequestFailure(None, f"HTTP {status} with a body that is not JSON ({_start(body)})")
        return parsed
    reason = _error_text(body)
    if status in (401, 403):
        return RequestFailure(status, f"the endpoint refused the request (HTTP {status}: {reason}); "
                              "check SigV4 signing, the function's role and the domain's access policy", fatal=True)
    return RequestFailure(status, f"HTTP {status}: {reason}")


def make_post(config: HandlerConfig, session: Callable[[], Any]) -> Post:
    """A ``post(body)`` to ``<url>/_bulk``, each attempt signed afresh (X-Amz-Date is per request)."""
    pool = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED" if config.verify_tls else "CERT_NONE",
        ca_certs=config.ca_certs,
        timeout=urllib3.Timeout(connect=min(10.0, config.timeout), read=config.timeout),
        retries=False,
    )
    url = f"{config.url}/_bulk?filter_path={quote(RESPONSE_FILTER, safe='-_.~')}"  # already canonical for SigV4

    def post(body: str | bytes) -> object:
        data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
        headers: list[tuple[str, str]] = [("Content-Type", "application/x-ndjson")]
        if config.signing:
            assert config.region is not None
            headers = aws.sign_request(
                "POST", url, headers=headers, body=data, credentials=aws.resolve_credentials(session()),
                region=config.region, service=config.service,
            )
        elif config.basic_auth is not None:
            token = base64.b64encode(":".join(config.basic_auth).encode()).decode()
            headers.append(("Authorization", f"Basic {token}"))
        try:
            response = pool.request("POST", url, body=data, headers=dict(headers), retries=False)
        except urllib3.exceptions.HTTPError as exc:
            return RequestFailure(None, f"cannot reach {config.url}: {type(exc).__name__}")
        return read_answer(response.status, response.data)

    return post


def _start(body: bytes) -> str:
    """The start of a body that is not JSON, on one line."""
    return " ".join(body[:80].decode("utf-8", "replace").split()) or "an empty body"


def _error_text(body: bytes) -> str:
    """``type: reason`` of an OpenSearch error body, or the start of a non-JSON body."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return " ".join(body[:200].decode("utf-8", "replace").split()) or "empty body"
    error = parsed.get("error") if isinstance(parsed, Mapping) else None
    if isinstance(error, Mapping):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    return str(error or parsed)[:200]
