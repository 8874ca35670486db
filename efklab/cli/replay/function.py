"""``efklab replay --lambda-source``: the payloads through the user's own function, into the node."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from efklab.errors import UsageError
from efklab.jobs.connect import connect
from efklab.jobs.userlambda import FunctionReplay, replay_through_function

SHOWN = 5
ERROR_CHARS = 160


def run_through_function(args: argparse.Namespace) -> int:
    for flag, value in (("--checkpoint", args.checkpoint), ("--dead-letters", args.dead_letters)):
        if value:
            raise UsageError(f"{flag} does not apply with --lambda-source: your function decides what it retries "
                             "and where failures go")
    if not args.lambda_timeout > 0:
        raise UsageError(f"--lambda-timeout must be a positive number of seconds, got {args.lambda_timeout}")
    target = connect(args.opensearch_url, aws_region=args.aws_region, ca_certs=args.ca_certs,
                     no_verify_tls=args.no_verify_tls, say=_say)
    result = replay_through_function(args.lambda_source, args.inputs, target, handler=args.lambda_handler,
                                     timeout_ms=int(args.lambda_timeout * 1000), say=_say)
    print(json.dumps(function_replay_json(result), indent=2) if args.json else function_replay_text(result))
    return 0 if result.complete else 1


def _say(text: str) -> None:
    print(f"efklab replay: {text}", file=sys.stderr)


def function_replay_json(result: FunctionReplay) -> dict[str, Any]:
    outcomes: dict[str, int] = {}
    for invocation in result.run.invocations:
        outcomes[invocation.outcome] = outcomes.get(invocation.outcome, 0) + 1
    return {
        "complete": result.complete, "url": result.url, "invocations": outcomes,
        "documents_sent": result.documents, "indexed": sum(result.indexed.values()),
        "indexed_per_index": dict(sorted(result.indexed.items())), "refused_items": dict(result.refused),
        "refused_requests": dict(result.requests_refused), "unreadable_records": len(result.run.rejects),
        "failed_invocations": [{"source": i.source, "position": i.position, "outcome": i.outcome, "error": i.error}
                               for i in result.run.failed],
    }


def function_replay_text(result: FunctionReplay) -> str:
    data = function_replay_json(result)
    outcomes = ", ".join(f"{n} {k}" for k, n in data["invocations"].items()) or "none"
    lines = [f"replay through your function into {result.url}",
             f"  invocations: {len(result.run.invocations)} ({outcomes})",
             f"  documents sent in _bulk: {result.documents}; indexed {data['indexed']} in {len(result.indexed)} "
             f"indices; refused {sum(result.refused.values())} items"]
    for reason, count in result.requests_refused.most_common(SHOWN):
        lines.append(f"  {count} _bulk requests refused as a whole: {reason}")
    for reason, count in result.refused.most_common(SHOWN):
        lines.append(f"  {count} items refused: {reason}")
    for invocation in result.run.failed[:SHOWN]:
        where = f"{invocation.source}:{invocation.position}" if invocation.source else f"event {invocation.index + 1}"
        error = invocation.error or ""
        error = error if len(error) <= ERROR_CHARS else error[: ERROR_CHARS - 1] + "…"
        lines.append(f"  {where}: invocation {invocation.outcome}: {error}")
    if len(result.run.failed) > SHOWN:
        lines.append(f"  ... {len(result.run.failed) - SHOWN} more failed invocations (all of them with --json)")
    if result.run.rejects:
        lines.append(f"  {len(result.run.rejects)} records could not become an event (first: "
                     f"{result.run.rejects[0].location()}: {result.run.rejects[0].reason})")
    lines.append("  verdict: " + ("every document the function sent was indexed" if result.complete
                                  else "NOT everything the function sent was indexed (see above)"))
    return "\n".join(lines)
