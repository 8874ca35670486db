"""A small local forwarding proxy that records every request (headers and body) on its way to the node.

The local node has no security plugin, so it accepts a signed request without checking the
signature; the proxy lets a test see exactly what the handler sent (the SigV4 headers, which
actions each ``_bulk`` carried) while the real node does the indexing.
"""
from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Recorded:
    """One request as the proxy received it."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class RecordingProxy:
    """``with RecordingProxy(node_url) as proxy:`` ... ``proxy.url``, ``proxy.requests``."""

    upstream: str
    refuse_with: int | None = None  # answer every request with this status instead of forwarding
    requests: list[Recorded] = field(default_factory=list)

    def __enter__(self) -> RecordingProxy:
        target = urlsplit(self.upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.requests.append(Recorded(self.command, self.path, list(self.headers.items()), body))
                if proxy.refuse_with is not None:
                    status, data = (proxy.refuse_with,
                                    b'{"message":"The security token included in the request is invalid."}')
                else:
                    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                    forwarded = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                    conn.request(self.command, self.path, body=body, headers=forwarded)
                    answer = conn.getresponse()
                    status, data = answer.status, answer.read()
                    conn.close()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """Where to send requests."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
