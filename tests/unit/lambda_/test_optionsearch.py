"""Index names a function writes are read back into the efklab options that would write them."""
from __future__ import annotations

from efklab.cloudwatch.payloads import decode_payload
from efklab.lambda_.optionsearch import candidate_options, infer_templates
from efklab.lambda_.transform import OPENSEARCH, SEED, TransformOptions
from efklab.testing import make_payload

PAYLOAD = decode_payload(make_payload(["x"], log_group="/aws/containerinsights/c/application/shop/order-api",
                                      log_stream="order-api-1_shop_order-api-abc"))
MARCH_22 = 1616414400000  # 2021-03-22T12:00:00Z; 21:00 in Asia/Seoul


def test_the_date_and_log_group_fields_become_placeholders() -> None:
    assert list(infer_templates("logs-shop-2021.03.22", PAYLOAD, MARCH_22, "UTC")) == [
        "logs-{namespace}-{date:%Y.%m.%d}"]
    assert list(infer_templates("shop_order-api_20210322", PAYLOAD, MARCH_22, "UTC")) == [
        "{namespace}_{container}_{date:%Y%m%d}"]


def test_a_monthly_index_is_read_as_a_month_not_as_part_of_a_day() -> None:
    assert list(infer_templates("k8s-shop-2021.03", PAYLOAD, MARCH_22, "UTC")) == ["k8s-{namespace}-{date:%Y.%m}"]


def test_a_placeholder_already_set_is_never_rewritten_by_a_shorter_value() -> None:
    payload = decode_payload(make_payload(["x"], log_group="/aws/containerinsights/c/application/log/log-api"))
    templates = list(infer_templates("log-api-2021.03.22", payload, MARCH_22, "UTC"))
    assert templates == ["{container}-{date:%Y.%m.%d}"]


def test_a_name_without_the_events_date_gives_no_template() -> None:
    assert list(infer_templates("logs-shop-2020.01.01", PAYLOAD, MARCH_22, "UTC")) == []


def test_candidates_start_with_seed_mode_and_the_built_in_strategies() -> None:
    found = candidate_options([("logs-shop-2021.03.22", PAYLOAD, MARCH_22)])
    assert found[0] == TransformOptions(mode=SEED)
    assert TransformOptions(mode=OPENSEARCH, index_strategy="cwl") in found
    assert found[-1] == TransformOptions(mode=OPENSEARCH, index_strategy="logs-{namespace}-{date:%Y.%m.%d}")
