"""A seeded generator of subscription payloads that exercise every quirk of the seed's transform.

Realistic container-log payloads dominate; mixed in are the shapes that make JavaScript and
Python disagree unless efklab gets them right: number printing, integer-like keys, duplicate
and ``__proto__`` keys, lone surrogates, ``isNumeric`` strings, invalid dates, short log
groups, events that make the seed throw, and events that break the payload schema.
"""
from __future__ import annotations

import json
import random
from typing import Any

from efklab.testing import make_event_id

NAMESPACES = ["shop", "payments", "kube-system", "Default", "amazon-cloudwatch"]
CONTAINERS = ["api", "worker", "Fluentd", "nginx", "batch-job"]
LOG_GROUPS_ODD = [
    "/aws/lambda/echo-nodejs",
    "/aws/containerinsights/MyCluster/application",
    "/aws/containerinsights/c/application/ns",
    "application",
    "",
    "/aws/containerinsights/c/application/ns with space/ctr#1",
    "/aws/containerinsights/c/application/Ünïcode/ΣΑΣ",
    "/aws/containerinsights/c/application/_hidden/+plus",
    "/aws/containerinsights/c/application/a/b/c/d",
]
WORDS = ["GET", "POST", "/api/orders", "took", "ms", "user", "id", "ok", "error", "retry", "한글", "日本語", "émoji 🚀",
         "tab\tand", "quote\"d", "back\\slash"]
NUMERIC_STRINGS = [
    " 42", "1e3", "0x1F", "0X1f", "-0", ".5", "5.", "12abc", "Infinity", "-Infinity", "1e400", "\u00a042",
    "0b101", "0o17", "", "  ", "+5", "-0x10", "1_000", "\ufeff7", "\u180e9", "12345678901234567890",
    "0.1", "1e-7", "123456789.123456789", "NaN", "0", "00012", "4294967295", "9007199254740993",
]
FLOATS = [0.1, 1.5, -2.25, 1e21, 1e-7, 123e-20, 1e16, 2**53 + 2.0, 5e-324, 1.7976931348623157e308, 0.000001, 100.0,
          -0.0, 3.14159]
BIG_INTS = [12345678901234567890, 9007199254740993, -9007199254740993, 10**30, 2**64]


class Corpus:
    """Random but reproducible payloads; ``expect_rejects`` counts events built to be rejected."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sequence = 0

    # ------------------------------------------------------------------ payloads

    def payloads(self, count: int, events_per_payload: tuple[int, int] = (1, 40)) -> list[dict[str, Any]]:
        return [self.payload(self.rng.randint(*events_per_payload)) for _ in range(count)]

    def payload(self, events: int) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.75:
            group = (f"/aws/containerinsights/cluster-{rng.randint(1, 3)}/application/{rng.choice(NAMESPACES)}/"
                     f"{rng.choice(CONTAINERS)}")
        else:
            group = rng.choice(LOG_GROUPS_ODD)
        start = self.timestamp()
        payload: dict[str, Any] = {
            "messageType": "DATA_MESSAGE",
            "owner": rng.choice(["123456789012", "000000000000", "ówner"]),
            "logGroup": group,
            "logStream": rng.choice(["fluentd-cloudwatch-x2x9z", "kube.var.log.containers.api-7d9_shop_api-0a1b.log",
                                     "2019/03/13/[$LATEST]94fa867e"]),
            "subscriptionFilters": ["efklab-filter"],
            "logEvents": [self.event(start, i) for i in range(events)],
        }
        if rng.random() < 0.1:
            payload["policyLevel"] = "ACCOUNT_LEVEL_POLICY"
        return payload

    def timestamp(self) -> int | float:
        rng = self.rng
        roll = rng.random()
        if roll < 0.9:
            return rng.randint(1_600_000_000_000, 1_800_000_000_000)
        return rng.choice([0, -1, 1.9, -1.5, 8.64e15, -8.64e15, 253_402_300_800_000, -62_198_755_200_000, 1e15 + 0.5,
                           951_782_400_000])

    def event(self, start: int | float, i: int) -> dict[str, Any]:
        rng = self.rng
        self.sequence += 1
        ts: Any = start + i if isinstance(start, int) and rng.random() < 0.9 else self.timestamp()
        if isinstance(ts, int) and 0 <= ts < 2**60:
            event_id = make_event_id(ts, self.sequence)
        else:
            event_id = rng.choice(["1", "", "id-ü", "\ud800x", "49573409812398471234"])
        event: dict[str, Any] = {
            "id": event_id,
            "timestamp": ts,
            "message": self.message(),
        }
        roll = rng.random()
        if roll < 0.12:
            event["extractedFields"] = self.extracted_fields()
        elif roll < 0.14:
            event["extractedFields"] = None
        elif roll < 0.16:
            event["extractedFields"] = {}
        if rng.random() < 0.01:  # an invalid date: toISOString throws in the seed
            event["timestamp"] = rng.choice([8.64e15 + 1, 1e20, -1e16, 12345678901234567890123])
        if rng.random() < 0.01:  # schema violations: efklab rejects, never guesses
            self.break_schema(event)
        return event

    def break_schema(self, event: dict[str, Any]) -> None:
        rng = self.rng
        choice = rng.randrange(6)
        if choice == 0:
            del event["id"]
        elif choice == 1:
            event["id"] = 12345
        elif choice == 2:
            event["timestamp"] = str(event["timestamp"])
        elif choice == 3:
            event["message"] = None
        elif choice == 4:
            event["extractedFields"] = "not an object"
        else:
            event["timestamp"] = True

    # ------------------------------------------------------------------ messages

    def message(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return json.dumps(self.fluentd_record(), ensure_ascii=rng.random() < 0.3, separators=(",", ":"))
        if roll < 0.6:
            return self.text()
        if roll < 0.7:
            return f"{self.text()} {json.dumps(self.value(3), separators=(',', ':'))}"
        if roll < 0.8:
            return self.quirky_json()
        if roll < 0.9:
            return rng.choice(["{", "{}", "{ }", "x {\"a\":1} trailing", "{\"a\":NaN}", "{\"a\":Infinity}",
                               "{\"a\":1,}", "{\"a\":\"\t\"}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
                               "{\"a\":-}", "a{b{\"c\":1}", "{\"a\":1} {\"b\":2}", "{\"a\":\"\\x41\"}",
                               "{\"a\":\"\\u12\"}", "{\"a\":1}\n", "\ufeff{\"a\":1}", "{\"a\":[1,2,]}",
                               "{\"a\":true,\"b\":null,\"c\":false}", "{\"a\":1e999}", "{\"a\":-1e999}",
                               "{\"big\":" + "9" * 400 + "}", "{\"n\":" + "1" * 5000 + "}",
                               "{\"s\":\"\\ud83d\\ude00\"}"])
        return self.nested_json()

    def fluentd_record(self) -> dict[str, Any]:
        rng = self.rng
        ns, ctr = rng.choice(NAMESPACES), rng.choice(CONTAINERS)
        return {
            "log": self.text() + "\n",
            "stream": rng.choice(["stdout", "stderr"]),
            "docker": {"container_id": f"{rng.getrandbits(256):064x}"},
            "kubernetes": {
                "container_name": ctr,
                "namespace_name": ns,
                "pod_name": f"{ctr}-{rng.getrandbits(24):06x}",
                "container_image": f"registry/{ctr}:1.{rng.randint(0, 9)}",
                "pod_id": f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}",
                "host": f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(0, 255)}.ec2.internal",
                "labels": {"app": ctr, "pod-template-hash": f"{rng.getrandbits(32):x}"},
            },
        }

    def text(self) -> str:
        rng = self.rng
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
        if rng.random() < 0.05:
            words.append(rng.choice(["\u2028", "\x7f", "\u0000", "\x1b[31m", "\ud800", "\udfff", "\ud83d", "\ufffd",
                                     "\ufeff"]))
        return f"(T) 11:09:04[{rng.randint(100, 999)}] " + " ".join(words)

    def value(self, depth: int) -> Any:
        rng = self.rng
        kind = rng.randrange(10 if depth > 0 else 7)
        if kind == 0:
            return rng.choice(FLOATS)
        if kind == 1:
            return rng.choice([*BIG_INTS, 0, 1, -1, 42, 2**31])
        if kind == 2:
            return rng.choice([True, False, None])
        if kind in (3, 4, 5, 6):
            return rng.choice(WORDS + NUMERIC_STRINGS)
        if kind in (7, 8):
            return {self.key(): self.value(depth - 1) for _ in range(rng.randint(0, 5))}
        return [self.value(depth - 1) for _ in range(rng.randint(0, 4))]

    def key(self) -> str:
        rng = self.rng
        return rng.choice(["a", "b", "log", "level", "0", "1", "10", "2", "01", "-1", "4294967294", "4294967295", "1.5",
                           "__proto__", "constructor", "@id", "@timestamp", "@message", "@log_group", "$a", "",
                           "ключ", "🚀"])

    def quirky_json(self) -> str:
        """Object text with duplicate keys, unusual number spellings and escapes (built as text)."""
        rng = self.rng
        members = []
        for _ in range(rng.randint(1, 8)):
            key = json.dumps(self.key())
            value = rng.choice([
                "1", "-0", "-0.0", "1E5", "1e+5", "1.0", "1.50", "0.1e1", "123456789012345678", "1e-7", "2e-7", "1e21",
                "9007199254740993", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\ud83d\\ude00\"",
                "\"\\u2028\"", "\"\\u0000\"", "\"\\/\"", "[]", "{}", "[1,[2,[3]]]", "{\"0\":{\"b\":1,\"a\":2}}",
                json.dumps(self.text()),
            ])
            members.append(f"{key}:{value}")
        prefix = rng.choice(["", "", "INFO ", "{\"unterminated\" ", "{bad} "])
        return prefix + "{" + ",".join(members) + "}"

    def nested_json(self) -> str:
        return json.dumps(self.value(4) if self.rng.random() < 0.3 else {self.key(): self.value(4) for _ in range(4)},
                          ensure_ascii=False)

    # ------------------------------------------------------------------ extracted fields

    def extracted_fields(self) -> dict[str, Any]:
        rng = self.rng
        fields: dict[str, Any] = {}
        for _ in range(rng.randint(1, 6)):
            key = rng.choice(["status", "latency", "msg", "0", "7", "__proto__", "$status", "@id", "body", "x"])
            roll = rng.random()
            if roll < 0.4:
                fields[key] = rng.choice(NUMERIC_STRINGS)
            elif roll < 0.6:
                fields[key] = rng.choice(WORDS) + " " + json.dumps(self.value(2))
            elif roll < 0.7:
                fields[key] = rng.choice(["{\"a\":1}", "{bad", "x{\"$k\":[1.5]}", "{}"])
            elif roll < 0.8:
                fields[key] = rng.choice([0, 1, -2.5, 1e21, None, False, 1e-7, 12345678901234567890])
            else:
                fields[key] = self.text()
        if rng.random() < 0.05:  # the seed throws: hasOwnProperty shadowed, or a value without indexOf
            fields[rng.choice(["hasOwnProperty", "obj", "flag"])] = rng.choice(["x", {"a": 1}, True])
        return fields
