"""A small local forwarding proxy that records every request (headers and body) on its way to the node.

The local node has no security plugin, so it accepts a signed request without checking the
signature; the proxy lets a test see exactly what the handler sent (the SigV4 headers, which
actions each ``_bulk`` carried) while the real node does the indexing.  It can also play an
endpoint that misbehaves as real ones do: a limit on the request size answered with 413 (the
node's ``http.max_content_length``, a gateway's body limit), or ``answer`` deciding the reply
itself (a proxy's page, a truncated body) instead of, or after, forwarding to the node.
"""
from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

Reply = tuple[int, bytes, str]  # status, body, content type


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
    max_content_length: int | None = None  # a larger body is answered 413 with an empty body, not forwarded
    # (request, the node's status and body or None when not forwarded) -> the reply, or None to pass it on
    answer: Callable[[Recorded, tuple[int, bytes] | None], Reply | None] | None = None
    forward_first: bool = False  # with ``answer``: forward to the node first (it indexes), then let ``answer`` reply
    requests: list[Recorded] = field(default_factory=list)

    def __enter__(self) -> RecordingProxy:
        target = urlsplit(self.upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def do_PUT(self) -> None:
                self._forward()

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Recorded(self.command, self.path, list(self.headers.items()), body)
                proxy.requests.append(request)
                kind = "application/json"
                reply = proxy.answer(request, None) if proxy.answer and not proxy.forward_first else None
                if reply is not None:
                    status, data, kind = reply
                elif proxy.refuse_with is not None:
                    status, data = (proxy.refuse_with,
                                    b'{"message":"The security token included in the request is invalid."}')
                elif proxy.max_content_length is not None and len(body) > proxy.max_content_length:
                    status, data = 413, b""
                else:
                    status, data = self._upstream(body)
                    reply = proxy.answer(request, (status, data)) if proxy.answer and proxy.forward_first else None
                    if reply is not None:
                        status, data, kind = reply
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _upstream(self, body: bytes) -> tuple[int, bytes]:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                forwarded = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=forwarded)
                answer = conn.getresponse()
                status, data = answer.status, answer.read()
                conn.close()
                return status, data

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
