"""render_payload: the UTF-8 body efklab transform writes is render_bulk of transform_payload's actions, encoded."""
from __future__ import annotations

import pytest

from efklab.cloudwatch.payloads import decode_payload, to_lambda_event
from efklab.lambda_.transform import TransformOptions, render_bulk, render_payload, transform_payload
from efklab.testing import make_control_payload
from tests.differential.corpus import Corpus


@pytest.mark.parametrize("options", [TransformOptions(mode="seed"), TransformOptions(),
                                     TransformOptions(index_strategy="cwl")], ids=["seed", "opensearch", "cwl"])
def test_the_bytes_body_is_the_text_body_encoded(options: TransformOptions) -> None:
    """Same bytes, same action count, same rejects, for payloads mixing every quirk (floats, keys, surrogates)."""
    compared = 0
    for raw in Corpus(3).payloads(40):
        payload = decode_payload(to_lambda_event(raw))
        actions, rejects = transform_payload(payload, options)
        body, count, body_rejects = render_payload(payload, options)
        assert body == render_bulk(actions).encode("utf-8")
        assert count == len(actions) and body_rejects == rejects
        compared += count
    assert compared > 500


def test_a_control_message_renders_nothing() -> None:
    """CONTROL_MESSAGE payloads yield an empty body and no rejects."""
    assert render_payload(decode_payload(make_control_payload())) == (b"", 0, [])
