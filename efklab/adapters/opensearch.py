"""The only importer of opensearch-py: clients, streaming bulk, the index template, small queries.

Transport failures become one-line ``RemoteError``s (unreachable, refused credentials, TLS)
that never contain credentials.  Bulk indexing sends ``efklab.opensearch.batches`` bodies (rendered once,
as bytes) through the client's ``bulk``, retrying 429/5xx items through
``efklab.opensearch.bulk.send_with_retries``, and reads the answer per batch.
"""
from __future__ import annotations

import heapq
import json
import os
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import boto3
import opensearchpy
from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth

from efklab.errors import RemoteError, UsageError
from efklab.model import ItemResult
from efklab.opensearch.batches import (
    RESPONSE_FILTER,
    Batch,
    BatchAnswer,
    answer_batch,
    answered_in_order,
    batch_actions,
)
from efklab.opensearch.bulk import BulkSettings, RequestFailure
from efklab.prefetch import prefetched

USER_ENV, PASSWORD_ENV = "EFKLAB_OPENSEARCH_USER", "EFKLAB_OPENSEARCH_PASSWORD"
MAX_WORKERS = 16  # concurrent bulk requests one replay may keep in flight: the client keeps that many connections


@dataclass(frozen=True, slots=True)
class Connection:
    """Where OpenSearch is and how to authenticate; the password is never shown."""

    url: str
    aws_region: str | None = None
    ca_certs: str | None = None
    verify_tls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0

    @property
    def display_url(self) -> str:
        return redact_url(self.url)


def redact_url(url: str) -> str:
    """``url`` without any user:password part (a URL too broken to parse keeps only what precedes its ``@``)."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if sep else url.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connection_from_env(url: str, *, aws_region: str | None = None, ca_certs: str | None = None,
                        verify_tls: bool = True, env: Mapping[str, str] | None = None) -> Connection:
    """A connection with basic-auth credentials from EFKLAB_OPENSEARCH_USER / _PASSWORD."""
    env = os.environ if env is None else env
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError as exc:
        raise UsageError(f"not a URL: {redact_url(url)!r} ({exc})", source="--opensearch-url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"expected an http(s)://host[:port] URL, got {redact_url(url)!r}", source="--opensearch-url")
    if ca_certs is not None and not os.path.isfile(ca_certs):
        raise UsageError(f"no such CA bundle: {ca_certs}", source="--ca-certs")
    user = env.get(USER_ENV) or None
    password = env.get(PASSWORD_ENV) or None
    if (user is None) != (password is None):
        raise UsageError(f"set both {USER_ENV} and {PASSWORD_ENV}, or neither")
    if user is not None and aws_region:
        raise UsageError(f"--aws-region signs with SigV4; unset {USER_ENV}/{PASSWORD_ENV} or drop --aws-region")
    return Connection(url=url.rstrip("/"), aws_region=aws_region, ca_certs=ca_certs, verify_tls=verify_tls,
                      username=user, password=password)


def _sigv4_auth(conn: Connection) -> Urllib3AWSV4SignerAuth:
    credentials = boto3.Session(region_name=conn.aws_region).get_credentials()
    if credentials is None:
        raise RemoteError("no AWS credentials found in the boto3 chain (environment, profile, instance role) for SigV4")
    host = urlsplit(conn.url).hostname or ""
    service = "aoss" if host.endswith(".aoss.amazonaws.com") else "es"
    return Urllib3AWSV4SignerAuth(credentials, conn.aws_region, service)


def make_client(conn: Connection, *, check: bool = True) -> OpenSearch:
    """A client for ``conn``; with ``check`` it asks the cluster for its info first, to fail fast and clearly."""
    auth: Any = None
    if conn.aws_region:
        auth = _sigv4_auth(conn)
    elif conn.username is not None:
        auth = (conn.username, conn.password)
    https = conn.url.startswith("https:")
    client = OpenSearch(
        hosts=[conn.url], http_auth=auth, use_ssl=https, verify_certs=conn.verify_tls and https,
        ssl_show_warn=False, ca_certs=conn.ca_certs, timeout=conn.timeout, max_retries=0,
        pool_maxsize=MAX_WORKERS,  # threads sharing the client each keep a connection alive
    )
    if check:
        with remote_errors(conn):
            client.info()
    return client


# What OpenSSL says when the server answers the TLS hello with plain HTTP.
_PLAIN_HTTP_ANSWERS = frozenset({"wrong version number", "packet length too long", "record layer failure"})


def _short_cause(exc: BaseException) -> str:
    text = str(getattr(exc, "info", None) or exc)
    for pattern in (r"certificate verify failed: ([^(\]'\")]+)", r"\[Errno -?\d+\] ([^'\")\]]+)", r"(Read timed out)",
                    r"(Connection refused)", r"(Name or service not known)", r"(wrong version number)",
                    r"(packet length too long)", r"(record layer failure)"):
        match = re.search(pattern, text)
        if match:
            return match.group(1).strip().rstrip(".")
    return " ".join(text.split())[:200]


def describe_error(exc: BaseException, conn: Connection) -> RemoteError:
    """One line for a transport failure, with what to do about it; never credentials."""
    where = conn.display_url
    if isinstance(exc, opensearchpy.SSLError):
        cause = _short_cause(exc)
        if cause in _PLAIN_HTTP_ANSWERS:  # a TLS hello answered in plain HTTP: certificates are not the problem
            plain = where.replace("https://", "http://", 1)
            return RemoteError(f"TLS failure talking to {where}: {cause}: the node speaks plain HTTP; use {plain}")
        return RemoteError(f"TLS failure talking to {where}: {cause}; "
                           "pass --ca-certs FILE for a private CA (or --no-verify-tls for a throwaway test node)")
    if isinstance(exc, opensearchpy.ConnectionTimeout):
        return RemoteError(f"timed out talking to {where} after {conn.timeout:.0f}s")
    if isinstance(exc, opensearchpy.ConnectionError):
        return RemoteError(f"cannot reach {where}: {_short_cause(exc)}")
    if isinstance(exc, opensearchpy.AuthenticationException):
        hint = "check the boto3 credentials" if conn.aws_region else f"set {USER_ENV} and {PASSWORD_ENV}"
        return RemoteError(f"{where} refused the credentials (HTTP 401); {hint}")
    if isinstance(exc, opensearchpy.AuthorizationException):
        return RemoteError(f"{where} denied access (HTTP 403); the user or role lacks permission for this request")
    if isinstance(exc, opensearchpy.TransportError):
        return RemoteError(f"{where} answered HTTP {exc.status_code}: {_transport_reason(exc)}")
    return RemoteError(f"{where}: {exc}")


def _transport_reason(exc: opensearchpy.TransportError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error")
    if isinstance(error, dict):
        return " ".join(f"{error.get('type', '')}: {error.get('reason', '')}".split())
    return " ".join(str(error or exc.error).split())[:300]


def _not_json(exc: BaseException, conn: Connection) -> str:
    """Why a 2xx answer could not be read: its body is not JSON (or of a type opensearch-py cannot read)."""
    args = exc.args if isinstance(exc, opensearchpy.SerializationError) else ()
    cause = args[1] if len(args) > 1 else args[0] if args else type(exc).__name__
    return (f"{conn.display_url} answered with a body that is not JSON ({' '.join(str(cause).split())[:120]}); "
            "is it an OpenSearch endpoint, or a proxy in front of one?")


@contextmanager
def remote_errors(conn: Connection) -> Iterator[None]:
    """Translate opensearch-py's exceptions raised inside the block into one-line RemoteErrors."""
    try:
        yield
    except (opensearchpy.TransportError, opensearchpy.ImproperlyConfigured) as exc:
        raise describe_error(exc, conn) from exc
    except opensearchpy.SerializationError as exc:
        raise RemoteError(_not_json(exc, conn)) from exc


class _BulkPoster:
    """``post(body)`` for ``efklab.opensearch.batches.answer_batch``.

    Returns the parsed answer, or a RequestFailure (fatal ones stop the replay).
    """

    def __init__(self, client: OpenSearch, conn: Connection) -> None:
        self._client, self._conn = client, conn

    def __call__(self, body: str | bytes) -> object:
        try:
            answer: object = self._client.bulk(body=body, filter_path=RESPONSE_FILTER)
            return answer  # whether it is a complete bulk answer is checked before anything counts as indexed
        except (opensearchpy.ConnectionError, opensearchpy.AuthenticationException,
                opensearchpy.AuthorizationException) as exc:
            return RequestFailure(_status(exc), str(describe_error(exc, self._conn)), fatal=True)
        except opensearchpy.TransportError as exc:
            return RequestFailure(_status(exc), f"HTTP {exc.status_code}: {_transport_reason(exc)}")
        except (opensearchpy.SerializationError, RecursionError) as exc:  # a 2xx whose body is not JSON
            # as for any answer that is not a bulk response: retried, then the replay stops (resumable)
            return RequestFailure(None, _not_json(exc, self._conn), fatal=True)


def forwarder(client: OpenSearch, conn: Connection) -> Callable[[str, str, bytes], tuple[int, bytes]]:
    """Pass a request on through the client (its auth, SigV4 and TLS): (method, path?query, body) -> (status, JSON)."""

    def forward(method: str, target: str, body: bytes) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            answer = client.transport.perform_request(method, path, params=params, body=body or None)
        except opensearchpy.TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 502
            info = exc.info if isinstance(exc.info, (dict, list)) else {"error": str(describe_error(exc, conn))}
            return status, json.dumps(info).encode()
        except (opensearchpy.SerializationError, RecursionError) as exc:
            return 502, json.dumps({"error": _not_json(exc, conn)}).encode()
        return 200, json.dumps(answer if answer is not None else {}).encode()

    return forward


def _status(exc: opensearchpy.TransportError) -> int | None:
    return exc.status_code if isinstance(exc.status_code, int) else None


def send_batches(
    client: OpenSearch, conn: Connection, actions: Iterable[Any], *, settings: BulkSettings,
    sleep: Callable[[float], None], read_ahead: int = 0, workers: int = 1,
) -> Iterator[BatchAnswer]:
    """Index pre-serialised actions in batches (count and bytes as ``settings`` say); one answer per batch, in order.

    Each body is rendered once and POSTed as bytes; 429/5xx are retried per item with backoff
    (``efklab.opensearch.bulk.send_with_retries``); the node answers only statuses and errors.
    ``read_ahead`` > 0: the next batches (and so the actions they pull) are made in a background
    thread, up to that many ahead, while a request is in flight.  ``workers`` > 1: that many
    requests in flight at once, through the client's connection pool, answers still in input
    order (``efklab.opensearch.batches.answered_in_order``).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}, not {workers}")
    post = _BulkPoster(client, conn)
    batches = batch_actions(actions, max_count=settings.chunk_size, max_bytes=settings.chunk_bytes)
    ahead = prefetched(batches, batch=1, depth=read_ahead) if read_ahead > 0 else batches

    def answer(batch: Batch) -> BatchAnswer:
        with remote_errors(conn):
            return answer_batch(batch, post, policy=settings.retry, sleep=sleep)

    answers = answered_in_order(ahead, answer, workers=workers) if workers > 1 else map(answer, ahead)
    try:
        yield from answers
    finally:
        if isinstance(answers, Generator):
            answers.close()  # waits for the requests in flight, sends no more
        ahead.close()  # stops the read-ahead thread when the consumer stops early


def stream_bulk(
    client: OpenSearch, conn: Connection, actions: Iterable[Any], *, settings: BulkSettings,
    sleep: Callable[[float], None],
) -> Iterator[tuple[Any, ItemResult]]:
    """``send_batches`` one item at a time: ``(action, result)`` for every action, in order."""
    for answer in send_batches(client, conn, actions, settings=settings, sleep=sleep):
        yield from answer.results()


def install_index_template(client: OpenSearch, conn: Connection, name: str, body: Mapping[str, Any]) -> None:
    """Create or replace a composable index template (``PUT _index_template/<name>``)."""
    with remote_errors(conn):
        client.indices.put_index_template(name=name, body=dict(body))


def _guard_pattern(pattern: str) -> None:
    if pattern.strip() in ("", "*", "_all") or pattern.startswith((".", "-*")):
        raise UsageError(f"refusing the index pattern {pattern!r}: name the indices (e.g. mydata-*)")


def refresh(client: OpenSearch, conn: Connection, pattern: str) -> None:
    """Make everything indexed so far visible to search and counts."""
    with remote_errors(conn):
        client.indices.refresh(index=pattern, ignore_unavailable=True, allow_no_indices=True)


def count_per_index(client: OpenSearch, conn: Connection, pattern: str) -> dict[str, int]:
    """Exact document counts per index matching ``pattern`` (after a refresh)."""
    refresh(client, conn, pattern)
    body = {"size": 0, "track_total_hits": True, "aggs": {"per_index": {"terms": {"field": "_index", "size": 65536}}}}
    with remote_errors(conn):
        answer = client.search(index=pattern, body=body, ignore_unavailable=True, allow_no_indices=True)
    buckets = answer.get("aggregations", {}).get("per_index", {}).get("buckets", [])
    return {str(b["key"]): int(b["doc_count"]) for b in buckets}


def cat_indices(client: OpenSearch, conn: Connection, pattern: str = "*") -> list[dict[str, Any]]:
    """``_cat/indices`` as rows (index, health, status, pri, rep, docs.count, creation.date ...), sorted by name."""
    with remote_errors(conn):
        rows = client.cat.indices(index=pattern, format="json", bytes="b", expand_wildcards="open",
                                  h="index,health,status,uuid,pri,rep,docs.count,store.size,creation.date,creation.date.string")
    return sorted((dict(r) for r in rows), key=lambda r: str(r.get("index")))


def iter_hits(client: OpenSearch, conn: Connection, pattern: str, *, sort: list[Any] | None = None,
              query: Mapping[str, Any] | None = None, page_size: int = 1000,
              source: bool | list[str] = True) -> Iterator[dict[str, Any]]:
    """Every hit matching ``query``, in ``sort`` order, paged with ``search_after`` (no 10k window)."""
    sort = sort or [{"@timestamp": "asc"}, {"@id": "asc"}]
    refresh(client, conn, pattern)
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"size": page_size, "sort": sort, "query": dict(query or {"match_all": {}}),
                                "_source": source}
        if after is not None:
            body["search_after"] = after
        with remote_errors(conn):
            hits = client.search(index=pattern, body=body, ignore_unavailable=True,
                                 allow_no_indices=True)["hits"]["hits"]
        yield from hits
        if len(hits) < page_size:
            return
        after = hits[-1]["sort"]


def primary_counts(client: OpenSearch, conn: Connection, pattern: str) -> dict[str, int]:
    """Primary shard count of each index matching ``pattern``."""
    with remote_errors(conn):
        settings = client.indices.get_settings(index=pattern, name="index.number_of_shards",
                                               ignore_unavailable=True, allow_no_indices=True)
    return {index: int(value["settings"]["index"]["number_of_shards"]) for index, value in settings.items()}


def field_values(client: OpenSearch, conn: Connection, pattern: str, field: str, *,
                 query: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Every value of a keyword ``field`` (``_index`` too) and its document count, paged by a composite aggregation."""
    values: dict[str, int] = {}
    after: dict[str, Any] | None = None
    while True:
        source: dict[str, Any] = {"size": 1000, "sources": [{"v": {"terms": {"field": field}}}]}
        if after is not None:
            source["after"] = after
        body = {"size": 0, "query": dict(query or {"match_all": {}}), "aggs": {"values": {"composite": source}}}
        with remote_errors(conn):
            answer = client.search(index=pattern, body=body, ignore_unavailable=True, allow_no_indices=True)
        found = answer.get("aggregations", {}).get("values", {})
        values.update({str(b["key"]["v"]): int(b["doc_count"]) for b in found.get("buckets", [])})
        after = found.get("after_key")
        if not found.get("buckets") or after is None:
            return values


class _Descending:
    """A sort value compared the other way round (keyword sort values in a descending sort)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def _sort_key(values: list[Any], orders: list[str]) -> tuple[Any, ...]:
    """A hit's sort values as the node compares them: missing values last, either direction."""
    key: list[Any] = []
    for value, order in zip(values, orders, strict=False):
        if value is None:
            key.append((1, 0))
        elif order == "desc":
            key.append((0, -value if isinstance(value, (int, float)) else _Descending(value)))
        else:
            key.append((0, value))
    return tuple(key)


_Ranked = tuple[tuple[Any, ...], int, int, dict[str, Any]]  # (sort key, shard rank, _doc, hit)


def iter_sorted(client: OpenSearch, conn: Connection, pattern: str, *, sort: list[dict[str, Any]],
                query: Mapping[str, Any] | None = None, source: bool | list[str] = True, page_size: int = 1000,
                keep_alive: str = "5m") -> Generator[dict[str, Any], None, None]:
    """Every hit of one sorted query over ``pattern``, in the order the node returns them, without a scroll.

    The node breaks ties between shards by the order it visits them in (sorted by each shard's
    range of the primary sort field, largest first for a descending sort, then by shard number and
    index name) and inside a shard by index order; so each primary shard is read on its own (a
    point in time per index, one slice per shard, ``search_after`` on the sort plus ``_doc``, exact
    however many documents tie) and the shards are merged in that order.  The primary sort is on a
    numeric or date field (the time field).  Each hit carries ``_shard`` (``[index][n]``) without
    ``explain``.  Memory: one page per shard.
    """
    orders = [next(iter(s.values())).get("order", "asc") if isinstance(next(iter(s.values())), Mapping)
              else str(next(iter(s.values()))) for s in sort]
    full_sort = [*sort, {"_doc": "asc"}]
    counts = primary_counts(client, conn, pattern)
    if not counts:
        return
    primary_field, primary_order = next(iter(sort[0])), orders[0]
    page = min(page_size, max(100, 50_000 // sum(counts.values())))  # one page per shard is held: ~50k hits
    pits: dict[str, str] = {}
    try:
        for index in sorted(counts):
            with remote_errors(conn):
                pits[index] = client.create_pit(index=index, params={"keep_alive": keep_alive})["pit_id"]

        def visiting_order(n: int, index: str, count: int) -> tuple[Any, ...]:
            """Where the node puts this shard among the others: by its range of the primary sort field."""
            body: dict[str, Any] = {"size": 0, "pit": {"id": pits[index], "keep_alive": keep_alive},
                                    "aggs": {"lo": {"min": {"field": primary_field}},
                                             "hi": {"max": {"field": primary_field}}}}
            if count > 1:
                body["slice"] = {"id": n, "max": count}
            with remote_errors(conn):
                found = client.search(body=body)["aggregations"]
            edge = found["hi" if primary_order == "desc" else "lo"].get("value")
            if edge is None:
                return (1, 0, n, index)  # a shard without the field comes last
            return (0, -edge if primary_order == "desc" else edge, n, index)

        shards = sorted((visiting_order(n, index, count), n, index, count)
                        for index, count in counts.items() for n in range(count))

        def read(rank: int, n: int, index: str, count: int) -> Iterator[_Ranked]:
            after: list[Any] | None = None
            while True:
                body: dict[str, Any] = {"size": page, "sort": full_sort, "query": dict(query or {"match_all": {}}),
                                        "_source": source, "pit": {"id": pits[index], "keep_alive": keep_alive},
                                        "track_total_hits": False}
                if count > 1:
                    body["slice"] = {"id": n, "max": count}  # as many slices as shards: slice n is shard n
                if after is not None:
                    body["search_after"] = after
                with remote_errors(conn):
                    hits = client.search(body=body)["hits"]["hits"]
                for hit in hits:
                    hit["_index"], hit["_shard"] = index, f"[{index}][{n}]"
                    yield _sort_key(hit["sort"][:-1], orders), rank, hit["sort"][-1], hit
                if len(hits) < page:
                    return
                after = hits[-1]["sort"]

        streams = [read(rank, n, index, count) for rank, (_, n, index, count) in enumerate(shards)]
        for *_, hit in heapq.merge(*streams, key=lambda t: t[:3]):
            yield hit
    finally:
        if pits:
            with remote_errors(conn):
                client.delete_pit(body={"pit_id": list(pits.values())}, ignore=(404,))


def delete_indices(client: OpenSearch, conn: Connection, pattern: str) -> list[str]:
    """Delete the indices matching ``pattern`` (never ``*``, ``_all`` or dot-indices); returns their names."""
    _guard_pattern(pattern)
    names = [str(r["index"]) for r in cat_indices(client, conn, pattern)]
    for start in range(0, len(names), 40):  # named, in batches: the request line stays short
        with remote_errors(conn):
            client.indices.delete(index=",".join(names[start:start + 40]), ignore_unavailable=True)
    return names

