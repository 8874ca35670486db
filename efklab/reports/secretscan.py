"""Find credentials in report outputs before they are written anywhere.

A report is shared (mailed, attached to a pull request, served from a bucket), so the
runner refuses to write one that contains an AWS key, a password, an Authorization header,
a URL with a password in it, a private key, or the value of any credential-like environment
variable.  Findings name the kind and where it is, never the secret itself.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Names of environment variables whose values are credentials (AWS_SECRET_ACCESS_KEY,
# EFKLAB_OPENSEARCH_PASSWORD, GITHUB_TOKEN, ...).  Matched case-insensitively on the name.
_CREDENTIAL_NAME = re.compile(
    r"(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|CREDENTIAL|PRIVATE_KEY|ACCESS_KEY|API_KEY|APIKEY|AUTH(?!_SOCK))",
    re.IGNORECASE,
)
_MIN_ENV_VALUE = 8  # shorter values ("1", "true", "us-east-1") would match everywhere
_PLACEHOLDERS = frozenset({"none", "null", "true", "false", "changeme", "redacted", "<redacted>", "********"})

# Base64 images in notebooks and HTML pages carry no readable text but random letters; skip them.
_EMBEDDED_IMAGE = re.compile(r"data:image/[a-z+.-]+;base64,[A-Za-z0-9+/=\s]+")

# An optional quote around keys and values, possibly backslash-escaped (JSON inside JSON).
_Q = r"""(?:\\?["'])?"""

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "AWS access key id",
        re.compile(r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])"),
    ),
    (
        "AWS secret access key",
        re.compile(rf"(?i)(?:aws[_-]?)?secret[_-]?(?:access[_-]?)?key{_Q}\s*[:=]\s*{_Q}(?-i:[A-Za-z0-9/+]{{40}})(?![A-Za-z0-9/+])"),
    ),
    (
        "AWS session token",
        re.compile(rf"(?i)(?:x-amz-security-token|aws_session_token){_Q}\s*[:=]\s*{_Q}[A-Za-z0-9/+=]{{40,}}"),
    ),
    (
        "Authorization header",
        re.compile(
            rf"(?i)\b(?:proxy-)?authorization{_Q}\s*[:=]\s*{_Q}(?:basic|bearer|token|digest|aws4-hmac-sha256|negotiate)\s+[^\s\"'\\,]{{6,}}"
        ),
    ),
    ("URL with a password", re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:[^/\s@\"'<>]+@[^\s\"'<>]+")),
    ("password", re.compile(rf"(?i)\b(?:password|passwd|pwd){_Q}\s*[:=]\s*{_Q}(?P<value>[^\s\"'\\,;}}]{{4,}})")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
)


@dataclass(frozen=True, slots=True)
class SecretFinding:
    """One credential found in one output: what kind, in which output, where (line), never the value."""

    kind: str
    source: str
    line: int

    def describe(self) -> str:
        """``source:line: kind`` for one-line messages."""
        return f"{self.source}:{self.line}: {self.kind}"


def credential_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The values of credential-like environment variables worth searching for, keyed by variable name."""
    return {
        name: value
        for name, value in environ.items()
        if _CREDENTIAL_NAME.search(name)
        and len(value.strip()) >= _MIN_ENV_VALUE
        and value.strip().lower() not in _PLACEHOLDERS
    }


def scan_text(text: str, *, source: str, secrets: Mapping[str, str] | None = None) -> list[SecretFinding]:
    """Every credential in ``text`` (also after HTML unescaping), as findings with line numbers."""
    findings: dict[tuple[str, int], SecretFinding] = {}
    cleaned = _EMBEDDED_IMAGE.sub("data:image", text)
    variants = [cleaned]
    unescaped = html.unescape(cleaned)
    if unescaped != cleaned:
        variants.append(unescaped)
    for variant in variants:
        for kind, pattern in _PATTERNS:
            for match in pattern.finditer(variant):
                if _is_placeholder(match.groupdict().get("value")):
                    continue
                _add(findings, kind, source, variant, match.start())
        for name, value in (secrets or {}).items():
            start = variant.find(value)
            while start >= 0:
                _add(findings, f"value of ${name}", source, variant, start)
                start = variant.find(value, start + 1)
    return sorted(findings.values(), key=lambda f: (f.line, f.kind))


def _is_placeholder(value: str | None) -> bool:
    """``password=None``, ``password: ****``, ``password=${PW}``: not a password."""
    if value is None:
        return False
    lowered = value.lower()
    return lowered in _PLACEHOLDERS or set(value) <= {"*", "x", "X"} or value[0] in "$<%{("


def _add(findings: dict[tuple[str, int], SecretFinding], kind: str, source: str, text: str, offset: int) -> None:
    line = text.count("\n", 0, offset) + 1
    findings.setdefault((kind, line), SecretFinding(kind, source, line))
