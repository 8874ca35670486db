"""SigV4 signing (efklab.adapters.aws.sign_request): AWS's published vectors and botocore's own signer."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.auth
import botocore.awsrequest
import pytest
import yaml
from botocore.credentials import Credentials

from efklab.adapters.aws import sign_request

SUITE = yaml.safe_load((Path(__file__).parent / "cases" / "sigv4_vectors.yaml").read_text(encoding="utf-8"))
CASE_KEYS = {"name", "method", "url", "headers", "body", "token", "signed_headers", "signature"}
SUITE_TIME = datetime.fromisoformat(SUITE["time"])
KEY, SECRET = SUITE["credentials"]["access_key"], SUITE["credentials"]["secret_key"]


def _sign(case: dict[str, Any], **overrides: Any) -> dict[str, str]:
    kwargs: dict[str, Any] = {
        "headers": [tuple(h) for h in case.get("headers", [])],
        "body": case.get("body", "").encode(),
        "credentials": Credentials(KEY, SECRET, case.get("token")),
        "region": SUITE["region"],
        "service": SUITE["service"],
        "now": SUITE_TIME,
    }
    kwargs.update(overrides)
    return dict(sign_request(case["method"], case["url"], **kwargs))


def test_vector_cases_use_only_known_keys() -> None:
    """A typo in the vector file is an error, not a silently ignored key."""
    for case in SUITE["cases"]:
        assert set(case) <= CASE_KEYS, f"{case['name']}: unknown keys {set(case) - CASE_KEYS}"


@pytest.mark.parametrize("case", SUITE["cases"], ids=[c["name"] for c in SUITE["cases"]])
def test_published_vector_signs_to_its_published_authorization(case: dict[str, Any]) -> None:
    """The Authorization header equals the one AWS publishes for the vector, byte for byte."""
    expected = (
        f"AWS4-HMAC-SHA256 Credential={KEY}/20150830/{SUITE['region']}/{SUITE['service']}/aws4_request, "
        f"SignedHeaders={case['signed_headers']}, Signature={case['signature']}"
    )
    assert _sign(case)["Authorization"] == expected


def test_signing_sets_the_date_header_from_the_signing_time() -> None:
    """X-Amz-Date is the signing time in SigV4's basic ISO format."""
    assert _sign(SUITE["cases"][0])["X-Amz-Date"] == "20150830T123600Z"


def test_session_token_travels_as_a_signed_header() -> None:
    """Temporary credentials add X-Amz-Security-Token, and it is part of the signature."""
    case = next(c for c in SUITE["cases"] if c.get("token"))
    headers = _sign(case)
    assert headers["X-Amz-Security-Token"] == case["token"]
    assert "x-amz-security-token" in headers["Authorization"]


def test_a_different_body_gives_a_different_signature() -> None:
    """The payload hash is signed: a tampered body cannot reuse the signature."""
    case = next(c for c in SUITE["cases"] if c["name"] == "post-x-www-form-urlencoded")
    assert _sign(case)["Authorization"] != _sign(case, body=b"Param1=value2")["Authorization"]


def test_fixed_time_signs_exactly_as_botocore_sigv4auth_at_that_time() -> None:
    """botocore's own SigV4Auth.add_auth, and our signer at the instant botocore used, agree."""
    creds = Credentials("AKIDEXAMPLE", "secret", "token")
    body = b'{"index":{"_index":"a"}}\n{"x":1}\n'
    url = "https://search-demo.eu-west-1.es.amazonaws.com/_bulk?refresh=wait_for"
    request = botocore.awsrequest.AWSRequest(method="POST", url=url, data=body,
                                             headers={"Content-Type": "application/json"})
    botocore.auth.SigV4Auth(creds, "es", "eu-west-1").add_auth(request)
    at = datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    ours = dict(sign_request("POST", url, headers={"Content-Type": "application/json"}, body=body,
                             credentials=creds, region="eu-west-1", service="es", now=at))
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours["X-Amz-Security-Token"] == "token"


def test_opensearch_serverless_gets_the_payload_hash_header() -> None:
    """Service aoss requires x-amz-content-sha256; it is added and signed."""
    body = b"{}\n"
    headers = dict(sign_request("POST", "https://x.eu-west-1.aoss.amazonaws.com/_bulk", body=body,
                                credentials=Credentials("A", "B"), region="eu-west-1", service="aoss", now=SUITE_TIME))
    assert headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
    assert "x-amz-content-sha256" in headers["Authorization"]


def test_signing_does_not_change_the_callers_headers() -> None:
    """The input header list is not mutated; the signed list is a new one."""
    given = [("Content-Type", "application/json")]
    sign_request("POST", "https://example.amazonaws.com/", headers=given, body=b"{}",
                 credentials=Credentials("A", "B"), region="us-east-1", now=SUITE_TIME)
    assert given == [("Content-Type", "application/json")]
