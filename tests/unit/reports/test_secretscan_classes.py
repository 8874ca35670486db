"""Every credential class the scan covers: a planted value is found, a look-alike twin stays quiet.

Planted values are built from pieces at run time so this file holds no literal token.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from efklab.errors import ReportError
from efklab.reports.runner import run_report
from efklab.reports.secretscan import scan_text

R36 = "Zq8Lm2Xv9Pk4Rt7Wb1Nc5Hd3Jf6Gs0Ay8Ue2"  # 36 mixed letters and digits
B64 = "Qm9va3MgYW5kIHRoaW5ncyBhbmQgbW9yZSB0ZXh0IGhlcmU"  # base64-looking
JWT = "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
ENTROPY = "high-entropy value of a secret-named key"
KEY_BLOCK = "-----BEGIN {} PRIVATE KEY{}-----"

# (class, planted text, look-alike twin that is not a credential)
CLASSES = [
    ("URL with a password", "redis://" + ":pw-" + "Secret9@cache:6379/0", "redis://cache:6379/0 and http://[::1]:9200/"),
    ("URL with a password", "amqp://" + "app:" + "s3cret@mq:5672", "see http://host:8080/a@b for details"),
    ("password", "DB_" + "PASSWORD=" + "Hunter2-Hunter2", "DB_PASSWORD_FILE=/run/secrets/db"),
    ("password", "export MYSQL_ROOT_" + "PASSWORD='" + "t0p-s3cret'", "password_policy: strict"),
    ("JSON Web Token", "token " + JWT, "header only eyJhbGciOiJIUzI1NiJ9 and a.b.c"),
    ("GitHub token", "ghp_" + R36, "ghp_short and the ghp_ prefix"),
    ("GitHub token", "gho_" + R36, "gho_" + R36[:20]),
    ("GitHub token", "ghs_" + R36, "ghs_ is a prefix"),
    ("GitHub token", "github_pat_" + "11ABCDEFG0" + "_" + R36 + R36[:25], "github_pat_ docs"),
    ("GitLab token", "glpat-" + R36[:20], "glpat- prefix only"),
    ("Stripe key", "sk_" + "live_" + R36[:24], "disk_live_" + R36[:24]),
    ("Stripe key", "rk_" + "live_" + R36[:24], "sk_live_short"),
    ("Slack token", "xoxb-" + "1234567890-" + R36[:24], "xoxb- prefix"),
    ("Slack token", "xoxp-" + "1234567890-" + R36[:24], "xoxo-hugs"),
    ("Slack token", "xapp-" + "1-A0123BCDE-1234567890-" + R36.lower(), "xapp-1 alone"),
    ("Slack webhook", "https://hooks." + "slack.com/services/T0000/B0000/" + R36[:24],
     "https://hooks.example.com/services/T0000/B0000/x"),
    ("Google API key", "AIza" + R36[:35], "AIza" + R36[:10]),
    ("npm token", "npm_" + R36, "npm_config_cache=/tmp/npm"),
    ("npm token", "//npm.example.invalid/:_auth" + "Token=" + R36, "//npm.example.invalid/:_authToken=${NPM_TOKEN}"),
    ("private key", KEY_BLOCK.format("OPENSSH", ""), "-----BEGIN PUBLIC KEY-----"),
    ("private key", KEY_BLOCK.format("ENCRYPTED", ""), "-----BEGIN CERTIFICATE-----"),
    ("private key", KEY_BLOCK.format("PGP", " BLOCK"), "-----BEGIN PGP PUBLIC KEY BLOCK-----"),
    ("private key", KEY_BLOCK.format("SSH2 ENCRYPTED", ""), "private key rotation is due"),
    ("private key", "PuTTY-User-" + "Key-File-3: ssh-ed25519", "PuTTY is a client"),
    ("Azure storage key", "DefaultEndpointsProtocol=https;AccountName=logs;Account" + "Key=" + B64 + B64,
     "DefaultEndpointsProtocol=https;AccountName=logs;EndpointSuffix=core.windows.net"),
    ("Azure storage key", "https://logs.blob.core.windows.net/c?sv=2022-11-02&" + "sig=" + B64,
     "https://logs.blob.core.windows.net/c?sv=2022-11-02&comp=list"),
    ("Authorization header", "Authorization: Basic " + "dXNlcjpwYXNzd29yZA==", "Authorization: Basic"),
    ("basic-auth credentials on a command line", "curl -u " + "admin:" + "s3cretpw https://x", "curl -u admin https://x"),
    ("SendGrid key", "SG." + R36[:22] + "." + (R36 + R36)[:43], "SG.x.y"),
    ("Twilio key", "SK" + "0123456789abcdef" * 2, "SKU 12345"),
    ("OpenAI key", "sk-" + R36[:20] + "T3Blbk" + "FJ" + R36[:20], "sk-learn is a library"),
    ("Hugging Face token", "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "hf_hub_download"),
    (ENTROPY, 'client_' + 'secret: "' + R36[:24] + '"', "secretName: my-app-tls-2024"),
    (ENTROPY, "X_AUTH_" + "TOKEN=" + B64[:30], "max_tokens=4096"),
    (ENTROPY, '{"api' + 'Key": "' + R36[4:30] + '"}', '{"apiKey": "aaaaaaaaaaaaaaaaaaaaaaaa1"}'),
]


def kinds(text: str) -> list[str]:
    return [f.kind for f in scan_text(text, source="out.html")]


@pytest.mark.parametrize(("kind", "planted", "twin"), CLASSES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CLASSES)])
def test_each_credential_class_is_found_and_its_twin_is_not(kind: str, planted: str, twin: str) -> None:
    """The planted credential is found under its class; the look-alike yields no finding at all."""
    assert kind in kinds(f"log line before\n{planted}\nafter")
    assert kinds(twin) == []


@pytest.mark.parametrize(("kind", "planted"), [(c[0], c[1]) for c in CLASSES])
def test_a_finding_never_carries_the_value(kind: str, planted: str) -> None:
    """What a finding says is where and which class, never the value."""
    for finding in scan_text(planted, source="out.html"):
        assert planted not in finding.describe()


@pytest.mark.parametrize(("kind", "planted"), [(c[0], c[1]) for c in CLASSES])
def test_html_escaped_and_json_quoted_credentials_are_found(kind: str, planted: str) -> None:
    """Reports are HTML: a credential inside an escaped JSON string is still found."""
    quoted = '{"msg": "' + planted.replace('"', '\\"') + '"}'
    escaped = quoted.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    assert kind in kinds(escaped)


@given(st.sampled_from(CLASSES), st.text(alphabet=st.characters(whitelist_categories=("Zs", "Po", "Pd")), max_size=20))
def test_a_planted_credential_is_found_wherever_it_sits(case: tuple[str, str, str], noise: str) -> None:
    """Surrounded by spaces and punctuation, each class is still found."""
    kind, planted, _ = case
    assert kind in kinds(f"{noise} {planted} {noise}")


def test_a_report_showing_new_class_credentials_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    """A notebook prints one credential of each class: the runner refuses the report, names no value,
    and writes nothing."""
    planted = [c[1] for c in CLASSES]
    data = tmp_path / "planted.txt"
    data.write_text("\n".join(planted) + "\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    tagged = nbformat.v4.new_code_cell(f"path: str = {str(data)!r}  # the planted file")
    tagged.metadata.tags = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# leaky"), tagged, nbformat.v4.new_code_cell("print(open(path).read())")]
    notebook = tmp_path / "nb" / "09-leaky.ipynb"
    notebook.parent.mkdir()
    nbformat.write(nb, notebook)
    with pytest.raises(ReportError, match="refusing to write the report") as caught:
        run_report([notebook], str(tmp_path / "out"), {}, now=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
                   environ={})
    message = str(caught.value)
    assert not any(value in message for value in planted)
    assert not (tmp_path / "out").exists()
