"""``efklab lambda``: the user's own function run on payload files, and compared with efklab's transform.

``run_function`` feeds the function one Lambda event per payload record (CONTROL_MESSAGE ones
too, as CloudWatch does) and captures what it sends; ``diff_function`` puts its ``_bulk`` bodies
beside efklab's for the same payloads and finds the options, if any, that reproduce them.
"""
from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from efklab.adapters.localnode.lifecycle import load_settings
from efklab.adapters.nodelambda.endpoint import Forward, capture_endpoint
from efklab.adapters.nodelambda.runner import find_node, locate_function, prepare_function, run_harness
from efklab.adapters.opensearch import forwarder
from efklab.adapters.payloadfiles import iter_payload_records
from efklab.cloudwatch.payloads import Payload, decode_payload, to_lambda_event
from efklab.errors import UsageError
from efklab.jobs.connect import Connected
from efklab.lambda_.bodydiff import BodyDifference, action_index, compare_bodies, split_actions
from efklab.lambda_.optionsearch import candidate_options
from efklab.lambda_.transform import SEED_THROWS_MARK, TransformOptions, compile_options, render_bulk, transform_payload
from efklab.lambda_.userfunction import (
    RESPONSES,
    Invocation,
    LambdaRun,
    group_requests,
    parse_handler,
    read_bulk_answer,
)
from efklab.model import Reject

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def read_events(inputs: Sequence[str]) -> tuple[list[Payload], list[Reject]]:
    """The payloads of ``inputs`` in order, and the records that cannot be a Lambda event."""
    payloads: list[Payload] = []
    rejects: list[Reject] = []
    for record in iter_payload_records(inputs):
        (rejects if isinstance(record, Reject) else payloads).append(record)  # type: ignore[arg-type]
    return payloads, rejects


def run_function(source: str, inputs: Sequence[str], *, handler: str | None = None, respond: str = "ok",
                 timeout_ms: int = 3000, forward: Forward | None = None, say: Say = _quiet,
                 payloads: Sequence[Payload] | None = None, rejects: Sequence[Reject] = ()) -> LambdaRun:
    """Invoke the function at ``source`` once per payload of ``inputs``; every request it makes is captured.

    ``forward``: pass its requests on to a real node (``efklab.adapters.opensearch.forwarder``) instead of
    answering them; the node's answers are then in ``LambdaRun.answers``.
    """
    if respond not in RESPONSES:
        raise UsageError(f"--respond must be one of {', '.join(RESPONSES)}, got {respond!r}")
    if timeout_ms <= 0:
        raise UsageError(f"--timeout must be positive, got {timeout_ms} ms")
    runtime = find_node()
    folder, spec = locate_function(source, parse_handler(handler) if handler else None)
    if payloads is None:
        payloads, rejects = read_events(inputs)
    run = LambdaRun(rejects=list(rejects))
    with tempfile.TemporaryDirectory(prefix="efklab-lambda-") as scratch:
        work = Path(scratch)
        function = prepare_function(folder, work, load_settings().cache_dir, say)
        say(f"invoking {spec.module}.{spec.export} of {folder} under node v{runtime.major} "
            f"on {len(payloads)} events")
        with capture_endpoint(respond=respond, forward=forward) as endpoint:
            answers, run.console = run_harness(runtime, function, spec, (to_lambda_event(p) for p in payloads),
                                               port=endpoint.port, work=work, timeout_ms=timeout_ms)
            requests = group_requests(endpoint.requests)
            run.answers = [(request, status, answer) for request, status, answer in endpoint.answers]
    for answer in answers:
        if answer.get("outcome") == "load-error":
            raise UsageError(f"cannot load the handler {spec.module}.{spec.export}: {answer.get('error')}",
                             source=str(folder))
        i = int(answer["event"])
        payload = payloads[i] if 0 <= i < len(payloads) else None
        run.invocations.append(Invocation(
            index=i, source=payload.source if payload else None, position=payload.position if payload else None,
            outcome=str(answer.get("outcome")), result=answer.get("result"), error=answer.get("error"),
            stack=answer.get("stack") or None, millis=int(answer.get("ms") or 0), requests=requests.get(i, ())))
    return run


@dataclass(frozen=True, slots=True)
class EventComparison:
    """One event's bodies: efklab's and the function's, and how they differ (None: identical)."""

    invocation: Invocation
    difference: BodyDifference | None
    predicted_failure: str | None = None  # efklab's reason why the function fails this event too

    @property
    def agrees(self) -> bool:
        """Same bodies, or both sides fail the invocation."""
        if self.predicted_failure is not None:
            return not self.invocation.ok
        return self.difference is None and self.invocation.ok


@dataclass(slots=True)
class LambdaDiff:
    """The function against efklab's transform, event by event, and the options that reproduce it."""

    options: TransformOptions  # the options the events were compared under
    run: LambdaRun
    events: list[EventComparison] = field(default_factory=list)
    matching: list[TransformOptions] = field(default_factory=list)
    found: bool = False  # ``options`` were not given but found to reproduce the function

    @property
    def identical(self) -> int:
        return sum(1 for e in self.events if e.agrees)

    @property
    def differing(self) -> list[EventComparison]:
        return [e for e in self.events if not e.agrees]


def diff_function(source: str, inputs: Sequence[str], options: TransformOptions | None, *,
                  handler: str | None = None,
                  timeout_ms: int = 3000, zones: Sequence[str] = ("UTC",), search: bool = True,
                  say: Say = _quiet, payloads: Sequence[Payload | Mapping[str, Any]] | None = None) -> LambdaDiff:
    """Run the function, compare each event's bodies with efklab's under ``options``, search reproducing options.

    ``payloads`` (decoded, or payload objects as the pipeline emulation delivers them) instead of ``inputs``.
    ``options`` None: compare under the first option set found to reproduce the function (else the defaults).
    """
    if options is not None:
        compile_options(options)
    rejects: list[Reject] = []
    if payloads is None:
        decoded, rejects = read_events(inputs)
    else:
        decoded = [p if isinstance(p, Payload) else decode_payload(p, source="pipeline", position=i + 1)
                   for i, p in enumerate(payloads)]
    run = run_function(source, inputs, handler=handler, timeout_ms=timeout_ms, say=say, payloads=decoded,
                       rejects=rejects)
    matching = _reproducing(decoded, run, zones=zones) if search or options is None else []
    chosen = options if options is not None else (matching[0] if matching else TransformOptions())
    result = LambdaDiff(options=chosen, run=run, matching=matching, found=options is None and bool(matching))
    for invocation in run.invocations:
        payload = decoded[invocation.index]
        ours, throws = _efklab_bodies(payload, chosen)
        result.events.append(EventComparison(invocation, compare_bodies(ours, invocation.bulk_bodies), throws))
    return result


def _agrees(payload: Payload, invocation: Invocation, options: TransformOptions) -> bool:
    bodies, throws = _efklab_bodies(payload, options)
    if throws is not None:
        return not invocation.ok
    return invocation.ok and compare_bodies(bodies, invocation.bulk_bodies) is None


def _efklab_bodies(payload: Payload, options: TransformOptions) -> tuple[list[bytes], str | None]:
    """efklab's bodies for one payload, and why the function would fail on it (seed mode's throws)."""
    if payload.is_control:
        return [], None
    actions, rejects = transform_payload(payload, options)
    throws = next((r.reason for r in rejects if SEED_THROWS_MARK in r.reason), None)
    return ([render_bulk(actions).encode("utf-8")] if actions else []), throws


def _reproducing(payloads: Sequence[Payload], run: LambdaRun, *, zones: Sequence[str]) -> list[TransformOptions]:
    """Every candidate option set under which efklab's bodies equal the function's for all events."""
    samples = []
    for invocation in run.invocations:
        payload = payloads[invocation.index]
        for body in invocation.bulk_bodies[:1]:
            for action, _source in split_actions(body)[:1]:
                index = action_index(action)
                if index and payload.log_events:
                    samples.append((index, payload, int(payload.log_events[0].timestamp)))
        if len(samples) >= 3:
            break
    matching = []
    for candidate in candidate_options(samples, zones=zones):
        try:
            compile_options(candidate)
        except UsageError:
            continue
        if all(_agrees(payloads[invocation.index], invocation, candidate) for invocation in run.invocations):
            matching.append(candidate)
    return matching



@dataclass(slots=True)
class FunctionReplay:
    """A replay through the user's function: how its invocations ended and what the node answered."""

    run: LambdaRun
    url: str
    documents: int = 0  # actions the function sent in _bulk requests
    indexed: Counter[str] = field(default_factory=Counter)  # per index, items the node answered 2xx
    refused: Counter[str] = field(default_factory=Counter)  # reason -> items the node refused
    requests_refused: Counter[str] = field(default_factory=Counter)  # whole _bulk requests answered non-2xx

    @property
    def complete(self) -> bool:
        return not self.run.failed and not self.refused and not self.requests_refused


def replay_through_function(source: str, inputs: Sequence[str], target: Connected, *, handler: str | None = None,
                            timeout_ms: int = 3000, say: Say = _quiet) -> FunctionReplay:
    """Replay ``inputs`` through the user's own function, its requests forwarded to ``target``'s node."""
    run = run_function(source, inputs, handler=handler, timeout_ms=timeout_ms, say=say,
                       forward=forwarder(target.client, target.conn))
    result = FunctionReplay(run=run, url=target.url)
    for request, status, answer in run.answers:
        if not request.is_bulk:
            continue
        result.documents += len(split_actions(request.body))
        outcome = read_bulk_answer(status, answer)
        if isinstance(outcome, str):
            result.requests_refused[outcome] += 1
            continue
        for index, item_status, reason in outcome:
            if 200 <= item_status < 300:
                result.indexed[index] += 1
            else:
                result.refused[reason] += 1
    return result
