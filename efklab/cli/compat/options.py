"""Options of ``efklab compat``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import add_json_option


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    p = sub.add_parser(
        "compat",
        help=summary,
        description="Replay the same payloads through the same transform into a local node of the version in use "
        "(--from) and of the one to upgrade to (--to), each with the same index template and retention policy "
        "(real ISM where the plugin is installed), then compare: what each accepted, refused (the node's reason), "
        "mapped and sorted differently, and what to change before upgrading. Versions: 2.19.4, 1.3.20, 3.1.0, "
        "es-7.10.2 (Elasticsearch OSS 7.10, the Amazon ES era). Each version's node is started when needed "
        "(efklab opensearch up --version V). Exit 1 when the target breaks something that works on the current one.",
    )
    p.add_argument("payloads", nargs="*", metavar="PAYLOADS",
                   help="payload files or folders (default: the committed samples, data/samples/payloads)")
    p.add_argument("--from", dest="current", required=True, metavar="V", help="the version in use, e.g. 1.3.20")
    p.add_argument("--to", dest="target", required=True, metavar="V", help="the version to upgrade to, e.g. 2.19.4")
    p.add_argument("--mode", choices=("seed", "opensearch"), default="opensearch",
                   help="seed: the seed Lambda's bodies (with _type); opensearch: without (default)")
    p.add_argument("--template", default="auto", metavar="auto|replay|none|FILE",
                   help="index template applied on both: replay (efklab's, the @ fields mapped), none, or a composable "
                   "template body in a JSON file; auto (default): none in seed mode (the seed ran without one), "
                   "replay in opensearch mode")
    p.add_argument("--policy", metavar="FILE",
                   help="retention policy (ISM JSON; default: the seed's data/samples/ism-policy.json); its ISM "
                   "template is aimed at exactly the replayed indices")
    p.add_argument("--provenance", metavar="FILE",
                   help="provenance of the payloads for the ordering check (default with the samples: theirs)")
    p.add_argument("--prefix", default="efklab-compat",
                   help="index prefix in opensearch mode (default: efklab-compat; seed mode names as the seed does)")
    p.add_argument("--from-url", metavar="URL", help="an existing node of the --from version instead of a local one")
    p.add_argument("--to-url", metavar="URL", help="an existing node of the --to version instead of a local one")
    p.add_argument("--keep", action="store_true",
                   help="keep the replayed indices on each node to explore them (default: deleted after the checks)")
    add_json_option(p)
    p.set_defaults(handler="run")
