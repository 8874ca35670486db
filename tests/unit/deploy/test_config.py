"""The Lambda's configuration from its environment (efklab.deploy.config.load_config)."""
from __future__ import annotations

import pytest

from efklab.deploy.config import load_config
from efklab.errors import ConfigError

ENDPOINT = "https://search-logs-abc123.ap-northeast-2.es.amazonaws.com"


def test_defaults_sign_for_the_domains_region_in_opensearch_mode() -> None:
    """Only the endpoint is required: SigV4 for service es in the region named by the host, opensearch mode."""
    config = load_config({"EFKLAB_OPENSEARCH_URL": ENDPOINT})
    assert (config.signing, config.service, config.region, config.options.mode, config.options.prefix) == (
        True, "es", "ap-northeast-2", "opensearch", "mydata")
    assert (config.policy.max_retries, config.dead_letter_url, config.verify_tls) == (3, None, True)


def test_a_bare_domain_endpoint_means_https() -> None:
    """The seed writes the endpoint without a scheme; that still works."""
    assert load_config({"EFKLAB_OPENSEARCH_URL": "search-logs-abc123.ap-northeast-2.es.amazonaws.com/"}).url == ENDPOINT


def test_serverless_collections_sign_for_aoss() -> None:
    """An OpenSearch Serverless endpoint signs for service aoss."""
    config = load_config({"EFKLAB_OPENSEARCH_URL": "https://abc.eu-west-1.aoss.amazonaws.com"})
    assert (config.service, config.region) == ("aoss", "eu-west-1")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "EFKLAB_OPENSEARCH_URL"),
        ({"EFKLAB_OPENSEARCH_URL": "http://[::1"}, "EFKLAB_OPENSEARCH_URL"),
        ({"EFKLAB_OPENSEARCH_URL": "http://localhost:99999"}, "EFKLAB_OPENSEARCH_URL"),
        ({"EFKLAB_OPENSEARCH_URL": "ftp://logs.example"}, "EFKLAB_OPENSEARCH_URL"),
        ({"EFKLAB_OPENSEARCH_URL": "http://localhost:9200"}, "EFKLAB_SIGNING_REGION"),
        ({"EFKLAB_OPENSEARCH_URL": ENDPOINT, "EFKLAB_SIGNING": "maybe"}, "EFKLAB_SIGNING"),
        ({"EFKLAB_OPENSEARCH_URL": ENDPOINT, "EFKLAB_MODE": "lambda"}, "EFKLAB_MODE"),
        ({"EFKLAB_OPENSEARCH_URL": ENDPOINT, "EFKLAB_MAX_RETRIES": "three"}, "EFKLAB_MAX_RETRIES"),
        ({"EFKLAB_OPENSEARCH_URL": ENDPOINT, "EFKLAB_BACKOFF_BASE": "-1"}, "EFKLAB_BACKOFF_BASE"),
        ({"EFKLAB_OPENSEARCH_URL": ENDPOINT, "EFKLAB_DEAD_LETTER_URL": "bucket/prefix"}, "EFKLAB_DEAD_LETTER_URL"),
        ({"EFKLAB_OPENSEARCH_URL": ENDPOINT, "EFKLAB_MODE": "seed", "EFKLAB_PREFIX": "logs"}, "EFKLAB_PREFIX"),
        ({"EFKLAB_OPENSEARCH_URL": ENDPOINT, "EFKLAB_TZ": "Mars/Olympus"}, "EFKLAB_TZ"),
    ],
)
def test_bad_settings_fail_at_cold_start_naming_the_variable(env: dict[str, str], variable: str) -> None:
    """Every unusable setting is a ConfigError whose message names the environment variable."""
    with pytest.raises(ConfigError) as info:
        load_config(env)
    assert variable in str(info.value)


def test_basic_auth_is_used_only_without_signing_and_never_shown() -> None:
    """User/password apply to a plain endpoint; the config's repr does not show them."""
    env = {"EFKLAB_OPENSEARCH_URL": "http://127.0.0.1:9200", "EFKLAB_SIGNING": "none",
           "EFKLAB_OPENSEARCH_USER": "admin", "EFKLAB_OPENSEARCH_PASSWORD": "pw-never-shown"}
    config = load_config(env)
    assert config.basic_auth == ("admin", "pw-never-shown") and "pw-never-shown" not in repr(config)
    assert load_config({**env, "EFKLAB_SIGNING": "sigv4", "EFKLAB_SIGNING_REGION": "eu-west-1"}).basic_auth is None
