"""The loopback endpoint a user's function talks to instead of its OpenSearch domain.

It records every request and answers it either as OpenSearch would (``bulk_answer``) or, when a
``forward`` function is given, by passing the request to a real node and returning the node's
answer (``efklab replay --lambda-source``; the forwarder signs or authenticates as the connection
does, the function's own signature being for another host).  It listens on 127.0.0.1 only, on a
free port.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from efklab.lambda_.userfunction import CapturedRequest, bulk_answer, generic_answer

_OUR_HEADERS = ("x-efklab-host", "x-efklab-event")
Forward = Callable[[str, str, bytes], tuple[int, bytes]]  # (method, path with query, body) -> (status, JSON body)


class CaptureEndpoint:
    """A running endpoint: ``port`` to give the harness, ``requests`` as they arrived."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self.requests: list[CapturedRequest] = []
        self.answers: list[tuple[CapturedRequest, int, bytes]] = []  # every request with the answer it got

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def keep(self, request: CapturedRequest, status: int, answer: bytes) -> None:
        with self._lock:
            self.requests.append(request)
            self.answers.append((request, status, answer))


@contextmanager
def capture_endpoint(*, respond: str = "ok", forward: Forward | None = None) -> Iterator[CaptureEndpoint]:
    """Serve on a free loopback port until the block ends."""
    holder: list[CaptureEndpoint] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            event = self.headers.get("x-efklab-event", "-1")
            request = CapturedRequest(
                invocation=int(event) if event.lstrip("-").isdigit() else -1, method=self.command,
                host=self.headers.get("x-efklab-host", ""), path=self.path,
                headers={k.lower(): v for k, v in self.headers.items() if k.lower() not in _OUR_HEADERS},
                body=body)
            if forward is not None:
                status, payload = forward(self.command, self.path, body)
            else:
                status, answer = (bulk_answer(body, respond) if request.is_bulk
                                  else generic_answer(self.command, self.path))
                payload = json.dumps(answer).encode()
            holder[0].keep(request, status, payload)
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(CaptureEndpoint(server))
    thread = threading.Thread(target=server.serve_forever, name="efklab-capture-endpoint", daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

