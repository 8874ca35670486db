"""Compare efklab's ``--mode seed`` with the seed Lambda under node, payload by payload.

For each payload efklab yields actions and rejects.  The oracle must then agree that
  * the payload without the events efklab rejected produces exactly efklab's bytes, and
  * every event efklab rejected because "the seed would throw" does make the seed throw.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from efklab.cloudwatch.payloads import decode_payload, to_lambda_event
from efklab.lambda_.transform import TransformOptions, render_bulk, transform_payload
from tests.differential.oracle import NodeOracle

SEED = TransformOptions(mode="seed")


@dataclass
class Outcome:
    """What one differential run saw; ``mismatches`` must be empty."""

    stats: Counter[str] = field(default_factory=Counter)
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    expected_stdout: str = ""


def ours(payload: dict[str, Any]) -> tuple[str, list[Any]]:
    actions, rejects = transform_payload(decode_payload(to_lambda_event(payload)), SEED)
    return render_bulk(actions), rejects


def _ordinal(position: Any) -> int:
    return int(str(position).rsplit("[", 1)[1].rstrip("]"))


def _without(payload: dict[str, Any], ordinals: set[int]) -> dict[str, Any]:
    return {**payload, "logEvents": [e for i, e in enumerate(payload["logEvents"]) if i not in ordinals]}


def compare_with_seed(payloads: list[dict[str, Any]], oracle: NodeOracle) -> Outcome:
    """Run every payload through efklab and (in one node process) through the seed Lambda."""
    outcome = Outcome()
    plans: list[tuple[int, str, Any]] = []  # (payload index, kind, detail)
    requests: list[dict[str, Any]] = []
    results = []
    for n, payload in enumerate(payloads):
        body, rejects = ours(payload)
        results.append((body, rejects))
        rejected = {_ordinal(r.position) for r in rejects}
        requests.append({"op": "handler", "event": to_lambda_event(_without(payload, rejected))})
        plans.append((n, "filtered", None))
        for reject in rejects:
            outcome.stats[f"reject:{reject.stage}"] += 1
            if reject.stage == "transform":
                single = {**payload, "logEvents": [payload["logEvents"][_ordinal(reject.position)]]}
                requests.append({"op": "handler", "event": to_lambda_event(single)})
                plans.append((n, "throws", reject))
    answers = oracle.batch(requests)
    for (n, kind, detail), answer in zip(plans, answers, strict=True):
        body, rejects = results[n]
        if kind == "filtered":
            expected = answer.get("body") or ""
            outcome.stats["payloads"] += 1
            outcome.stats["events"] += len(payloads[n]["logEvents"])
            outcome.stats["actions"] += body.count("\n") // 2
            outcome.expected_stdout += expected
            if answer.get("threw") or expected != body:
                outcome.mismatches.append({"payload": n, "node": answer, "efklab": body,
                                           "rejects": [r.to_json() for r in rejects]})
        elif not answer.get("threw"):
            outcome.mismatches.append({"payload": n, "reject": detail.to_json(), "node": answer,
                                       "why": "efklab says the seed throws; it does not"})
    return outcome
