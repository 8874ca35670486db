"""Resolve where a command talks to OpenSearch: --opensearch-url (or its env), else the local node."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from efklab.adapters.opensearch import Connection, connection_from_env, make_client


def say(message: str) -> None:
    """Progress notes go to stderr, never into the output."""
    print(message, file=sys.stderr)


def open_target(args: argparse.Namespace) -> tuple[Any, Connection]:
    """A checked client for the URL given, or for this checkout's local node (started when needed)."""
    url = getattr(args, "opensearch_url", None)
    if not url:
        from efklab.adapters.localnode.lifecycle import ensure_local_node

        url = ensure_local_node(say=say)
    conn = connection_from_env(url, aws_region=getattr(args, "aws_region", None), ca_certs=getattr(args, "ca_certs", None),
                               verify_tls=not getattr(args, "no_verify_tls", False))
    return make_client(conn), conn
