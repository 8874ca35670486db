"""``efklab opensearch up|down|status``: the local OpenSearch node of this checkout."""
from __future__ import annotations

import argparse
import json
import sys

from efklab.cli.common import add_json_option


def _say(text: str) -> None:
    print(f"efklab opensearch: {text}", file=sys.stderr)


def register(sub: argparse._SubParsersAction, summary: str) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "opensearch",
        help=summary,
        description="Provision (once, with mvn), start, inspect and stop the local OpenSearch node. "
        "State lives in .efklab/node of the checkout (env EFKLAB_STATE_DIR); the prepared node is "
        "cached in ~/.cache/efklab (env EFKLAB_CACHE_DIR); version env EFKLAB_OPENSEARCH_VERSION.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(p))
    up = actions.add_parser("up", help="start the node in the background (no-op when up) and print its URL",
                            description="Start the local node in the background, wait until it is healthy and "
                            "print its URL on stdout. When it is already up, just print the URL.")
    up.add_argument("--nodes", type=int, default=1, metavar="N", help="start an N-node cluster on loopback (default: 1)")
    up.add_argument("--port", type=int, metavar="PORT", help="HTTP port of the first node (default: 9200 if free, else a free one)")
    up.add_argument("--fast-ism", action="store_true",
                    help="ISM job interval 1 minute (its minimum) so retention runs finish in minutes")
    up.add_argument("--ism-jitter", type=float, metavar="F", help="ISM job jitter 0..1 with --fast-ism (default: 0)")
    up.add_argument("--refresh-cache", action="store_true",
                    help="prepare the cached node again (fetch and install the plugins again); the node must be down")
    up.set_defaults(func=run_up)
    down = actions.add_parser("down", help="stop the node cleanly (SIGTERM, then SIGKILL after a grace period)")
    down.add_argument("--wipe", action="store_true", help="also delete the node's data and logs")
    down.add_argument("--grace", type=float, default=60.0, metavar="SECONDS", help="wait this long before SIGKILL (default: 60)")
    down.set_defaults(func=run_down)
    st = actions.add_parser("status", help="is the node up? URL, version, plugins, health (exit 1 when not running)")
    add_json_option(st)
    st.set_defaults(func=run_status)


def run_up(args: argparse.Namespace) -> int:
    from efklab.adapters.localnode import lifecycle as node

    state, _ = node.up(nodes=args.nodes, port=args.port, fast_ism=args.fast_ism, ism_jitter=args.ism_jitter,
                       refresh=args.refresh_cache, say=_say)
    print(state.url)
    return 0


def run_down(args: argparse.Namespace) -> int:
    from efklab.adapters.localnode import lifecycle as node

    stopped = node.down(wipe=args.wipe, grace=args.grace)
    if stopped is None:
        _say("no node was running" + ("; its data is wiped" if args.wipe else ""))
    else:
        _say(f"stopped {stopped.url}" + (" and wiped its data" if args.wipe else ""))
    return 0


def run_status(args: argparse.Namespace) -> int:
    from efklab.adapters.localnode import lifecycle as node

    settings = node.load_settings()
    current = node.status(settings)
    state = current.state
    if args.json:
        doc = {"running": current.running, "state_dir": str(settings.state_dir), "health": current.health,
               **(state.to_json() if state else {})}
        print(json.dumps(doc, indent=2))
        return 0 if current.running else 1
    if state is None:
        print(f"not running (state folder {settings.state_dir})")
        return 1
    health = current.health or {}
    word = "running" if current.running else "NOT ANSWERING (processes alive)" if current.alive else "NOT RUNNING (stale state)"
    print(f"{word}  {state.url}  OpenSearch {state.version}  "
          f"{len(state.nodes)} node{'s' * (len(state.nodes) > 1)}  cluster {health.get('status', 'unreachable')}")
    for proc in state.nodes:
        print(f"  {proc.name}: pid {proc.pid}, http {proc.http_port}, transport {proc.transport_port}, log {proc.console_log}")
    print(f"  plugins: {', '.join(f'{k} {v}' for k, v in state.plugins.items()) or 'none'}")
    for name, reason in state.missing_plugins.items():
        print(f"  missing: {name} ({reason})")
    ism = "on (job interval 1 min)" if state.fast_ism else "off"
    print(f"  fast ISM: {ism}; Java {state.java_version} at {state.java_home}; started {state.started_at}")
    return 0 if current.running else 1
