"""``efklab opensearch up|down|status``: the local OpenSearch node of this checkout.
"""
from __future__ import annotations

import argparse
import json
import sys


def _say(text: str) -> None:
    print(f"efklab opensearch: {text}", file=sys.stderr)


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
