"""What ``efklab lambda`` prints: failed invocations with their event and stack, summaries, differences."""
from __future__ import annotations

from collections import Counter

from efklab.jobs.userlambda import EventComparison, LambdaDiff
from efklab.lambda_.bodydiff import split_actions
from efklab.lambda_.optionsearch import options_text
from efklab.lambda_.userfunction import CapturedRequest, Invocation, LambdaRun

STACK_LINES = 6


def where(invocation: Invocation) -> str:
    """``file:line`` of the payload the invocation received (or its event number)."""
    if invocation.source is not None:
        return f"{invocation.source}:{invocation.position}" if invocation.position is not None else invocation.source
    return f"event {invocation.index + 1}"


def failure_text(invocation: Invocation) -> str:
    """The failed invocation, its event and the first lines of its stack."""
    head = f"{where(invocation)}: invocation {invocation.index + 1} {invocation.outcome}: {invocation.error}"
    stack = [line.strip() for line in (invocation.stack or "").splitlines()[1:STACK_LINES + 1] if line.strip()]
    return "\n".join([head, *(f"    {line}" for line in stack)])


def request_text(request: CapturedRequest) -> str:
    return f"{request.method} {request.host}{request.path} ({len(request.body)} bytes)"


def run_summary(run: LambdaRun) -> str:
    outcomes = Counter(i.outcome for i in run.invocations)
    bulk = [body for i in run.invocations for body in i.bulk_bodies]
    actions = sum(len(split_actions(body)) for body in bulk)
    others = sum(1 for i in run.invocations for r in i.requests if not r.is_bulk)
    parts = ", ".join(f"{n} {outcome}" for outcome, n in outcomes.most_common())
    text = (f"{len(run.invocations)} invocations ({parts or 'none'}); {len(bulk)} _bulk requests captured "
            f"({actions} actions)")
    if others:
        text += f", {others} other requests"
    if run.rejects:
        text += f"; {len(run.rejects)} records could not become an event"
    return text


def difference_text(event: EventComparison) -> str:
    if not event.invocation.ok:
        return failure_text(event.invocation)
    assert event.difference is not None
    return f"{where(event.invocation)}: {event.difference.describe()}"


def diff_summary(diff: LambdaDiff) -> list[str]:
    """The verdict lines: counts under the given options, then the options that reproduce the function."""
    total = len(diff.events)
    how = ", found to reproduce your function" if diff.found else ""
    lines = [f"{total} events: {diff.identical} identical, {len(diff.differing)} differ "
             f"(efklab {options_text(diff.options)}{how})"]
    fields = Counter(f"{f.part} {f.field or 'text'}" for e in diff.differing if e.difference
                     for f in e.difference.fields)
    if fields:
        lines.append("differing fields: " + ", ".join(f"{name} ({n})" for name, n in fields.most_common(6)))
    if diff.matching:
        best = diff.matching[0]
        lines.append(f"efklab reproduces your function with: {options_text(best)}")
        if len(diff.matching) > 1:
            others = "; ".join(options_text(o) for o in diff.matching[1:4])
            lines.append(f"  also equivalent on these payloads: {others}")
    elif diff.differing:
        lines.append("no efklab option reproduces your function on these payloads: model it by replaying through it "
                     "(efklab replay --lambda-source)")
    return lines
