"""The loopback endpoint a user's function talks to instead of its OpenSearch domain.

It records every request and answers it either as OpenSearch would (``bulk_answer``) or, when a
``forward`` URL is given, by passing the request to that node and returning the node's answer
(``efklab replay --lambda-source``).  It listens on 127.0.0.1 only, on a free port.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from efklab.lambda_.userfunction import CapturedRequest, bulk_answer, generic_answer

_OUR_HEADERS = ("x-efklab-host", "x-efklab-event")
_HOP_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding", "authorization",
                          "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "accept-encoding",
                          *_OUR_HEADERS})


class CaptureEndpoint:
    """A running endpoint: ``port`` to give the harness, ``requests`` as they arrived."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self.requests: list[CapturedRequest] = []

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def keep(self, request: CapturedRequest) -> None:
        with self._lock:
            self.requests.append(request)


@contextmanager
def capture_endpoint(*, respond: str = "ok", forward: str | None = None,
                     forward_timeout: float = 60.0) -> Iterator[CaptureEndpoint]:
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
            holder[0].keep(request)
            if forward is not None:
                status, payload, kind = _forward(forward, request, forward_timeout)
            else:
                status, answer = (bulk_answer(body, respond) if request.is_bulk
                                  else generic_answer(self.command, self.path))
                payload, kind = json.dumps(answer).encode(), "application/json; charset=UTF-8"
            self.send_response(status)
            self.send_header("Content-Type", kind)
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


def _forward(base: str, request: CapturedRequest, timeout: float) -> tuple[int, bytes, str]:
    """Send the request on to the node at ``base`` (the function's signature is for another host)."""
    headers = {k: v for k, v in request.headers.items() if k not in _HOP_HEADERS}
    outgoing = urllib.request.Request(base.rstrip("/") + request.path, data=request.body or None,
                                      method=request.method, headers=headers)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as answer:
            return answer.status, answer.read(), answer.headers.get("Content-Type", "application/json")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "application/json")
    except (urllib.error.URLError, OSError) as exc:
        reason = {"error": {"type": "efklab_forward_failed", "reason": f"{base}: {exc}"}, "status": 502}
        return 502, json.dumps(reason).encode(), "application/json"
