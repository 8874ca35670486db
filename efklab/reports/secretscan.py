"""Find credentials in report outputs before they are written anywhere.

A report is shared (mailed, attached to a pull request, served from a bucket), so the
runner refuses to write one that contains a credential.  The classes follow the rule
families of established secret scanners (gitleaks, detect-secrets): cloud keys (AWS,
Google, Azure storage), code-hosting and package tokens (GitHub, GitLab, npm), payment and
chat tokens (Stripe, Slack tokens and webhooks, SendGrid, Twilio, OpenAI, Hugging Face), JWTs,
Authorization headers and ``-u user:pass``, URLs with a password (also with an empty user
name), ``password=``-style assignments (also ``DB_PASSWORD=``), private key blocks of every
kind, high-entropy values assigned to secret-named keys, and the value of any credential-like
environment variable.  Findings name the kind and where it is, never the secret itself.
"""
from __future__ import annotations

import html
import math
import re
from collections import Counter
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
# Not preceded by a letter or digit (an underscore or dash may join a name: DB_PASSWORD, x-api-key).
_START = r"(?<![A-Za-z0-9])"
# Not followed by another character of the token's alphabet.
_END = r"(?![A-Za-z0-9_-])"

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
    ("basic-auth credentials on a command line", re.compile(r"(?<!\S)(?:-u|--user)[ =]['\"]?[^\s:'\"]+:[^\s'\"]{4,}")),
    ("URL with a password", re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]*:[^/\s@\"'<>]+@[^\s\"'<>]+")),
    ("password", re.compile(rf"(?i){_START}(?:password|passwd|pwd){_Q}\s*[:=]\s*{_Q}(?P<value>[^\s\"'\\,;}}]{{4,}})")),
    (
        "private key",
        re.compile(r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
                   r"|PuTTY-User-Key-File-\d+:|AGE-SECRET-KEY-1[0-9A-Z]{50,}"),
    ),
    ("JSON Web Token", re.compile(rf"{_START}eyJ[A-Za-z0-9_-]{{8,}}\.eyJ[A-Za-z0-9_-]{{8,}}\.[A-Za-z0-9_-]*{_END}")),
    ("GitHub token", re.compile(rf"{_START}(?:gh[pousr]_[A-Za-z0-9]{{36,}}|github_pat_[A-Za-z0-9_]{{60,}}){_END}")),
    ("GitLab token", re.compile(rf"{_START}gl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{{20,}}{_END}")),
    ("npm token", re.compile(rf"{_START}npm_[A-Za-z0-9]{{36}}{_END}|:_authToken\s*=\s*(?P<value>[^\s\"']{{8,}})")),
    ("Stripe key", re.compile(rf"{_START}(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{{16,}}{_END}")),
    ("Slack token", re.compile(rf"{_START}(?:xox[abposr]-[A-Za-z0-9-]{{10,}}|xapp-\d-[A-Z0-9]+-\d+-[A-Za-z0-9]+)")),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}")),
    ("Google API key", re.compile(rf"{_START}AIza[0-9A-Za-z_-]{{35}}{_END}")),
    (
        "Azure storage key",
        re.compile(r"(?i)(?<![A-Za-z0-9])AccountKey=[A-Za-z0-9+/]{40,}={0,2}|[?&]sig=[A-Za-z0-9%+/]{30,}(?:%3D|=){0,2}"),
    ),
    ("SendGrid key", re.compile(rf"{_START}SG\.[A-Za-z0-9_-]{{22}}\.[A-Za-z0-9_-]{{43}}{_END}")),
    ("Twilio key", re.compile(rf"{_START}SK[0-9a-f]{{32}}{_END}")),
    ("OpenAI key", re.compile(rf"{_START}sk-[A-Za-z0-9_-]{{16,}}T3BlbkFJ[A-Za-z0-9_-]{{16,}}{_END}")),
    ("Hugging Face token", re.compile(rf"{_START}hf_[A-Za-z]{{34}}{_END}")),
)

# A secret-named key (api_key, client-secret, X_AUTH_TOKEN, "accessToken", ...) assigned a literal value;
# only values that look random (see _looks_random) count.
_SECRET_ASSIGNMENT = re.compile(
    rf"(?i)(?:secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)"
    rf"[A-Za-z0-9_-]{{0,20}}{_Q}\s*(?::|=|:=|=>)\s*{_Q}(?P<value>[A-Za-z0-9+/=_.~-]{{16,}})"
)
_NAME_LIKE = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)+")
_MIN_ENTROPY = 3.5  # bits per character: random base64/hex of 16+ chars is above, words and ids below


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
        for match in _SECRET_ASSIGNMENT.finditer(variant):
            if _looks_random(match.group("value")):
                _add(findings, "high-entropy value of a secret-named key", source, variant, match.start())
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


def _looks_random(value: str) -> bool:
    """A generated credential: letters and digits mixed, and high Shannon entropy per character."""
    if _is_placeholder(value) or not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    if _NAME_LIKE.fullmatch(value) and any(part.isalpha() and len(part) >= 3 for part in re.split(r"[-.]", value)):
        return False  # a resource name such as my-app-tls-2024 (lowercase words joined by - or .)
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= _MIN_ENTROPY


def _add(findings: dict[tuple[str, int], SecretFinding], kind: str, source: str, text: str, offset: int) -> None:
    line = text.count("\n", 0, offset) + 1
    findings.setdefault((kind, line), SecretFinding(kind, source, line))
