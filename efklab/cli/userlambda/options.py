"""Options of ``efklab lambda run|diff``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import add_transform_options

RESPONSES = ("ok", "item-errors", "http-429", "http-500")  # efklab.lambda_.userfunction.RESPONSES, spelled out

DESCRIPTION = """\
Run YOUR Node.js Lambda function (the one you deployed, not the seed's) on captured CloudWatch
Logs payloads, offline, under node (Node.js 18+ as Lambda runs it).

Each payload record becomes one Lambda event {"awslogs": {"data": ...}} (CONTROL_MESSAGE ones too,
as CloudWatch sends them). The function gets what a Lambda has: AWS_REGION, dummy credentials (its
SigV4 code signs nothing real), a context with succeed/fail/done and getRemainingTimeInMillis, and
callback or promise style both work. Every HTTP(S) request it makes (https.request, http.request,
fetch, client libraries built on them) is captured on a loopback endpoint instead of being sent,
and answered as OpenSearch would. Nothing is sent anywhere but 127.0.0.1.

If the function's folder has a package.json and no node_modules, its dependencies are installed
once with npm into efklab's cache; your folder is never written to.
"""

RUN_EPILOG = """\
examples:
  efklab lambda run --source my-function/ data/samples/payloads/2021-03-22.jsonl.gz > bodies.ndjson
  efklab lambda run --source index.mjs --handler index.handler --respond item-errors payloads.jsonl

exit status: 0 every invocation succeeded; 1 an invocation threw, failed, timed out or never
called back (each is reported with its event's file:line and stack); 2 bad input or usage, or node
is not installed.
"""

DIFF_EPILOG = """\
examples:
  efklab lambda diff --source my-function/ --mode seed data/samples/payloads/
  efklab lambda diff --source my-function/ --index-strategy cwl payloads.jsonl

The diff is event by event: identical, or the first differing action with the field that differs
(action fields such as _index/_type/_id, document fields added, missing or changed, or the JSON
text itself). It lists the efklab options (--mode, --index-strategy, --tz) under which efklab
writes exactly your function's bodies for every event, so layout, ordering and retention model
your pipeline; when none does, replay through your function instead (replay --lambda-source).
Without any of --mode, --index-strategy, --prefix, --tz the diff is taken under the options found
to reproduce your function (else efklab's defaults); with them, under exactly those.

exit status: 0 every event identical under the given options; 1 some differ (or an invocation
failed); 2 bad input or usage, or node is not installed.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    p = sub.add_parser("lambda", help=summary, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="verb", required=True, metavar="{run,diff}")
    run = verbs.add_parser("run", help="invoke the function on payloads and print the _bulk bodies it sends",
                           description=DESCRIPTION, epilog=RUN_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_function_options(run)
    run.add_argument("--respond", choices=RESPONSES, default="ok",
                     help="how the endpoint answers _bulk: ok (every item created, the default), item-errors "
                          "(HTTP 200, every item refused), http-429 or http-500 (the whole request refused)")
    run.add_argument("--out", metavar="FILE", help="write the captured _bulk bodies to FILE instead of stdout")
    run.add_argument("--requests", action="store_true",
                     help="print every captured request (method, host, path, size), not only _bulk bodies")
    run.add_argument("inputs", nargs="+", metavar="PAYLOADS", help="payload files or directories, plain or gzip")
    run.set_defaults(handler="run_function_command")
    diff = verbs.add_parser("diff", help="the function's bodies against efklab's transform, event by event",
                            description=DESCRIPTION, epilog=DIFF_EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_function_options(diff)
    add_transform_options(diff)
    diff.set_defaults(mode=None, index_strategy=None, prefix=None, tz=None)  # none given: the options found
    diff.add_argument("--shown", type=int, default=10, metavar="N", help="differing events shown (default: 10)")
    diff.add_argument("inputs", nargs="+", metavar="PAYLOADS", help="payload files or directories, plain or gzip")
    diff.set_defaults(handler="run_diff")


def _add_function_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("function")
    group.add_argument("--source", required=True, metavar="DIR|FILE",
                       help="the function's folder (with index.js / index.mjs) or its handler file")
    group.add_argument("--handler", dest="function_handler", metavar="FILE.EXPORT",
                       help="Lambda's handler setting (default: index.handler, or FILE.handler for a file)")
    group.add_argument("--timeout", type=float, default=3.0, metavar="SECONDS",
                       help="per-invocation timeout, as the function's Lambda setting (default: 3)")
