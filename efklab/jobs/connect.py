"""Where a job talks to OpenSearch: the URL it is given, or this checkout's local node (started when needed).

The CLI (``--opensearch-url``, ``--aws-region``, ``--ca-certs``, ``--no-verify-tls``), the notebooks
(the same names as parameters) and the doctor all connect through :func:`connect`, so a URL means
the same thing everywhere: basic auth from the environment, or SigV4 with a region.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from efklab.adapters.localnode.lifecycle import ensure_local_node
from efklab.adapters.opensearch import Connection, connection_from_env, make_client


@dataclass(frozen=True, slots=True)
class Connected:
    """A checked client and its connection (the URL shown without credentials)."""

    client: Any
    conn: Connection

    @property
    def url(self) -> str:
        return self.conn.display_url


def connect(opensearch_url: str | None = None, *, aws_region: str | None = None, ca_certs: str | None = None,
            no_verify_tls: bool = False, say: Callable[[str], None] | None = None) -> Connected:
    """A client for ``opensearch_url``, or for the local node when it is empty; empty strings mean unset.

    The local node is used only after ``up`` has checked that what answers on its port is the
    cluster recorded in its state folder (name, UUID); another cluster there is a NodeError.
    A URL given explicitly is the caller's choice and is used as given.
    """
    url = opensearch_url or (ensure_local_node(say=say) if say else ensure_local_node())
    conn = connection_from_env(url, aws_region=aws_region or None, ca_certs=ca_certs or None,
                               verify_tls=not no_verify_tls)
    return Connected(make_client(conn), conn)
