"""``efklab opensearch up|down|status``: the local OpenSearch node of this checkout.

The node's lifecycle (provision, start, stop, inspect) is the local-node adapter's; these
handlers only pass the options on and print what it reports.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from efklab.adapters.localnode import lifecycle as node
from efklab.cli.opensearch.text import status_json, status_text
from efklab.errors import NodeError
from efklab.opensearch.engines import parse_engine_version
from efklab.opensearch.ismbuild import choose_source
from efklab.opensearch.nodeconfig import NodeSettings


def _say(text: str) -> None:
    print(f"efklab opensearch: {text}", file=sys.stderr)


def _settings(args: argparse.Namespace) -> NodeSettings:
    """The node of ``--version``/``--engine``, else of EFKLAB_OPENSEARCH_VERSION (each version its own folder)."""
    wanted = args.engine_version or (os.environ.get("EFKLAB_OPENSEARCH_VERSION") if args.engine else None)
    if not wanted:
        return node.load_settings()
    chosen = parse_engine_version(wanted, engine=args.engine)
    return node.load_settings({**os.environ, "EFKLAB_OPENSEARCH_VERSION": chosen.key})


def run_up(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.ism_source is not None:  # --ism-source wins over EFKLAB_ISM_SOURCE and the vendored default
        settings = replace(settings, ism_source=choose_source(args.ism_source, None, False))
    state, _ = node.up(settings, nodes=args.nodes, port=args.port, fast_ism=args.fast_ism, ism_jitter=args.ism_jitter,
                       refresh=args.refresh_cache, say=_say)
    print(state.url)
    return 0


def run_down(args: argparse.Namespace) -> int:
    stopped = node.down(_settings(args), wipe=args.wipe, grace=args.grace)
    if stopped is None:
        _say("no node was running" + ("; its data is wiped" if args.wipe else ""))
    else:
        _say(f"stopped {stopped.url}" + (" and wiped its data" if args.wipe else ""))
    return 0


def run_status(args: argparse.Namespace) -> int:
    settings = _settings(args)
    current = node.status(settings)
    if current.alive and current.foreign:  # our processes run, yet another cluster answers on the recorded port
        raise NodeError(current.foreign)
    if args.json:
        print(status_json(current, settings))
        return 0 if current.running else 1
    print(status_text(current, settings))
    return 0 if current.running else 1
