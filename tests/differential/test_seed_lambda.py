"""efklab's ``--mode seed`` against the seed Lambda's own code, run by node on the same payloads."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from efklab.cloudwatch.payloads import to_lambda_event
from efklab.testing import make_event_id
from tests.differential.check import compare_with_seed, ours
from tests.differential.corpus import Corpus
from tests.differential.oracle import NodeOracle

pytestmark = pytest.mark.differential

SEEDS = [1, 2, 3, 4]


def _report(mismatches: list[dict[str, Any]]) -> str:
    return json.dumps(mismatches[:3], ensure_ascii=True, indent=1)[:6000]


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_mode_is_byte_identical_to_the_seed_lambda(seed: int, seed_oracle: NodeOracle) -> None:
    """Generated payloads (every quirk mixed in) give the seed Lambda's exact bytes, event by event."""
    outcome = compare_with_seed(Corpus(seed).payloads(60), seed_oracle)
    assert not outcome.mismatches, _report(outcome.mismatches)
    assert outcome.stats["actions"] > 1000  # the comparison covered real output, not empty bodies
    assert outcome.stats["reject:transform"] > 0 and outcome.stats["reject:schema"] > 0


def test_the_corpus_exercises_the_quirks(seed_oracle: NodeOracle) -> None:
    """The corpus reaches floats, big integers, integer-like keys, surrogates and extractedFields."""
    body = "".join(ours(p)[0] for p in Corpus(1).payloads(60))
    for needle in ("e+21", "e-7", "12345678901234567000", '{"0":', "\\ud800", '"$', "undefined-undefined",
                   '"@message"'):
        assert needle in body, needle


def test_the_cli_is_byte_identical_to_the_seed_lambda(tmp_path: Path, seed_oracle: NodeOracle) -> None:
    """``efklab transform --mode seed`` on a JSONL file of Lambda events writes the seed's bytes."""
    payloads = Corpus(7).payloads(40)
    outcome = compare_with_seed(payloads, seed_oracle)
    assert not outcome.mismatches, _report(outcome.mismatches)
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(to_lambda_event(p)) + "\n" for p in payloads), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "efklab", "transform", "--mode", "seed", str(events)], capture_output=True, check=False
    )
    assert done.stdout == outcome.expected_stdout.encode("utf-8")
    rejects = sum(n for k, n in outcome.stats.items() if k.startswith("reject:"))
    assert done.returncode == (2 if rejects else 0), done.stderr.decode()


def test_payloads_with_invalid_utf8_decode_as_the_handler_does(seed_oracle: NodeOracle) -> None:
    """Bad UTF-8 bytes inside the gzip become U+FFFD exactly where node's Buffer puts them."""
    import base64
    import gzip

    from efklab.cloudwatch.payloads import decode_payload
    from efklab.lambda_.transform import TransformOptions, render_bulk, transform_payload

    message = b'{\\"k\\":\\"a\xed\xa0\x80b\xf0\x9f\x98\xc3(\xff\xe2\x82\\"}'
    text = (
        b'{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/a/b/c/d/e/ns/ctr","logStream":"s",'
        b'"subscriptionFilters":[],"logEvents":[{"id":"1","timestamp":1619600944301,"message":"' + message + b'"}]}'
    )
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(text, mtime=0)).decode()}}
    answer = seed_oracle.ask({"op": "handler", "event": event})
    actions, rejects = transform_payload(decode_payload(event), TransformOptions(mode="seed"))
    assert not rejects
    assert render_bulk(actions) == answer["body"]


# ------------------------------------------------------------------------------ hypothesis

tricky_chars = st.sampled_from(["\ud800", "\udc00", "\ud83d", "\ude00", "{", '"', "\\", "\u2028", "\x00", "\x7f",
                                "\ufeff", "😀", "é"])
any_text = st.text(st.one_of(st.characters(blacklist_categories=()), tricky_chars), max_size=12)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["a", "b", "0", "7", "10", "01", "__proto__", "@id", "$a", "x y", "😀"])
                      | st.text(max_size=4), inner, max_size=5),
    max_leaves=12,
)
messages = st.one_of(
    any_text,
    json_values.map(lambda v: json.dumps(v)),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.tuples(st.text(max_size=10), json_values).map(lambda t: t[0] + json.dumps(t[1])),
)
field_values = st.one_of(
    st.sampled_from(["", " 42", "0x1F", "1e3", "-0", "Infinity", "12abc", ".5", "1e400", "\u00a07", "x {\"a\":1.5}",
                     "{bad"]),
    st.text(max_size=10),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.just(False),
)
events = st.builds(
    lambda ts, msg, fields, seq: {
        "id": make_event_id(ts, seq),
        "timestamp": ts,
        "message": msg,
        **({} if fields is None else {"extractedFields": fields}),
    },
    st.integers(min_value=0, max_value=8_640_000_000_000_000),
    messages,
    st.none() | st.dictionaries(st.sampled_from(["a", "0", "5", "__proto__", "$a", "status"]) | st.text(max_size=5),
                                field_values, max_size=4),
    st.integers(min_value=0, max_value=2**20),
)
payloads = st.builds(
    lambda group, evs: {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": group,
        "logStream": "stream",
        "subscriptionFilters": ["f"],
        "logEvents": evs,
    },
    st.sampled_from(["/aws/containerinsights/c/application/Shop/API", "/aws/lambda/x", ""]) | st.text(max_size=30),
    st.lists(events, min_size=1, max_size=4),
)


@settings(max_examples=int(os.environ.get("EFKLAB_DIFF_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(payloads)
def test_hypothesis_payloads_match_the_seed_lambda(seed_oracle: NodeOracle, payload: dict[str, Any]) -> None:
    """Any payload hypothesis builds gives the seed's bytes (or a reject only where the seed throws)."""
    body, rejects = ours(payload)
    if rejects:
        assert all(r.stage == "transform" for r in rejects)
        assert seed_oracle.ask({"op": "handler", "event": to_lambda_event(payload)}).get("threw")
        return
    answer = seed_oracle.ask({"op": "handler", "event": to_lambda_event(payload)})
    assert not answer.get("threw"), answer
    assert body == (answer["body"] or "")


def test_opensearch_mode_documents_are_the_seeds_documents(seed_oracle: NodeOracle) -> None:
    """--mode opensearch writes the seed Lambda's document bytes; only the action lines differ."""
    from efklab.cloudwatch.payloads import decode_payload
    from efklab.lambda_.transform import TransformOptions, transform_payload

    payloads = Corpus(11).payloads(40)
    outcome = compare_with_seed(payloads, seed_oracle)
    assert not outcome.mismatches, _report(outcome.mismatches)
    seed_sources = outcome.expected_stdout.split("\n")[1::2]
    by_position = {}
    for n, payload in enumerate(payloads):
        seed_actions, _ = transform_payload(decode_payload(to_lambda_event(payload)), TransformOptions(mode="seed"))
        by_position.update({(n, a.position): a.source_line for a in seed_actions})
    assert sorted(by_position.values()) == sorted(seed_sources)
    compared = 0
    for n, payload in enumerate(payloads):
        actions, _ = transform_payload(decode_payload(to_lambda_event(payload)), TransformOptions(index_strategy="cwl"))
        for action in actions:
            assert action.source_line == by_position[(n, action.position)]
            assert '"_type"' not in action.action_line
            compared += 1
    assert compared > 500
