"""Deterministic, realistic container log files for the seed's pipeline.

``generate_containers(spec)`` returns, for a fixed seed, the same files byte for byte: the
workloads of a small EKS cluster (several namespaces, pods, containers), their statements
timed in bursts over several days (the bulk in the last few days, a trickle before, so a
set can outlive a 30-day retention policy), written as the container runtime frames them:
Docker json-file lines or CRI lines, stdout and stderr interleaved, lines over 16 KiB split.
Every container also carries its truth: which physical lines form each logical statement.
No wall clock, no global randomness: everything comes from ``spec``.
"""
from __future__ import annotations

import hashlib
import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from efklab.errors import UsageError
from efklab.fluentd.filters import PodFacts
from efklab.samples.applogs import APP_WRITERS, AppWriter, Statement

RUNTIME_SPLIT_BYTES = 16384  # Docker and containerd split longer lines into partial records
FORMATS = ("docker", "cri")
DEFAULT_START = datetime(2021, 3, 22, tzinfo=UTC)  # 40 days ending 2021-04-30, the seed's week
_NS_PER_DAY = 86400 * 10**9
_POD_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated name suffixes
# KST business day peaks
_HOURLY_WEIGHT_UTC = (9, 10, 10, 9, 9, 8, 8, 9, 10, 8, 6, 5, 4, 3, 2, 2, 1, 1, 1, 2, 3, 5, 7, 8)


@dataclass(frozen=True, slots=True)
class Workload:
    """A deployment: which app it runs, where, how many replicas, its share of the statements."""

    namespace: str
    deployment: str
    container: str
    app: str
    replicas: int
    weight: float
    image: str


WORKLOADS: tuple[Workload, ...] = (
    Workload("shop", "order-api", "order-api", "order-api", 2, 0.20,
             "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/order-api:1.14.2"),
    Workload("shop", "cart-api", "cart-api", "cart-api", 1, 0.09,
             "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/cart-api:2.3.0"),
    Workload("shop", "web", "nginx", "nginx", 1, 0.17, "nginx:1.19.10"),
    Workload("payments", "payment-gateway", "payment-gateway", "payment-gateway", 1, 0.14,
             "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/payment-gateway:3.0.7"),
    Workload("payments", "fraud-scorer", "fraud-scorer", "fraud-scorer", 1, 0.11,
             "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/fraud-scorer:0.9.1"),
    Workload("platform", "notification-worker", "worker", "notification-worker", 1, 0.10,
             "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/notification-worker:1.2.0"),
    Workload("platform", "legacy-batch", "batch", "legacy-batch", 1, 0.12,
             "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/legacy-batch:2019.11"),
    Workload("kube-system", "coredns", "coredns", "coredns", 1, 0.07,
             "602401143452.dkr.ecr.ap-northeast-2.amazonaws.com/eks/coredns:v1.8.0-eksbuild.1"),
)


@dataclass(frozen=True, slots=True)
class SampleSpec:
    """Everything that decides a sample set; the same spec always gives the same bytes."""

    seed: int = 1
    events: int = 3000  # logical statements across all containers (lines are more: traces, bodies)
    days: int = 40
    recent_days: int = 3  # the last days hold the bulk; earlier days get old_day_events each
    old_day_events: int = 6
    start: datetime = DEFAULT_START  # UTC midnight of the first day
    format: str = "docker"
    app_utc_offset_hours: int = 9  # the seed's apps print KST wall-clock times
    interleave_rate: float = 0.1  # share of multi-line stderr statements with a stdout line in between
    workloads: tuple[Workload, ...] = WORKLOADS

    def validate(self) -> None:
        """Refuse specs that cannot produce a sensible set, with the option named."""
        if self.format not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.events < 1:
            raise UsageError(f"--events must be at least 1, not {self.events}")
        if self.days < 1 or self.recent_days < 1:
            raise UsageError("--days and --recent-days must be at least 1")
        if self.start.tzinfo is None or self.start.utcoffset() != UTC.utcoffset(None):
            raise UsageError("--start must be a UTC date or time")
        old = max(0, self.days - self.recent_days) * self.old_day_events
        if old >= self.events:
            raise UsageError(f"--events {self.events} leaves nothing for the recent days "
                             f"after {old} events on older days")
        if not 0.0 <= self.interleave_rate <= 1.0:
            raise UsageError("interleave rate must be between 0 and 1")


@dataclass(frozen=True, slots=True)
class Line:
    """One record as the container runtime writes it (content without the newline)."""

    time_ns: int
    stream: str
    text: str
    final: bool = True  # False: a runtime-split piece (Docker: no trailing newline; CRI: tag P)


@dataclass(frozen=True, slots=True)
class StatementTruth:
    """Which lines (1-based) of a file one logical statement became, and what it was."""

    lines: tuple[int, ...]
    kind: str
    stream: str
    level: str | None
    interleaved: bool = False  # another statement's line sits between its lines


@dataclass(frozen=True, slots=True)
class ContainerLog:
    """One ``/var/log/containers`` file with the Kubernetes facts fluentd would look up."""

    namespace: str
    pod: str
    container: str
    container_id: str
    app: str
    image: str
    node: str
    lines: tuple[Line, ...]
    statements: tuple[StatementTruth, ...] = field(default=())

    @property
    def file_name(self) -> str:
        """``<pod>_<namespace>_<container>-<64 hex id>.log``, the kubelet's symlink name."""
        return f"{self.pod}_{self.namespace}_{self.container}-{self.container_id}.log"


def generate_containers(spec: SampleSpec) -> list[ContainerLog]:
    """All container logs of a sample set, in file-name order."""
    spec.validate()
    rng = random.Random(f"efklab-samples:{spec.seed}:cluster")
    nodes = [f"ip-10-0-{rng.randint(1, 3)}-{rng.randint(10, 250)}.ap-northeast-2.compute.internal" for _ in range(3)]
    pods = [(w, _pod_name(rng, w), rng.choice(nodes)) for w in spec.workloads for _ in range(w.replicas)]
    counts = _split_counts(spec, [w.weight / w.replicas for w, _, _ in pods])
    logs = []
    for (workload, pod, node), per_day in zip(pods, counts, strict=True):
        crng = random.Random(f"efklab-samples:{spec.seed}:{pod}")
        container_id = f"{crng.getrandbits(256):064x}"
        lines, truth = _write_container(crng, spec, workload.app, per_day)
        logs.append(ContainerLog(workload.namespace, pod, workload.container, container_id, workload.app,
                                 workload.image, node, lines, truth))
    return sorted(logs, key=lambda log: log.file_name)


def _pod_name(rng: random.Random, workload: Workload) -> str:
    replica_set = "".join(rng.choice(_POD_ALPHABET) for _ in range(10))
    return f"{workload.deployment}-{replica_set}-{''.join(rng.choice(_POD_ALPHABET) for _ in range(5))}"


def _split_counts(spec: SampleSpec, weights: Sequence[float]) -> list[list[int]]:
    """Statements per pod per day: a trickle on old days, the rest on recent days, exact totals."""
    rng = random.Random(f"efklab-samples:{spec.seed}:days")
    old_days = max(0, spec.days - spec.recent_days)
    per_pod = [[0] * spec.days for _ in weights]
    for day in range(old_days):
        for pod in rng.choices(range(len(weights)), weights=weights, k=spec.old_day_events):
            per_pod[pod][day] += 1
    recent_total = spec.events - old_days * spec.old_day_events
    recent = range(old_days, spec.days)
    day_weights = [1.0 + 0.5 * i for i in range(len(recent))]  # traffic grows towards the last day
    for pod, share in enumerate(_apportion(recent_total, weights)):
        for day, n in zip(recent, _apportion(share, day_weights), strict=True):
            per_pod[pod][day] += n
    return per_pod


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Integer shares of ``total`` proportional to ``weights`` (largest remainder), summing to ``total``."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _statement_times(rng: random.Random, spec: SampleSpec, per_day: Sequence[int]) -> list[int]:
    """Start times (ns) of a pod's statements: bursts of 1-4 within milliseconds, business-hour peaks."""
    start_ns = int(spec.start.timestamp()) * 10**9
    times: list[int] = []
    for day, count in enumerate(per_day):
        made = 0
        while made < count:
            hour = rng.choices(range(24), weights=_HOURLY_WEIGHT_UTC)[0]
            at = start_ns + day * _NS_PER_DAY + hour * 3600 * 10**9 + rng.randrange(3600 * 10**9)
            for _ in range(min(count - made, rng.choice((1, 1, 2, 3, 4)))):
                times.append(at)
                at += rng.randint(30_000, 3_000_000)  # 30 us .. 3 ms to the next statement of the request
                made += 1
    return sorted(times)


def _write_container(rng: random.Random, spec: SampleSpec, app: str,
                     per_day: Sequence[int]) -> tuple[tuple[Line, ...], tuple[StatementTruth, ...]]:
    """Statements of one container, framed as runtime records in file order, and where each landed."""
    writer = APP_WRITERS[app]
    offset_s = spec.app_utc_offset_hours * 3600
    order: list[tuple[int, Line]] = []  # (statement number, record) in file order
    statements: list[Statement] = []
    times = deque(_statement_times(rng, spec, per_day))
    clock = 0
    while times:
        at = max(times.popleft(), clock + 1000)
        # the app reads its clock just before writing
        statement = writer(rng, at - rng.randint(20_000, 400_000), offset_s)
        records = list(_frame(rng, statement, at))
        number = len(statements)
        statements.append(statement)
        intruder = None
        if times and statement.stream == "stderr" and len(records) > 2 and rng.random() < spec.interleave_rate:
            intruder = _write_intruder(rng, writer, records, offset_s)
        if intruder is None:
            order += [(number, r) for r in records]
        else:
            cut, other, line = intruder
            statements.append(other)
            times.popleft()  # the intruder is one of the container's statements
            order += [(number, r) for r in records[:cut]] + [(number + 1, line)] + [(number, r) for r in records[cut:]]
        clock = records[-1].time_ns
    return tuple(line for _, line in order), _locate(order, statements)


def _write_intruder(rng: random.Random, writer: AppWriter, records: Sequence[Line],
                    offset_s: int) -> tuple[int, Statement, Line] | None:
    """A one-line stdout statement printed by another thread while a stderr trace is being written.

    Docker reads stdout and stderr through separate pipes, so such a line can land between
    the trace's lines in the file.
    """
    cut = rng.randint(1, len(records) - 1)
    at = records[cut - 1].time_ns + 500  # records are >= 1 us apart, so this stays in file order
    for _ in range(12):
        other = writer(rng, at - rng.randint(20_000, 400_000), offset_s)
        if other.stream == "stdout" and len(other.lines) == 1 and len(other.lines[0].encode()) < RUNTIME_SPLIT_BYTES:
            return cut, other, Line(at, "stdout", other.lines[0])
    return None


def _frame(rng: random.Random, statement: Statement, at_ns: int) -> Iterable[Line]:
    """The runtime records of one statement: one per line, microseconds apart, long lines split."""
    t = at_ns
    for text in statement.lines:
        pieces = split_runtime_line(text)
        for i, piece in enumerate(pieces):
            yield Line(t, statement.stream, piece, final=i == len(pieces) - 1)
            t += rng.randint(1_000, 40_000)  # 1-40 us: one write() of a stack trace, read line by line


def split_runtime_line(text: str) -> list[str]:
    """Pieces of at most 16 KiB (UTF-8 bytes, never cutting a character) as the runtime splits them."""
    data = text.encode()
    if len(data) + 1 <= RUNTIME_SPLIT_BYTES:
        return [text]
    pieces, start = [], 0
    while len(data) - start + 1 > RUNTIME_SPLIT_BYTES:
        end = start + RUNTIME_SPLIT_BYTES
        while end > start and (data[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(data[start:end].decode())
        start = end
    pieces.append(data[start:].decode())
    return pieces


def _locate(order: Sequence[tuple[int, Line]], statements: Sequence[Statement]) -> tuple[StatementTruth, ...]:
    """1-based line numbers of every statement, flagging the ones with a foreign line in between."""
    numbers: list[list[int]] = [[] for _ in statements]
    for number, (owner, _) in enumerate(order, start=1):
        numbers[owner].append(number)
    return tuple(
        StatementTruth(tuple(found), st.kind, st.stream, st.level, found[-1] - found[0] + 1 != len(found))
        for found, st in zip(numbers, statements, strict=True)
    )


def format_rfc3339nano(time_ns: int) -> str:
    """Go's ``time.RFC3339Nano`` in UTC, as Docker and containerd write it: trailing zeros trimmed."""
    moment = datetime.fromtimestamp(time_ns // 10**9, tz=UTC)
    fraction = f"{time_ns % 10**9:09d}".rstrip("0")
    return f"{moment:%Y-%m-%dT%H:%M:%S}{'.' + fraction if fraction else ''}Z"


def encode_docker_string(text: str) -> str:
    """A JSON string as Docker's json-file driver writes it (``<``, ``>``, ``&``, tab as ``\\u00XX``)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or ch in "<>&":
            out.append(f"\\u00{code:02x}")
        elif ch in "\u2028\u2029":
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def render_docker_line(line: Line) -> str:
    """``{"log":"...\\n","stream":"stdout","time":"..."}``: one json-file record (no newline)."""
    log = line.text + ("\n" if line.final else "")
    return f'{{"log":{encode_docker_string(log)},"stream":"{line.stream}","time":"{format_rfc3339nano(line.time_ns)}"}}'


def render_cri_line(line: Line) -> str:
    """``<time> <stream> <P|F> <content>``: one CRI record as containerd writes it (no newline)."""
    return f"{format_rfc3339nano(line.time_ns)} {line.stream} {'F' if line.final else 'P'} {line.text}"


def render_log(log: ContainerLog, fmt: str = "docker") -> str:
    """The whole file's text, one record per line, newline-terminated."""
    render = render_docker_line if fmt == "docker" else render_cri_line
    return "".join(render(line) + "\n" for line in log.lines)


def pod_facts(log: ContainerLog) -> PodFacts:
    """What kubernetes_metadata would fetch for this generated pod: its node and image, stable ids."""
    digest = hashlib.sha256(f"{log.namespace}/{log.pod}".encode()).hexdigest()
    image_digest = hashlib.sha256(log.image.encode()).hexdigest()
    repository = log.image.rsplit(":", 1)[0]
    return PodFacts(
        host=log.node,
        pod_id=f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        image=log.image,
        image_id=f"docker-pullable://{repository}@sha256:{image_digest}",
        labels={"app": log.pod.rsplit("-", 2)[0], "pod-template-hash": log.pod.rsplit("-", 2)[1]},
        namespace_id=hashlib.sha256(log.namespace.encode()).hexdigest()[:8] + "-0000-4000-8000-" + digest[32:44],
    )


def truth_rows(logs: Iterable[ContainerLog], directory: str = "containers") -> Iterable[dict[str, object]]:
    """One JSON-ready row per logical statement: file, line numbers, kind, stream, level."""
    for log in logs:
        for st in log.statements:
            row: dict[str, object] = {"file": f"{directory}/{log.file_name}", "lines": list(st.lines), "kind": st.kind,
                                      "stream": st.stream}
            if st.level is not None:
                row["level"] = st.level
            if st.interleaved:
                row["interleaved"] = True
            yield row
