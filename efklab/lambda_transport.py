"""The Lambda's HTTP side: POST ``_bulk`` bodies with urllib3, signed with SigV4 (botocore).

Kept apart from the handler so the handler's logic is tested with any ``send``; this module
is the one real sender.  No retries here (delivery decides), a connection failure is an
answer with status 0, and nothing here logs.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import urllib3

from efklab.delivery import BulkResponse

if TYPE_CHECKING:
    from efklab.lambda_handler import HandlerConfig


def make_sender(config: HandlerConfig, session: Callable[[], Any]) -> Callable[[bytes], BulkResponse]:
    """A ``send(body)`` that POSTs to ``<url>/_bulk``, signing each attempt afresh."""
    pool = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED" if config.verify_tls else "CERT_NONE",
        ca_certs=config.ca_certs,
        timeout=urllib3.Timeout(connect=min(10.0, config.timeout), read=config.timeout),
        retries=False,
    )
    url = f"{config.url}/_bulk"

    def send(body: bytes) -> BulkResponse:
        headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
        if config.signing:
            from efklab.adapters import aws

            assert config.region is not None
            headers = aws.sign_request(
                "POST", url, headers=headers, body=body, credentials=aws.resolve_credentials(session()),
                region=config.region, service=config.service,
            )
        elif config.basic_auth is not None:
            token = base64.b64encode(":".join(config.basic_auth).encode()).decode()
            headers.append(("Authorization", f"Basic {token}"))
        try:
            response = pool.request("POST", url, body=body, headers=dict(headers), retries=False)
        except urllib3.exceptions.HTTPError as exc:
            reason = {"error": {"type": "connection_error", "reason": f"{type(exc).__name__}: {exc}"}}
            return BulkResponse(0, json.dumps(reason).encode())
        return BulkResponse(response.status, response.data)

    return send
