"""A benchmark corpus shaped like Container Insights application traffic (deterministic).

The benign corpus of bench_transform is mostly plain text lines, which print with one orjson
call.  Real clusters also ship what takes the JavaScript-exact printing path: structured logs
that fluentd merged into the record (nested objects, floats, integer-like keys such as status
histograms, integers past 2**53 such as trace ids), performance-style records full of floats,
events with ``extractedFields`` (numeric strings become numbers), Java stack traces, JSON
inside the ``log`` string, and non-ASCII text (Hangul, accents, emoji, U+2028).
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from efklab.testing import DEFAULT_TIMESTAMP, lambda_event, make_event, make_payload

EVENTS_PER_PAYLOAD = 100
CLUSTER = "lab"
APPS = (("shop", "api"), ("billing", "worker"), ("search", "indexer"), ("kube-system", "coredns"))
WORDS = ("주문 처리 완료", "결제 실패", "café crème", "naïve façade", "データ同期", "🚀 deployed", "ok ✅",
         "Ünïcödé", "line\u2028separator", "Ελληνικά")
METHODS = ("GET", "POST", "PUT", "DELETE")


def _kubernetes(rng: random.Random, ns: str, app: str) -> dict[str, Any]:
    return {
        "pod_name": f"{app}-7d9f8c6b5-{rng.getrandbits(20):05x}",
        "namespace_name": ns,
        "pod_id": f"{rng.getrandbits(128):032x}",
        "host": f"ip-10-0-{rng.randrange(250)}-{rng.randrange(250)}.ec2.internal",
        "container_name": app,
        "docker_id": f"{rng.getrandbits(256):064x}",
        "container_hash": f"registry.example/{app}@sha256:{rng.getrandbits(256):064x}",
        "container_image": f"registry.example/{app}:1.4.{rng.randrange(9)}",
        "labels": {"app": app, "pod-template-hash": "7d9f8c6b5", "app.kubernetes.io/version": "1.4"},
    }


def _base(rng: random.Random, ns: str, app: str, log: str, i: int) -> dict[str, Any]:
    return {"log": log, "stream": "stdout" if i % 17 else "stderr",
            "docker": {"container_id": f"{rng.getrandbits(256):064x}"}, "kubernetes": _kubernetes(rng, ns, app)}


def _structured(rng: random.Random, i: int) -> dict[str, Any]:
    """A JSON application log as fluentd's parser merges it into the record."""
    return {
        "level": rng.choice(("info", "warn", "error", "debug")),
        "ts": 1619600944.301 + i / 1000,
        "msg": f"{rng.choice(METHODS)} /api/v1/items/{i} {rng.choice(WORDS)}",
        "latency_ms": round(rng.lognormvariate(3, 1), 3),
        "cpu": rng.random(),
        "ratio": rng.choice((0.5, 1.0, 2.0, 1e-7, 3.5e21, 0.000123, -0.0, 100.0)),
        "trace_id": rng.getrandbits(63) + 2**62,  # past 2**53: JSON.parse rounds it
        "span_id": rng.getrandbits(52),
        "http": {"status": rng.choice((200, 200, 201, 404, 500)), "bytes": rng.randrange(10**6),
                 "headers": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64)",
                             "x-request-id": f"{rng.getrandbits(64):x}"}},
        "status_counts": {str(code): rng.randrange(100) for code in (500, 200, 404, 201)},  # integer-like keys
        "shards": [{"0": rng.randrange(9), "id": n, "load": rng.random()} for n in range(rng.randrange(1, 4))],
        "tags": ["k8s", rng.choice(WORDS), None, True],
    }


def _performance(rng: random.Random, i: int, ns: str, app: str) -> dict[str, Any]:
    """A Container Insights performance record: almost every value a float."""
    return {
        "AutoScalingGroupName": "eks-lab-nodes", "ClusterName": CLUSTER, "InstanceId": f"i-{rng.getrandbits(64):016x}",
        "Namespace": ns, "PodName": app, "Type": "Pod", "Timestamp": str(DEFAULT_TIMESTAMP + i), "Version": "0",
        "kubernetes": {"host": "ip-10-0-1-2.ec2.internal", "labels": {"app": app},
                       "namespace_name": ns, "pod_id": f"{rng.getrandbits(128):032x}", "pod_name": app},
        "pod_cpu_limit": 500, "pod_cpu_request": 250, "pod_cpu_usage_total": rng.random() * 100,
        "pod_cpu_utilization": rng.random() * 10, "pod_cpu_utilization_over_pod_limit": rng.random() * 40,
        "pod_memory_cache": rng.randrange(10**9), "pod_memory_rss": rng.randrange(10**9),
        "pod_memory_utilization": rng.random() * 5, "pod_network_rx_bytes": rng.random() * 1e4,
        "pod_network_tx_bytes": rng.random() * 1e4, "pod_number_of_container_restarts": 0,
        "CloudWatchMetrics": [{"Namespace": "ContainerInsights", "Metrics": [
            {"Name": "pod_cpu_utilization", "Unit": "Percent"}, {"Name": "pod_memory_utilization", "Unit": "Percent"}],
            "Dimensions": [["PodName", "Namespace", "ClusterName"], ["ClusterName"]]}],
    }


def _stack_trace(rng: random.Random, i: int) -> str:
    frames = "".join(f"\tat com.example.{rng.choice(('Svc', 'Repo', 'Handler'))}.step{j}(Svc.java:{100 + j})\n"
                     for j in range(rng.randint(5, 30)))
    return (f"2021-04-28 09:09:{i % 60:02d}.{i % 1000:03d} ERROR [http-nio-8080-exec-{i % 10}] c.e.Svc - "
            f"request failed: \"{rng.choice(WORDS)}\"\njava.lang.IllegalStateException: bad state\n{frames}"
            "Caused by: java.io.IOException: Connection reset\n\tat java.base/sun.nio.ch.SocketDispatcher.read0\n")


def make_event_for(rng: random.Random, i: int, ns: str, app: str, timestamp: int) -> dict[str, Any]:
    """One log event of the mix (about half take the JS-exact printing path)."""
    roll = rng.random()
    extracted: dict[str, Any] | None = None
    if roll < 0.30:  # structured log merged by fluentd's JSON parser
        message: str | dict[str, Any] = {**_base(rng, ns, app, "", i), **_structured(rng, i)}
        message.pop("log")
    elif roll < 0.40:  # performance record
        message = _performance(rng, i, ns, app)
    elif roll < 0.55:  # a JSON log line left as a string inside "log"
        message = _base(rng, ns, app, json.dumps(_structured(rng, i), ensure_ascii=False) + "\n", i)
    elif roll < 0.65:  # a concatenated Java stack trace
        message = _base(rng, ns, app, _stack_trace(rng, i), i)
    elif roll < 0.75:  # extractedFields from a space-delimited filter pattern
        status, took = rng.choice(("200", "404", "500")), f"{rng.random():.3f}"
        size = str(rng.randrange(10**6))
        message = (f"10.0.{i % 250}.{i % 7} - - [28/Apr/2021:09:09:04 +0000] \"GET /api/items/{i} HTTP/1.1\" "
                   f"{status} {size} {took} {{\"user\":\"u{i}\",\"cart\":{{\"total\":{rng.random() * 100:.2f}}}}}")
        extracted = {"ip": f"10.0.{i % 250}.{i % 7}", "status": status, "bytes": size, "took": took,
                     "$2": "-", "1": "GET", "ctx": f"{{\"user\":\"u{i}\",\"cart\":{{\"total\":1.5}}}}",
                     "empty": "", "code": "0x1f"}
    else:  # a plain text line, some of it not ASCII
        message = _base(rng, ns, app, f"(I) 09:09:04[{i % 1000:03d}] {rng.choice(METHODS)} /api/items/{i} "
                                      f"{rng.randint(1, 900)}ms {rng.choice(WORDS)}\n", i)
    return make_event(message, timestamp=timestamp, sequence=i, extracted_fields=extracted)


def write_insights_events(path: Path, events: int, seed: int = 0) -> int:
    """A JSONL file of Lambda events with ``events`` log events of the mix above; returns the count."""
    rng = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        while written < events:
            n = min(EVENTS_PER_PAYLOAD, events - written)
            ns, app = APPS[(written // EVENTS_PER_PAYLOAD) % len(APPS)]
            evs = [make_event_for(rng, written + k, ns, app, DEFAULT_TIMESTAMP + written + k) for k in range(n)]
            payload = make_payload(evs, log_group=f"/aws/containerinsights/{CLUSTER}/application/{ns}/{app}",
                                   log_stream=f"{app}-7d9f8c6b5-x2x9z_{ns}_{app}-3f2a9c1b7e4d")
            out.write(json.dumps(lambda_event(payload)) + "\n")
            written += n
    return written
