"""Connections: credentials from the environment, never shown; transport failures as one line each."""
from __future__ import annotations

import opensearchpy
import pytest

from efklab.adapters.opensearch import Connection, connection_from_env, describe_error, redact_url
from efklab.errors import UsageError

CONN = Connection(url="https://search.example:9200")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://admin:s3cret@search.example:9200", "https://search.example:9200"),
        ("https://admin@search.example", "https://search.example"),
        ("http://127.0.0.1:9200", "http://127.0.0.1:9200"),
    ],
)
def test_redact_url_drops_user_and_password(url: str, shown: str) -> None:
    """Whatever is in the URL's user part never reaches a message."""
    assert redact_url(url) == shown


def test_basic_auth_from_environment_and_hidden_in_repr() -> None:
    """User and password come from EFKLAB_OPENSEARCH_USER/PASSWORD; repr never shows the password."""
    conn = connection_from_env("https://h:9200/",
                               env={"EFKLAB_OPENSEARCH_USER": "u", "EFKLAB_OPENSEARCH_PASSWORD": "pw-123"})
    assert (conn.url, conn.username, conn.password, conn.verify_tls) == ("https://h:9200", "u", "pw-123", True)
    assert "pw-123" not in repr(conn)


@pytest.mark.parametrize(
    ("url", "env", "kwargs", "message"),
    [
        ("search.example:9200", {}, {}, "expected an http"),
        ("https://h", {"EFKLAB_OPENSEARCH_USER": "u"}, {}, "set both"),
        ("https://h", {"EFKLAB_OPENSEARCH_USER": "u", "EFKLAB_OPENSEARCH_PASSWORD": "p"}, {"aws_region": "eu-west-1"},
         "SigV4"),
        ("https://h", {}, {"ca_certs": "/nonexistent/ca.pem"}, "no such CA bundle"),
    ],
)
def test_bad_connection_options_are_usage_errors(url: str, env: dict[str, str], kwargs: dict[str, str],
                                                 message: str) -> None:
    """Malformed URLs, half-set credentials, basic auth with SigV4, a missing CA file: refused up front."""
    with pytest.raises(UsageError, match=message):
        connection_from_env(url, env=env, **kwargs)


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (opensearchpy.ConnectionError("N/A",
                                      "<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new "
                                      "connection: [Errno 111] Connection refused", None),
         "cannot reach https://search.example:9200: Connection refused"),
        (opensearchpy.SSLError("N/A", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
                                      "certificate (_ssl.c:1006)", None),
         "TLS failure talking to https://search.example:9200: self-signed certificate; pass --ca-certs FILE for a "
         "private CA (or --no-verify-tls for a throwaway test node)"),
        (opensearchpy.SSLError("N/A", "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", None),
         "TLS failure talking to https://search.example:9200: wrong version number: the node speaks plain HTTP; "
         "use http://search.example:9200"),
        (opensearchpy.AuthenticationException(401, "Unauthorized", "Unauthorized"),
         "https://search.example:9200 refused the credentials (HTTP 401); set EFKLAB_OPENSEARCH_USER and "
         "EFKLAB_OPENSEARCH_PASSWORD"),
        (opensearchpy.AuthorizationException(403, "security_exception",
                                             {"error": {"type": "security_exception", "reason": "no permissions"}}),
         "https://search.example:9200 denied access (HTTP 403); the user or role lacks permission for this request"),
        (opensearchpy.TransportError(400, "illegal_argument_exception",
                                     {"error": {"type": "illegal_argument_exception", "reason": "bad"}}),
         "https://search.example:9200 answered HTTP 400: illegal_argument_exception: bad"),
    ],
)
def test_transport_failures_are_one_line(exc: Exception, text: str) -> None:
    """Each failure kind gets its own one-line message with what to do."""
    assert str(describe_error(exc, CONN)) == text


def test_sigv4_hint_differs_for_401() -> None:
    """With --aws-region a 401 points at the boto3 credentials, not at the basic-auth variables."""
    signed = Connection(url="https://vpc-x.eu-west-1.es.amazonaws.com", aws_region="eu-west-1")
    assert ("check the boto3 credentials"
            in str(describe_error(opensearchpy.AuthenticationException(401, "x", "x"), signed)))
