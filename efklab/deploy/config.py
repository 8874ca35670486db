"""The Lambda's configuration: what it reads from its environment, with defaults, validated at cold start.

Its own module so both the handler and the HTTP transport can depend on it without depending on
each other.  A wrong value is a ConfigError naming the variable, raised before the first event.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar
from urllib.parse import urlsplit

from efklab.errors import ConfigError, EfklabError
from efklab.lambda_.transform import TransformOptions, compile_options
from efklab.opensearch import bulk

_Number = TypeVar("_Number", int, float)

_AWS_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.(es|aoss)\.amazonaws\.com$")
_BOOLEAN = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
# The transform's error messages name CLI options; the Lambda user sets these variables instead.
_OPTION_VARIABLES = {"--mode": "EFKLAB_MODE", "--index-strategy": "EFKLAB_INDEX_STRATEGY", "--prefix": "EFKLAB_PREFIX",
                     "--tz": "EFKLAB_TZ"}


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    """Everything the handler reads from its environment, validated once per cold start."""

    url: str
    options: TransformOptions
    signing: bool
    service: str
    region: str | None
    policy: bulk.RetryPolicy
    max_bytes: int
    dead_letter_url: str | None
    timeout: float
    verify_tls: bool
    ca_certs: str | None
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)


def load_config(environ: Mapping[str, str]) -> HandlerConfig:
    """The handler's configuration from environment variables; ConfigError names the variable."""
    url = environ.get("EFKLAB_OPENSEARCH_URL", "").strip().rstrip("/")
    if not url:
        raise ConfigError("set it to the OpenSearch endpoint, e.g. https://search-logs-abc.ap-northeast-2.es.amazonaws.com",
                          source="EFKLAB_OPENSEARCH_URL")
    if "://" not in url:
        url = f"https://{url}"  # the seed's style: a bare domain endpoint
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError as exc:
        raise ConfigError(f"not a URL ({exc})", source="EFKLAB_OPENSEARCH_URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("expected http(s)://host[:port]", source="EFKLAB_OPENSEARCH_URL")
    host = parts.hostname
    matched = _AWS_HOST.search(host)
    signing = _flag(environ, "EFKLAB_SIGNING", "sigv4", {"sigv4": True, "none": False})
    region = (environ.get("EFKLAB_SIGNING_REGION") or (matched.group(1) if matched else None)
              or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"))
    if signing and not region:
        raise ConfigError("SigV4 needs a region: set EFKLAB_SIGNING_REGION (or AWS_REGION)",
                          source="EFKLAB_SIGNING_REGION")
    dead_letter = environ.get("EFKLAB_DEAD_LETTER_URL") or None
    if dead_letter and not dead_letter.startswith(("s3://", "https://", "http://")):
        raise ConfigError("expected s3://bucket/prefix/ or an SQS queue URL (https://sqs...)",
                          source="EFKLAB_DEAD_LETTER_URL")
    mode = environ.get("EFKLAB_MODE", "opensearch")
    if mode not in ("seed", "opensearch"):
        raise ConfigError(f"{mode!r} is not one of opensearch, seed", source="EFKLAB_MODE")
    user, password = environ.get("EFKLAB_OPENSEARCH_USER"), environ.get("EFKLAB_OPENSEARCH_PASSWORD")
    options = TransformOptions(
        mode=mode,
        index_strategy=environ.get("EFKLAB_INDEX_STRATEGY", "seed"),
        prefix=environ.get("EFKLAB_PREFIX", "mydata"),
        tz=environ.get("EFKLAB_TZ", "UTC"),
    )
    try:
        compile_options(options)  # fail at cold start, not on the first event
    except EfklabError as exc:
        raise ConfigError(_rename_options(exc.reason), source=_culprit(options)) from exc
    return HandlerConfig(
        url=url,
        options=options,
        signing=signing,
        service=environ.get("EFKLAB_SIGNING_SERVICE") or (matched.group(2) if matched else "es"),
        region=region,
        policy=bulk.RetryPolicy(
            max_retries=_number(environ, "EFKLAB_MAX_RETRIES", 3, int, 0),
            initial_backoff=_number(environ, "EFKLAB_BACKOFF_BASE", 0.5, float, 0.0),
            max_backoff=_number(environ, "EFKLAB_BACKOFF_CAP", 8.0, float, 0.0),
        ),
        max_bytes=_number(environ, "EFKLAB_BULK_BYTES", 5_000_000, int, 1),
        dead_letter_url=dead_letter,
        timeout=_number(environ, "EFKLAB_TIMEOUT", 30.0, float, 0.1),
        verify_tls=_flag(environ, "EFKLAB_VERIFY_TLS", "true", _BOOLEAN),
        ca_certs=environ.get("EFKLAB_CA_CERTS") or None,
        basic_auth=(user, password) if user and password and not signing else None,
    )


def _flag(environ: Mapping[str, str], name: str, default: str, choices: Mapping[str, bool]) -> bool:
    value = environ.get(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{value!r} is not one of {', '.join(sorted(choices))}", source=name)
    return choices[value]


def _number(environ: Mapping[str, str], name: str, default: _Number, kind: type[_Number], minimum: float) -> _Number:
    raw = environ.get(name, "")
    if raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a {kind.__name__}", source=name) from None
    if value < minimum:
        raise ConfigError(f"{raw!r} is below {minimum}", source=name)
    return value


def _culprit(options: TransformOptions) -> str | None:
    """The variable whose value makes the transform options invalid (the first whose default fixes them)."""
    defaults = TransformOptions(mode=options.mode)
    for name, variable in (("tz", "EFKLAB_TZ"), ("index_strategy", "EFKLAB_INDEX_STRATEGY"),
                           ("prefix", "EFKLAB_PREFIX")):
        try:
            compile_options(replace(options, **{name: getattr(defaults, name)}))
            return variable
        except EfklabError:
            continue
    return None


def _rename_options(reason: str) -> str:
    for option, variable in _OPTION_VARIABLES.items():
        reason = reason.replace(option, variable)
    return reason
