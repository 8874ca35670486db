"""Options of ``efklab opensearch up|down|status``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import add_json_option


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
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
    up.add_argument("--nodes", type=int, default=1, metavar="N",
                    help="start an N-node cluster on loopback (default: 1)")
    up.add_argument("--port", type=int, metavar="PORT",
                    help="HTTP port of the first node (default: 9200 if free, else a free one)")
    up.add_argument("--fast-ism", action="store_true",
                    help="ISM job interval 1 minute (its minimum) so retention runs finish in minutes")
    up.add_argument("--ism-jitter", type=float, metavar="F", help="ISM job jitter 0..1 with --fast-ism (default: 0)")
    up.add_argument("--refresh-cache", action="store_true",
                    help="prepare the cached node again (fetch and install the plugins again; an ISM zip built "
                    "from source earlier is reused); the node must be down")
    up.add_argument("--ism-source", metavar="TARBALL",
                    help="when Maven does not serve the opensearch-index-management zip, build it from this upstream "
                    "source tarball (once; cached). Default: env EFKLAB_ISM_SOURCE, else "
                    "../shared/vendor/opensearch-index-management-<version>.0-src.tar.gz (shared folder: env "
                    "EFKLAB_SHARED_DIR) when it exists; 'none': never build")
    _add_version_options(up)
    up.set_defaults(handler="run_up")
    down = actions.add_parser("down", help="stop the node cleanly (SIGTERM, then SIGKILL after a grace period)",
                              description="Stop this checkout's local OpenSearch node: SIGTERM, then SIGKILL when "
                              "it has not exited after --grace seconds. Its data and logs stay for the next 'up' "
                              "unless --wipe. Stopping a node that is not running is not an error (exit 0).")
    down.add_argument("--wipe", action="store_true", help="also delete the node's data and logs")
    down.add_argument("--grace", type=float, default=60.0, metavar="SECONDS",
                      help="wait this long before SIGKILL (default: 60)")
    _add_version_options(down)
    down.set_defaults(handler="run_down")
    st = actions.add_parser("status", help="is the node up? URL, version, plugins, health (exit 1 when not running)",
                            description="Say whether this checkout's local OpenSearch node runs: its URL, "
                            "version, nodes, plugins, cluster health and log file. Exit 0 running, 1 not running.")
    add_json_option(st)
    _add_version_options(st)
    st.set_defaults(handler="run_status")


def _add_version_options(action: argparse.ArgumentParser) -> None:
    action.add_argument("--version", dest="engine_version", metavar="V",
                        help="engine version: 2.19.4 (default), 1.3.20, 3.1.0, es-7.10.2 (Elasticsearch OSS); each "
                        "version has its own node, state folder (<state>-<engine>-<version>) and ports. "
                        "Default: env EFKLAB_OPENSEARCH_VERSION, else 2.19.4")
    action.add_argument("--engine", choices=("opensearch", "elasticsearch"),
                        help="the engine of a bare --version (a bare 7.x is Elasticsearch)")
