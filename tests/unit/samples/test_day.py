"""A day at scale as payloads: exactly the events asked for, the same every time, each payload a valid delivery."""
from __future__ import annotations

import hashlib
import json

import pytest

from efklab.cloudwatch.payloads import decode_payload
from efklab.errors import UsageError
from efklab.lambda_.transform import TransformOptions, transform_payload
from efklab.samples.day import DaySpec, day_payloads


def digest(spec: DaySpec) -> str:
    return hashlib.sha256("".join(json.dumps(p, sort_keys=True) for p in day_payloads(spec)).encode()).hexdigest()


def test_the_same_spec_gives_the_same_payloads_and_another_seed_others() -> None:
    assert digest(DaySpec(events=3000)) == digest(DaySpec(events=3000))
    assert digest(DaySpec(events=3000)) != digest(DaySpec(events=3000, seed=2))


@pytest.mark.parametrize("events", [1, 999, 5000])
def test_a_day_holds_exactly_the_events_asked_for_with_unique_ids_in_time_order(events: int) -> None:
    payloads = list(day_payloads(DaySpec(events=events)))
    ids = [e["id"] for p in payloads for e in p["logEvents"]]
    assert len(ids) == len(set(ids)) == events and all(len(i) == 56 and i.isdigit() for i in ids)
    stamps = [e["timestamp"] for p in payloads for e in p["logEvents"]]
    day = DaySpec().day.timestamp() * 1000
    assert all(day <= t < day + 86_400_000 for t in stamps)
    for payload in payloads:
        times = [e["timestamp"] for e in payload["logEvents"]]
        assert times == sorted(times) and payload["logEvents"]


def test_every_payload_decodes_and_transforms_into_the_streams_index() -> None:
    for number, payload in enumerate(day_payloads(DaySpec(events=400)), start=1):
        decoded = decode_payload(payload, source="day", position=number)
        actions, rejects = transform_payload(decoded, TransformOptions())
        assert not rejects and len(actions) == len(payload["logEvents"])
        namespace, container = payload["logGroup"].split("/")[5:7]
        assert {a.index for a in actions} == {f"mydata-{namespace}-{container}-2021.04.30"}


def test_a_day_without_events_is_refused() -> None:
    with pytest.raises(UsageError):
        next(day_payloads(DaySpec(events=0)))
