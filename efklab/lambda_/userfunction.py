"""A user's own Lambda function run offline: its handler spec, what it sent, how it ended.

Plain data and pure decisions only; ``efklab.adapters.nodelambda`` runs node and the loopback
endpoint, ``efklab.jobs.userlambda`` ties them to payload files.  The endpoint answers the
function as OpenSearch would (``bulk_answer``), so its success and failure paths both run.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from efklab.errors import UsageError

HANDLER_SPEC = re.compile(r"(?P<module>[^\s.][^\s]*?)\.(?P<export>[A-Za-z_$][\w$]*)")
MODULE_SUFFIXES = (".js", ".mjs", ".cjs")
# What the endpoint answers: a well-formed bulk response, or a failure the function must handle.
RESPONSES = ("ok", "item-errors", "http-429", "http-500")
OUTCOME_OK = "ok"


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """Lambda's ``file.export`` handler setting, e.g. ``index.handler`` or ``src/app.handler``."""

    module: str  # a path relative to the source folder, without suffix
    export: str


def parse_handler(text: str) -> HandlerSpec:
    """``index.handler`` -> HandlerSpec; a UsageError for anything Lambda would not accept."""
    match = HANDLER_SPEC.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"--handler must look like FILE.EXPORT (e.g. index.handler), got {text!r}")
    return HandlerSpec(module=match.group("module"), export=match.group("export"))


@dataclass(frozen=True, slots=True)
class CapturedRequest:
    """One HTTP request the function sent, as it meant to send it (``host`` is the original target)."""

    invocation: int
    method: str
    host: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def is_bulk(self) -> bool:
        return self.method == "POST" and self.path.split("?", 1)[0].rstrip("/").endswith("_bulk")


@dataclass(frozen=True, slots=True)
class Invocation:
    """How one invocation ended and what it sent."""

    index: int  # position among the events the function received
    source: str | None  # the payload's file and line
    position: int | None
    outcome: str  # ok | error | timeout | no-callback
    result: Any = None
    error: str | None = None
    stack: str | None = None
    millis: int = 0
    requests: tuple[CapturedRequest, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome == OUTCOME_OK

    @property
    def bulk_bodies(self) -> tuple[bytes, ...]:
        return tuple(r.body for r in self.requests if r.is_bulk)


@dataclass(slots=True)
class LambdaRun:
    """Every invocation of a run, in event order, and the records that could not become events."""

    invocations: list[Invocation] = field(default_factory=list)
    rejects: list[Any] = field(default_factory=list)  # efklab.model.Reject: records never invoked
    console: str = ""  # what the function printed (stdout and stderr)
    answers: list[tuple[CapturedRequest, int, bytes]] = field(default_factory=list)  # when forwarded to a node

    @property
    def failed(self) -> list[Invocation]:
        return [i for i in self.invocations if not i.ok]


def bulk_answer(body: bytes, respond: str) -> tuple[int, dict[str, Any]]:
    """(status, JSON) OpenSearch would answer a ``_bulk`` body with, under the ``respond`` scenario.

    ``ok``: every action succeeds (201 created); ``item-errors``: HTTP 200 with ``errors: true`` and
    every item refused (400 mapper_parsing_exception); ``http-429``/``http-500``: the whole request
    refused.  Actions are read the way the node reads them: an action line, then a source line
    except for ``delete``.
    """
    if respond == "http-429":
        return 429, _error("es_rejected_execution_exception", "rejected execution (efklab --respond http-429)", 429)
    if respond == "http-500":
        return 500, _error("internal_server_error", "internal error (efklab --respond http-500)", 500)
    items = []
    lines = [line for line in body.decode("utf-8", "replace").split("\n") if line.strip()]
    i = 0
    while i < len(lines):
        try:
            action = json.loads(lines[i])
        except ValueError:
            return 400, _error("parse_exception", f"malformed action/metadata line [{i + 1}]", 400)
        if not isinstance(action, dict) or len(action) != 1:
            return 400, _error("illegal_argument_exception", f"malformed action/metadata line [{i + 1}]", 400)
        ((kind, meta),) = action.items()
        i += 1 if kind == "delete" else 2
        meta = meta if isinstance(meta, dict) else {}
        item: dict[str, Any] = {"_index": meta.get("_index"), "_id": meta.get("_id")}
        if respond == "item-errors":
            item.update(status=400, error={"type": "mapper_parsing_exception",
                                           "reason": "failed to parse (efklab --respond item-errors)"})
        else:
            item.update(status=201, result="created", _version=1)
        items.append({kind: item})
    return 200, {"took": 1, "errors": respond == "item-errors", "items": items}


def generic_answer(method: str, path: str) -> tuple[int, dict[str, Any]]:
    """What the endpoint answers to anything but ``_bulk`` (a client's ping or template PUT)."""
    if method == "HEAD" or path in ("", "/"):
        return 200, {"name": "efklab-capture", "cluster_name": "efklab-capture",
                     "version": {"distribution": "opensearch", "number": "2.19.4"}, "tagline": "The OpenSearch Project"}
    return 200, {"acknowledged": True}


def _error(kind: str, reason: str, status: int) -> dict[str, Any]:
    return {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
            "status": status}


def group_requests(requests: Sequence[CapturedRequest]) -> Mapping[int, tuple[CapturedRequest, ...]]:
    """Requests by the invocation that sent them, in the order they arrived."""
    grouped: dict[int, list[CapturedRequest]] = {}
    for request in requests:
        grouped.setdefault(request.invocation, []).append(request)
    return {k: tuple(v) for k, v in grouped.items()}


def read_bulk_answer(status: int, answer: bytes) -> list[tuple[str, int, str]] | str:
    """A node's answer to a ``_bulk`` request: (index, status, reason) per item, or why the request failed."""
    try:
        parsed = json.loads(answer)
    except ValueError:
        return f"HTTP {status}: the answer is not JSON"
    if not 200 <= status < 300 or not isinstance(parsed, dict) or not isinstance(parsed.get("items"), list):
        error = parsed.get("error") if isinstance(parsed, dict) else None
        reason = error.get("reason") if isinstance(error, dict) else error
        return f"HTTP {status}: {reason or 'not a bulk response'}"
    items = []
    for item in parsed["items"]:
        meta: Any = next(iter(item.values()), {}) if isinstance(item, dict) else {}
        meta = meta if isinstance(meta, dict) else {}
        error = meta.get("error")
        reason = (f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else str(error or ""))
        items.append((str(meta.get("_index")), int(meta.get("status") or 0), reason))
    return items
