"""A day of a busy cluster as CloudWatch payloads, streamed: millions of events without holding them.

The sample set (``generate``) writes container files first and runs the fluentd emulation over
them, which holds every line; a day at scale instead goes straight to what the subscription
delivers.  The cluster is the sample set's (same workloads, pod names, nodes, app writers); each
pod's statements are spread over the day by the sample set's hourly weights, grouped as the
CloudWatch output flushes them (one payload per log stream every ``flush_seconds``), each
multi-line statement already one event (the seed's concat), event ids made as CloudWatch makes
them.  Deterministic: the same spec gives the same payloads, in delivery order, one at a time.
For speed each pod draws its messages from a pool of ``POOL`` statements its app wrote (stack
traces, SQL, JSON, access lines as in the sample set): the clock an app prints inside a message
is then not the event's time; the event timestamps and ids are exact.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from efklab.cloudwatch.delivery import make_event_id
from efklab.errors import UsageError
from efklab.samples.applogs import APP_WRITERS
from efklab.samples.generate import _HOURLY_WEIGHT_UTC, WORKLOADS, _apportion, _pod_name

_NS_PER_MS = 10**6
POOL_BITS = 12
POOL = 1 << POOL_BITS  # distinct messages per pod
CLUSTER = "MyClusterName"
OWNER = "123456789012"
SUBSCRIPTION = "LambdaStream_LogsToElasticsearch"


@dataclass(frozen=True, slots=True)
class DaySpec:
    """Everything that decides a day: the same spec always gives the same payloads."""

    events: int = 10_000_000
    seed: int = 1
    day: datetime = datetime(2021, 4, 30, tzinfo=UTC)  # UTC midnight
    flush_seconds: int = 5  # fluent-plugin-cloudwatch-logs' flush interval: one payload per stream per flush
    app_utc_offset_hours: int = 9

    def validate(self) -> None:
        if self.events < 1:
            raise UsageError(f"--events must be at least 1, not {self.events}")
        if not 1 <= self.flush_seconds <= 3600 or 3600 % self.flush_seconds:
            raise UsageError("the flush interval must divide an hour")


@dataclass(frozen=True, slots=True)
class _Pod:
    namespace: str
    container: str
    app: str
    pod: str
    node: str
    stream: str
    group: str


def _pods(spec: DaySpec) -> list[tuple[_Pod, float]]:
    """The sample cluster's pods (names and nodes drawn as ``generate`` draws them) and their shares of the events."""
    rng = random.Random(f"efklab-samples:{spec.seed}:cluster")
    nodes = [f"ip-10-0-{rng.randint(1, 3)}-{rng.randint(10, 250)}.ap-northeast-2.compute.internal" for _ in range(3)]
    pods = []
    for workload in WORKLOADS:
        for _ in range(workload.replicas):
            pod, node = _pod_name(rng, workload), rng.choice(nodes)
            container_id = f"{random.Random(f'efklab-samples:{spec.seed}:{pod}').getrandbits(256):064x}"
            group = f"/aws/containerinsights/{CLUSTER}/application/{workload.namespace}/{workload.container}"
            stream = f"{pod}_{workload.namespace}_{workload.container}-{container_id}"
            pods.append((_Pod(workload.namespace, workload.container, workload.app, pod, node, stream, group),
                         workload.weight / workload.replicas))
    return pods


def day_payloads(spec: DaySpec) -> Iterator[dict[str, object]]:
    """Decoded subscription payloads of the day, flush by flush (time order), pods in a fixed order.

    Exactly ``spec.events`` events in all; memory is one payload's worth, whatever the size of the day.
    """
    spec.validate()
    pods = _pods(spec)
    per_pod = _apportion(spec.events, [share for _, share in pods])
    per_hour = [_apportion(total, [float(w) for w in _HOURLY_WEIGHT_UTC]) for total in per_pod]
    flushes = 3600 // spec.flush_seconds
    start_ms = int(spec.day.timestamp()) * 1000
    pools = [_messages(spec, pod, start_ms) for pod, _ in pods]
    window = spec.flush_seconds * 1000
    sequence = 0
    for hour in range(24):
        rng = random.Random(f"efklab-samples-day:{spec.seed}:{hour}")
        counts = []
        for p in range(len(pods)):  # events of each pod in each flush of this hour: even, the remainder drawn
            base, extra = divmod(per_hour[p][hour], flushes)
            chosen = set(rng.sample(range(flushes), extra))
            counts.append([base + (f in chosen) for f in range(flushes)])
        for flush in range(flushes):
            window_ms = start_ms + (hour * 3600 + flush * spec.flush_seconds) * 1000
            for (pod, _), pod_counts, pool in zip(pods, counts, pools, strict=True):
                n = pod_counts[flush]
                if not n:
                    continue
                stamps = sorted(window_ms + rng.randrange(window) for _ in range(n))
                ingest_ms = window_ms + window + rng.randint(5, 900)
                events = []
                for timestamp in stamps:
                    events.append({"id": make_event_id(timestamp, ingest_ms, sequence), "timestamp": timestamp,
                                   "message": pool[rng.getrandbits(POOL_BITS)]})
                    sequence += 1
                yield {"messageType": "DATA_MESSAGE", "owner": OWNER, "logGroup": pod.group, "logStream": pod.stream,
                       "subscriptionFilters": [SUBSCRIPTION], "logEvents": events}


def _messages(spec: DaySpec, pod: _Pod, start_ms: int) -> list[str]:
    """``POOL`` event messages of one pod: fluentd records (concatenated statements) as the output serialises them."""
    rng = random.Random(f"efklab-samples-day:{spec.seed}:{pod.pod}")
    writer = APP_WRITERS[pod.app]
    messages = []
    for _ in range(POOL):
        at_ns = (start_ms + rng.randrange(86_400_000)) * _NS_PER_MS
        statement = writer(rng, at_ns, spec.app_utc_offset_hours * 3600)
        record = {"log": "\n".join(statement.lines) + "\n", "stream": statement.stream,
                  "kubernetes": {"pod_name": pod.pod, "host": pod.node}, "group_name": pod.group}
        messages.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return messages
