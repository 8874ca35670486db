"""Client construction against local HTTP servers: SigV4 signing from the boto3 chain, and its absence."""
from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from efklab.adapters.opensearch import connection_from_env, make_client
from efklab.errors import RemoteError

pytestmark = pytest.mark.integration
FAKE_KEY = "AKIDEXAMPLEEFKLAB"


@contextmanager
def recording_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Answers like a cluster's root endpoint and records every request's headers."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            body = json.dumps({"version": {"number": "2.19.4", "distribution": "opensearch"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_sigv4_signs_with_the_boto3_credential_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """--aws-region: requests carry an AWS4-HMAC-SHA256 signature for service `es` in that region, no secret."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-for-tests")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with recording_server() as (url, seen):
        make_client(connection_from_env(url, aws_region="eu-west-1", env={}))
    (headers,) = seen
    auth = headers["Authorization"]
    assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={FAKE_KEY}/") and "/eu-west-1/es/aws4_request" in auth
    assert "X-Amz-Date" in headers and "fake-secret-for-tests" not in json.dumps(headers)


def test_sigv4_without_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No credentials anywhere in the chain: a RemoteError saying so, before any request."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with recording_server() as (url, seen), pytest.raises(RemoteError, match="no AWS credentials found"):
        make_client(connection_from_env(url, aws_region="eu-west-1", env={}))
    assert seen == []
