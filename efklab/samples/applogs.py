"""What the sample applications write: one logical log statement at a time.

Each app kind is a pure function ``(rng, at_ns, offset_s) -> Statement`` that returns the
physical lines one statement puts on stdout or stderr, exactly as the app prints them
(no trailing newline; the container runtime adds framing).  The kinds mirror what runs
on the seed's cluster: Java services printing ``(I) 11:09:04[301] ...`` with stack traces
(the seed's ``multiline_start_regexp``), a legacy batch app writing the seed's four example
line shapes, JSON-logging services, nginx and CoreDNS.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from efklab.samples.vocab import (
    ACCESS_PATHS,
    CAUSES,
    DNS_NAMES,
    FRAMEWORK_FRAMES,
    JAVA_SERVICES,
    KOREAN_NOTES,
    USER_AGENTS,
    JavaService,
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One logical log statement: what a correct multiline rule should turn into one event."""

    lines: tuple[str, ...]
    stream: str  # "stdout" | "stderr"
    kind: str  # "line", "stacktrace", "sql", "body", "orphan", "json", "access", ...
    level: str | None = None


AppWriter = Callable[[random.Random, int, int], Statement]


def format_app_clock(at_ns: int, offset_s: int) -> str:
    """``HH:MM:SS[mmm]`` in the app's local time (the seed's apps print KST, UTC+9)."""
    local = datetime.fromtimestamp(at_ns // 10**9 + offset_s, tz=UTC)
    return f"{local:%H:%M:%S}[{(at_ns // 10**6) % 1000:03d}]"


def _iso_ms(at_ns: int) -> str:
    moment = datetime.fromtimestamp(at_ns // 10**9, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{(at_ns // 10**6) % 1000:03d}Z"


def _fill(rng: random.Random, template: str) -> str:
    """Fill ``{id}``-style slots with plausible values."""
    return template.format(
        id=rng.randint(10000, 99999),
        ms=rng.choice((3, 7, 12, 18, 25, 41, 88, 153, 420, 1210)),
        sku=f"SKU-{rng.randint(100, 999)}-{rng.choice('ABCDEFGH')}",
        user=f"u{rng.randint(100000, 999999)}",
        amount=rng.choice((4900, 12000, 35500, 129000, 1250000)),
        n=rng.randint(1, 40),
        attempt=rng.randint(1, 5),
        host=f"10.0.{rng.randint(1, 3)}.{rng.randint(2, 250)}",
    )


def _java_frames(rng: random.Random, service: JavaService, depth: int) -> list[str]:
    """Stack frames, app frames on top of framework frames, as a JVM prints them."""
    frames = []
    for _ in range(rng.randint(2, 5)):
        cls = rng.choice(service.classes)
        method = rng.choice(("process", "handle", "reserve", "load", "apply", "lambda$submit$0", "invoke"))
        frames.append(f"\tat {service.package}.{cls}.{method}({cls.rsplit('.', 1)[-1]}.java:{rng.randint(30, 420)})")
    pool = list(FRAMEWORK_FRAMES)
    start = rng.randrange(0, len(pool) - depth) if depth < len(pool) else 0
    frames.extend(f"\tat {frame}" for frame in pool[start : start + depth])
    return frames


def _java_trace(rng: random.Random, service: JavaService) -> list[str]:
    """``Exception: msg``, frames, optional ``Caused by:`` chain ending in ``... N more``."""
    exception, message = rng.choice(service.errors)
    lines = [f"{exception}: {_fill(rng, message)}"]
    lines += _java_frames(rng, service, rng.randint(4, 22))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        cause, cause_message = rng.choice(CAUSES)
        lines.append(f"Caused by: {cause}: {_fill(rng, cause_message)}")
        lines += _java_frames(rng, service, rng.randint(1, 6))
        lines.append(f"\t... {rng.randint(12, 96)} more")
    return lines


def _sql_lines(rng: random.Random) -> list[str]:
    """Hibernate ``format_sql`` output: continuation lines indented with spaces."""
    table = rng.choice(("orders", "order_items", "payments", "carts", "stock"))
    return [
        "    select",
        f"        {table[0]}1_.id as id1_0_,",
        f"        {table[0]}1_.status as status2_0_,",
        f"        {table[0]}1_.updated_at as updated3_0_ ",
        "    from",
        f"        {table} {table[0]}1_ ",
        "    where",
        f"        {table[0]}1_.id=?",
    ]


def _json_body_lines(rng: random.Random) -> list[str]:
    """A pretty-printed response body, as Jackson's default pretty printer writes it."""
    body = {
        "approved": rng.random() < 0.8,
        "approvalNo": str(rng.randint(10**7, 10**8 - 1)),
        "amount": rng.choice((4900, 12000, 35500)),
        "card": {"issuer": rng.choice(("KB", "SHINHAN", "HYUNDAI")), "installment": 0},
    }
    return json.dumps(body, indent=2, separators=(",", " : ")).splitlines()


def write_java_service(name: str) -> AppWriter:
    """A Spring Boot service logging the seed's ``(L) HH:MM:SS[mmm]`` format with stack traces."""
    service = JAVA_SERVICES[name]

    def write(rng: random.Random, at_ns: int, offset_s: int) -> Statement:
        level = rng.choices("IDTE", weights=(52, 26, 12, 10))[0]
        thread = rng.choice(service.threads).format(n=rng.randint(1, 12))
        logger, template = rng.choice(service.messages[level])
        head = f"({level}) {format_app_clock(at_ns, offset_s)} [{thread}] {logger} - {_fill(rng, template)}"
        stream = "stderr" if level == "E" and service.errors_to_stderr else "stdout"
        if level == "E" and rng.random() < 0.75:
            return Statement((head, *_java_trace(rng, service)), stream, "stacktrace", level)
        if level == "D" and rng.random() < 0.18:
            sql_head = f"(D) {format_app_clock(at_ns, offset_s)} [{thread}] org.hibernate.SQL - "
            return Statement((sql_head, *_sql_lines(rng)), stream, "sql", "D")
        if level == "D" and rng.random() < 0.12:
            return Statement((f"{head} response body:", *_json_body_lines(rng)), stream, "body", "D")
        return Statement((head,), stream, "line", level)

    return write


def write_legacy_batch(rng: random.Random, at_ns: int, offset_s: int) -> Statement:
    """The seed's four example shapes: ``(T) hh:mm:ss[ms]`` heads, time-only and bare continuation lines."""
    clock = format_app_clock(at_ns, offset_s)
    step = rng.randint(1, 9)
    if rng.random() < 0.06:  # a library that prints time but no level: not a start line for the seed's regex
        return Statement((f"{clock} batch-core loaded {rng.randint(20, 90)} job definitions",), "stdout", "orphan")
    level = rng.choices("TIDE", weights=(45, 30, 15, 10))[0]
    job = rng.choice(("SETTLE_DAILY", "POINT_EXPIRE", "COUPON_ISSUE", "STOCK_SYNC"))
    head = f"({level}) {clock} job={job} step={step} {rng.choice(KOREAN_NOTES)}"
    extra: list[str] = []
    for _ in range(rng.choice((0, 0, 1, 2, 3))):
        if rng.random() < 0.5:
            extra.append(f"{clock} job={job} step={step} rows={rng.randint(0, 50000)} elapsed={rng.randint(1, 900)}ms")
        else:
            extra.append(rng.choice(("logdata~~~~~~", "  -> retry scheduled", "summary: ok", "처리 대상 없음")))
    stream = "stderr" if level == "E" else "stdout"
    return Statement((head, *extra), stream, "line" if not extra else "continued", level)


def write_python_scorer(rng: random.Random, at_ns: int, offset_s: int) -> Statement:
    """A Python service logging one JSON object per line (python-json-logger style, ``", "`` separators)."""
    if rng.random() < 0.015:  # a warning printed by a library straight to stderr: two plain lines
        return Statement(
            (
                "/usr/local/lib/python3.9/site-packages/sklearn/base.py:329: UserWarning: Trying to unpickle "
                "estimator DecisionTreeClassifier from version 0.24.1 when using version 0.24.2.",
                "  warnings.warn(",
            ),
            "stderr",
            "warning",
        )
    level = rng.choices(("INFO", "DEBUG", "WARNING", "ERROR"), weights=(60, 20, 14, 6))[0]
    record: dict[str, object] = {
        "asctime": _iso_ms(at_ns),
        "levelname": level,
        "name": rng.choice(("scorer.api", "scorer.model", "scorer.features")),
        "message": rng.choice(("score computed", "features loaded", "score above threshold", "model reloaded")),
        "score": round(rng.random(), 4),
        "latency_ms": round(rng.uniform(0.4, 90.0), 3),
        "request": {"id": f"{rng.getrandbits(64):016x}", "amount": rng.choice((12000, 35500, 1250000)),
                    "currency": "KRW"},
        "rules": rng.sample(["velocity", "geo", "device", "amount", "night"], rng.randint(0, 3)),
        "trace_id": rng.getrandbits(63),  # beyond 2**53: the Lambda's JSON.parse loses precision
    }
    if rng.random() < 0.05:
        record["customer_tier"] = rng.choice((" 42", "1e3", "0x1F", "007"))  # numeric-looking strings
    if level == "ERROR":
        record["exc_info"] = (
            "Traceback (most recent call last):\n  File \"/app/scorer/model.py\", line 88, in predict\n"
            "    return self.clf.predict_proba(x)[0][1]\nValueError: Input contains NaN"
        )
    if rng.random() < 0.004:  # a huge line: the runtime splits it into 16 KiB pieces
        record["features"] = [round(rng.random(), 6) for _ in range(rng.randint(2200, 4200))]
    return Statement((json.dumps(record, ensure_ascii=False),), "stderr" if level == "ERROR" else "stdout", "json",
                     level)


def write_go_worker(rng: random.Random, at_ns: int, offset_s: int) -> Statement:
    """A Go worker logging zap JSON: epoch-float ``ts``, compact separators, nested fields."""
    level = rng.choices(("info", "debug", "warn", "error"), weights=(62, 20, 12, 6))[0]
    record: dict[str, object] = {
        "level": level,
        "ts": round(at_ns / 1e9, 7),
        "caller": rng.choice(("dispatch/sms.go:88", "dispatch/push.go:131", "queue/consumer.go:57")),
        "msg": rng.choice(("notification sent", "message consumed", "provider throttled", "알림 발송 완료")),
        "channel": rng.choice(("sms", "push", "email", "kakao")),
        "recipients": rng.randint(1, 5),
        "provider": {"name": rng.choice(("nhn", "fcm", "ses")), "status": rng.choice((200, 202, 429, 503))},
    }
    if level == "error":
        record["error"] = "context deadline exceeded"
        record["errorVerbose"] = "context deadline exceeded\nmain.(*Dispatcher).send\n\t/app/dispatch/sms.go:91"
    return Statement((json.dumps(record, ensure_ascii=False, separators=(",", ":")),),
                     "stderr" if level == "error" else "stdout", "json", level)


def write_nginx(rng: random.Random, at_ns: int, offset_s: int) -> Statement:
    """nginx: combined access log on stdout, error log (``2021/04/28 02:09:04 [error]``) on stderr."""
    moment = datetime.fromtimestamp(at_ns // 10**9, tz=UTC)
    path = _fill(rng, rng.choice(ACCESS_PATHS))
    if rng.random() < 0.04:
        return Statement(
            (
                f"{moment:%Y/%m/%d %H:%M:%S} [error] 31#31: *{rng.randint(1000, 99999)} upstream timed out "
                f"(110: Connection timed out) while reading response header from upstream, client: "
                f"{_fill(rng, '{host}')}, server: shop.example.com, request: \"GET {path} HTTP/1.1\", "
                f"upstream: \"http://{_fill(rng, '{host}')}:8080{path}\", host: \"shop.example.com\"",
            ),
            "stderr",
            "error",
            "error",
        )
    status = rng.choices((200, 201, 204, 302, 404, 499, 502), weights=(70, 6, 4, 5, 8, 3, 2))[0]
    line = (
        f"{_fill(rng, '{host}')} - - [{moment:%d/%b/%Y:%H:%M:%S} +0000] "
        f"\"{rng.choice(('GET', 'GET', 'POST'))} {path} HTTP/1.1\" "
        f"{status} {rng.randint(0, 48000)} \"-\" \"{rng.choice(USER_AGENTS)}\" "
        f"\"{rng.choice(('-', _fill(rng, '{host}')))}\""
    )
    return Statement((line,), "stdout", "access")


def write_coredns(rng: random.Random, at_ns: int, offset_s: int) -> Statement:
    """CoreDNS query log lines (``[INFO] ip:port - id "A IN name. udp ..." NOERROR ...``)."""
    name = rng.choice(DNS_NAMES)
    rcode = rng.choices(("NOERROR", "NXDOMAIN"), weights=(80, 20))[0]
    line = (
        f"[INFO] {_fill(rng, '{host}')}:{rng.randint(30000, 60999)} - {rng.randint(1, 65535)} "
        f"\"{rng.choice(('A', 'AAAA'))} IN {name} udp {rng.randint(40, 90)} false 512\" {rcode} "
        f"qr,aa,rd {rng.randint(90, 200)} {rng.uniform(0.00005, 0.004):.6f}s"
    )
    return Statement((line,), "stdout", "dns")


APP_WRITERS: dict[str, AppWriter] = {
    "order-api": write_java_service("order-api"),
    "cart-api": write_java_service("cart-api"),
    "payment-gateway": write_java_service("payment-gateway"),
    "legacy-batch": write_legacy_batch,
    "fraud-scorer": write_python_scorer,
    "notification-worker": write_go_worker,
    "nginx": write_nginx,
    "coredns": write_coredns,
}

