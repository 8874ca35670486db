"""The seed's pipeline, end to end: container log records -> fluentd filters -> CloudWatch -> payloads.

``run_pipeline`` takes the records ``in_tail`` reads from each container log file (already
parsed with the source's ``<parse>``; see ``containerlogs``) and the routes of a fluentd config
(``routing.plan_routes``), runs each file's records through its label's chain
(``kubernetes_metadata``, ``record_transformer``, the concat engine with its flush timer emulated
from event time), hands what reaches ``cloudwatch_logs`` to the plugin emulation and CloudWatch
delivery, and returns the subscription payloads with their provenance: every event id maps to
the ``file:line`` of each source line it was made of, and every line that produced no event is
in ``rejects`` with the reason.  Pure: the delivery randomness comes from ``seed``.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from efklab.cloudwatch.delivery import (
    Delivery,
    Emitted,
    OutputSettings,
    PutBatch,
    Subscription,
    deliver_payloads,
    put_batches,
)
from efklab.fluentd.concat.engine import ROUTE_DROPPED, ROUTE_ERROR, ROUTE_MAIN, ROUTE_TIMEOUT, Concatenator
from efklab.fluentd.concat.engine import Emitted as ConcatEmitted
from efklab.fluentd.filters import (
    FilterError,
    PodFacts,
    add_kubernetes_metadata,
    make_pod_facts,
    pod_of_tag,
    transform_record,
)
from efklab.fluentd.routing import CONTAINER_DIR, Chain, Route, Stage, route_for
from efklab.fluentd.tail.containerlogs import fluentd_tag
from efklab.model import Reject

MASTER_URL = "https://10.100.0.1:443/api"  # what kubernetes_metadata reports in-cluster on EKS
_END = 1 << 126
_SUBSCRIPTION = Subscription()  # the default of every PipelineOptions (frozen, so one instance serves all)


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record ``in_tail`` emitted from a container log file, and the line it came from."""

    file: str  # as provenance names it, e.g. "containers/<pod>_<ns>_<container>-<id>.log"
    line: int
    time_ns: int
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """What the config does not say: the cluster, the subscription, in_tail latency, the seed."""

    cluster: str = "MyClusterName"
    read_delay_ns: int = 0  # in_tail reads a line this long after the runtime wrote it
    subscription: Subscription = _SUBSCRIPTION
    seed: int = 1
    facts: Callable[[str, str, str], PodFacts | None] | None = None  # (pod, namespace, container) -> known facts


@dataclass
class PipelineResult:
    """Payloads in delivery order (each event with its source lines) and everything that did not get there."""

    deliveries: list[Delivery] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    batches: list[PutBatch] = field(default_factory=list)
    lines: int = 0  # source lines read (records + read rejects)

    def provenance(self) -> Iterator[dict[str, Any]]:
        """One row per delivered event (id -> source lines) and per reject (reason -> source lines)."""
        for delivery in self.deliveries:
            payload = delivery.payload
            # a control message's one event has no sources
            for event, sources in zip(payload["logEvents"], delivery.sources, strict=False):
                if sources:
                    yield {"id": event["id"], "logGroup": payload["logGroup"], "logStream": payload["logStream"],
                           "sources": list(sources)}
        for reject in self.rejects:
            yield {"reject": reject.reason, "stage": reject.stage, "sources": reject_sources(reject)}


def reject_sources(reject: Reject) -> list[str]:
    """The ``file:line`` list a reject stands for."""
    item = reject.item if isinstance(reject.item, dict) else {}
    if "sources" in item:
        return list(item["sources"])
    return [reject.location()] if reject.source else []




def run_pipeline(files: Iterable[tuple[str, Iterable[SourceRecord | Reject]]], routes: list[Route],
                 options: PipelineOptions = PipelineOptions()) -> PipelineResult:
    """Every file through its route; ``files`` yields (file name, its records or read rejects) in any order."""
    result = PipelineResult()
    by_output: dict[OutputSettings, list[Emitted]] = {}
    for name, records in files:
        base = name.rsplit("/", 1)[-1]
        route = route_for(routes, base)
        for outcome in _run_file(route, base, records, options, result):
            if isinstance(outcome, Reject):
                result.rejects.append(outcome)
            else:
                by_output.setdefault(outcome[0], []).append(outcome[1])
    for settings, emitted in by_output.items():
        batches, rejects = put_batches(emitted, settings)
        result.batches += batches
        result.rejects += rejects
    result.batches.sort(key=lambda b: b.put_ns)
    deliveries, refused = deliver_payloads(result.batches, random.Random(f"efklab-pipeline:{options.seed}"),
                                           options.subscription)
    result.deliveries, result.rejects = deliveries, result.rejects + refused
    return result


def _run_file(route: Route | None, base: str, records: Iterable[SourceRecord | Reject], options: PipelineOptions,
              result: PipelineResult) -> Iterator[tuple[OutputSettings, Emitted] | Reject]:
    if route is None:
        for item in records:
            result.lines += 1
            yield item if isinstance(item, Reject) else Reject(
                "route", f"no in_tail source reads {CONTAINER_DIR}/{base} (path/exclude_path)", item.file, item.line)
        return
    run = _FileRun(route, fluentd_tag(base, route.source.tag or "*"), options)
    now = -_END
    for item in records:
        result.lines += 1
        if isinstance(item, Reject):
            yield item
            continue
        now = max(now, item.time_ns + options.read_delay_ns)
        yield from run.tick(now)
        yield from run.push(0, item.time_ns, item.record, (f"{item.file}:{item.line}",), now)
    yield from run.finish(now)


class _FileRun:
    """One file's pass through a route: concat engines, their fed sources, and the timeout label."""

    def __init__(self, route: Route, tag: str, options: PipelineOptions) -> None:
        self.route, self.tag = route, tag
        self.stages = route.chain.stages
        self.engines = {i: Concatenator(s.rule) for i, s in enumerate(self.stages) if s.rule is not None}
        self.fed: dict[int, list[tuple[str, ...]]] = {i: [] for i in self.engines}
        pod = pod_of_tag(tag)
        known = options.facts(*pod) if pod and options.facts else None
        self.facts = known or (make_pod_facts(options.cluster, *pod) if pod else None)

    def push(self, start: int, time_ns: int, record: dict[str, Any], sources: tuple[str, ...], now: int) -> list[Any]:
        """The record through stages ``start..`` of the main chain, to the output."""
        for i in range(start, len(self.stages)):
            stage = self.stages[i]
            if stage.rule is None:
                try:
                    record = self._apply(stage, record)
                except FilterError as exc:
                    return [_group_reject("filter", f"{stage.kind} at {stage.origin} raised ({exc}); "
                                                    "fluentd sends the record to @ERROR", sources, time_ns)]
                continue
            self.fed[i].append(sources)
            out: list[Any] = []
            for event in self.engines[i].feed(_Fed(self.tag, time_ns, record), now):
                out += self._after_concat(i, event, now)
            return out
        return [self._deliver(self.route.chain, time_ns, record, sources, now)]

    def _apply(self, stage: Stage, record: dict[str, Any]) -> dict[str, Any]:
        if stage.kind == "kubernetes_metadata":
            return add_kubernetes_metadata(self.tag, record, self.facts, master_url=MASTER_URL)
        assert stage.transformer is not None
        return transform_record(stage.transformer, self.tag, record)

    def _after_concat(self, i: int, event: ConcatEmitted, now: int) -> list[Any]:
        sources = tuple(s for seq in event.lines for s in self.fed[i][seq])
        if event.route == ROUTE_MAIN:
            return self.push(i + 1, event.time_ns, event.record, sources, now)
        if event.route == ROUTE_TIMEOUT:
            label = self.stages[i].rule.timeout_label  # type: ignore[union-attr]
            chain = self.route.timeout_chains[label or ""]
            record = event.record
            for stage in chain.stages:
                try:
                    record = self._apply(stage, record)
                except FilterError as exc:
                    return [_group_reject("filter", f"{stage.kind} at {stage.origin} raised ({exc})", sources,
                                          event.time_ns)]
            return [self._deliver(chain, event.time_ns, record, sources, now)]
        if event.route == ROUTE_ERROR:
            return [_group_reject("concat", f"{event.note or 'concat failed'}: sent to @ERROR, "
                                            "which drops it unless handled", sources, event.time_ns)]
        assert event.route == ROUTE_DROPPED
        return [_group_reject("concat", f"dropped by buffer_overflow_method ({event.note})", sources, event.time_ns)]

    def _deliver(self, chain: Chain, time_ns: int, record: dict[str, Any], sources: tuple[str, ...], now: int) -> Any:
        if chain.output is None:
            return _group_reject("route", f"records end at {chain.end}, not in CloudWatch", sources, time_ns)
        return (chain.output, Emitted(time_ns, now, record, sources))

    def tick(self, now: int) -> Iterator[Any]:
        """The concat timers up to ``now``: each stream flushed at its own deadline."""
        for i, engine in self.engines.items():
            deadline = engine.next_deadline()
            while deadline is not None and deadline <= now:
                for event in engine.flush(deadline):
                    yield from self._after_concat(i, event, deadline)
                deadline = engine.next_deadline()

    def finish(self, now: int) -> Iterator[Any]:
        """End of file: the last buffers time out (or, with the timer off, flush as at shutdown)."""
        yield from self.tick(_END - 1)
        for i, engine in self.engines.items():
            for event in engine.shutdown():
                yield from self._after_concat(i, event, now)


@dataclass(slots=True)
class _Fed:
    """What the concat engine reads from a record (``concat.Fed``)."""

    tag: str
    time_ns: int
    record: dict[str, Any]


def _group_reject(stage: str, reason: str, sources: tuple[str, ...], time_ns: int) -> Reject:
    first = sources[0] if sources else ""
    source, _, line = first.rpartition(":")
    return Reject(stage, reason, source or None, line or None, {"time_ns": time_ns, "sources": list(sources)})
