"""The secret scan: what counts as a credential in a report output, and what does not."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.reports.secretscan import credential_values, scan_text

FOUND = [
    ("x AKIAIOSFODNN7EXAMPLE y", "AWS access key id"),
    ("ASIAY34FZKBOKMUTVV7A", "AWS access key id"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key"),
    ('{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}', "AWS secret access key"),
    ("X-Amz-Security-Token: " + "F" * 60, "AWS session token"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization header"),
    ('{\\"authorization\\": \\"Bearer eyJhbGciOiJIUzI1NiJ9\\"}', "Authorization header"),
    ("Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/es/aws4_request", "Authorization header"),
    ("connecting to https://admin:hunter22@search.example.com:443", "URL with a password"),
    ('password: "s3cr3t-pw"', "password"),
    ('{\\"password\\": \\"s3cr3t-pw\\"}', "password"),
    ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
    ("&quot;password&quot;: &quot;s3cr3t-pw&quot;", "password"),
]

CLEAN = [
    "http://localhost:9200/_search?size=10",
    "Basic auth from EFKLAB_OPENSEARCH_USER/EFKLAB_OPENSEARCH_PASSWORD",
    "password=None",
    "password: ********",
    "password=${OPENSEARCH_PASSWORD}",
    "(T) 11:09:04[301] logdata~~~~~~",
    "the event id 36164284512385384236651003116405826431234928394772349952",
    "data:image/png;base64,iVBORw0KGgoAKIAIOSFODNN7EXAMPLEAAAANSUhEUgAA",
]


@pytest.mark.parametrize(("text", "kind"), FOUND)
def test_credentials_are_found(text: str, kind: str) -> None:
    """Each shape of credential is found and named by its kind."""
    assert kind in [f.kind for f in scan_text(text, source="out.html")]


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_text_is_not_a_finding(text: str) -> None:
    """URLs without passwords, placeholders, log lines, event ids and embedded images are not secrets."""
    assert scan_text(text, source="out.html") == []


def test_findings_name_place_and_kind_but_never_the_value() -> None:
    """A finding says where (source:line) and what, so the message itself leaks nothing."""
    findings = scan_text("ok\nkey AKIAIOSFODNN7EXAMPLE\n", source="03-ordering.html")
    assert [f.describe() for f in findings] == ["03-ordering.html:2: AWS access key id"]


def test_credential_environment_values_are_searched_for_literally() -> None:
    """Any value of a credential-like variable is a secret, whatever its shape."""
    secrets = credential_values({"EFKLAB_OPENSEARCH_PASSWORD": "correct horse battery", "HOME": "/home/me"})
    assert list(secrets) == ["EFKLAB_OPENSEARCH_PASSWORD"]
    findings = scan_text("user=me pw=correct horse battery", source="nb", secrets=secrets)
    assert [f.kind for f in findings] == ["value of $EFKLAB_OPENSEARCH_PASSWORD"]


@pytest.mark.parametrize(
    ("name", "value", "kept"),
    [
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG", True),
        ("GITHUB_TOKEN", "ghp_0123456789abcdef", True),
        ("MY_API_KEY", "0123456789", True),
        ("AWS_SESSION_TOKEN", "true", False),  # placeholder-like, too common to search for
        ("SSH_AUTH_SOCK", "/tmp/ssh-XXXX/agent.1", False),  # a socket path, not a credential
        ("AWS_REGION", "ap-northeast-2", False),
        ("DB_PASSWORD", "short", False),  # too short to search for without false alarms
    ],
)
def test_which_environment_variables_count_as_credentials(name: str, value: str, kept: bool) -> None:
    """Credential-like names with values long enough to be searched for."""
    assert (name in credential_values({name: value})) is kept


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_a_planted_environment_secret_is_always_found(noise: str) -> None:
    """Wherever a credential value sits in arbitrary text, it is found."""
    secret = "planted-Secret-0042"
    text = noise[: len(noise) // 2] + secret + noise[len(noise) // 2 :]
    findings = scan_text(text, source="x", secrets={"X_TOKEN": secret})
    assert "value of $X_TOKEN" in [f.kind for f in findings]
