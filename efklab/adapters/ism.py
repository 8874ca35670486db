"""The ISM REST API and the index facts ISM reads, through the client ``adapters.opensearch`` builds.

``_plugins/_ism`` is the API of OpenSearch; ``_opendistro/_ism`` is the legacy prefix that older
Amazon OpenSearch Service domains (and Elasticsearch-engine domains) answer.  Every call is
wrapped so transport errors become one-line ``RemoteError``s.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from efklab.adapters.opensearch import Connection, remote_errors
from efklab.errors import PolicyError, RemoteError
from efklab.retention.attachment import IndexFacts
from efklab.retention.explain import ExplainRow, read_explain
from efklab.retention.history import HistoryStep, deletions, read_history
from efklab.retention.onnode import IsmOnNode
from efklab.retention.policy import Policy, parse_policy
from efklab.retention.schedule import JobSettings

ISM_BASE = "/_plugins/_ism"
LEGACY_ISM_BASE = "/_opendistro/_ism"
JOB_INTERVAL = "plugins.index_state_management.job_interval"
JITTER = "plugins.index_state_management.jitter"


class IsmApi:
    """PUT/GET policies, add policies to indices, explain; one client, one base path."""

    def __init__(self, client: Any, conn: Connection, *, legacy: bool = False) -> None:
        self.client, self.conn = client, conn
        self.base = LEGACY_ISM_BASE if legacy else ISM_BASE

    def _call(self, method: str, path: str, body: Any = None,
              params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        with remote_errors(self.conn):
            answer: dict[str, Any] = self.client.transport.perform_request(method, path, body=body,
                                                                           params=dict(params or {}))
        return answer

    def get_policy(self, policy_id: str) -> dict[str, Any] | None:
        """The stored policy (with _seq_no/_primary_term), or None when there is none."""
        try:
            return self._call("GET", f"{self.base}/policies/{policy_id}")
        except RemoteError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise

    def put_policy(self, policy_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create the policy, or update it in place (the API wants the current seq_no/primary_term)."""
        current = self.get_policy(policy_id)
        params = {}
        if current is not None:
            params = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
        return self._call("PUT", f"{self.base}/policies/{policy_id}", body=dict(body), params=params)

    def list_policies(self) -> dict[str, Any]:
        """``GET _ism/policies``: every stored policy (up to 1000)."""
        return self._call("GET", f"{self.base}/policies", params={"size": 1000})

    def delete_policy(self, policy_id: str) -> None:
        """``DELETE _ism/policies/<id>``; an absent policy is fine."""
        try:
            self._call("DELETE", f"{self.base}/policies/{policy_id}")
        except RemoteError as exc:
            if "HTTP 404" not in str(exc):
                raise

    def add_policy(self, pattern: str, policy_id: str) -> dict[str, Any]:
        """``POST _ism/add/<pattern>``: attach a policy to existing indices (templates never do)."""
        return self._call("POST", f"{self.base}/add/{pattern}", body={"policy_id": policy_id})

    def remove_policy(self, pattern: str) -> dict[str, Any]:
        """``POST _ism/remove/<pattern>``."""
        return self._call("POST", f"{self.base}/remove/{pattern}")

    def explain(self, pattern: str | None = None) -> dict[str, Any]:
        """``GET _ism/explain[/<pattern>]``: managed or not, state, action, step, info per index."""
        path = f"{self.base}/explain" + (f"/{pattern}" if pattern else "")
        return self._call("GET", path)


def ism_installed(client: Any, conn: Connection) -> bool:
    """Whether the node runs the index-management plugin (``_cat/plugins``)."""
    with remote_errors(conn):
        rows = client.cat.plugins(format="json")
    return any(str(r.get("component")) in ("opensearch-index-management", "opendistro_index_management") for r in rows)


def require_ism(client: Any, conn: Connection) -> None:
    """Refuse a node without the index-management plugin before asking its ISM API anything."""
    if not ism_installed(client, conn):
        raise RemoteError(f"{conn.display_url} has no Index State Management plugin (opensearch-index-management); "
                          "install it, or use a domain that has it")


def set_job_settings(client: Any, conn: Connection, *, interval_minutes: int | None, jitter: float | None) -> None:
    """Set the ISM job interval / jitter (persistent cluster settings); jobs pick it up on their next run."""
    settings: dict[str, Any] = {}
    if interval_minutes is not None:
        settings[JOB_INTERVAL] = interval_minutes
    if jitter is not None:
        settings[JITTER] = jitter
    if settings:
        with remote_errors(conn):
            client.cluster.put_settings(body={"persistent": settings})


def read_job_settings(client: Any, conn: Connection) -> tuple[int, float]:
    """(job_interval minutes, jitter) in force on the cluster, defaults included."""
    with remote_errors(conn):
        answer = client.cluster.get_settings(include_defaults=True, flat_settings=True)
    merged: dict[str, Any] = {}
    for scope in ("defaults", "persistent", "transient"):
        merged.update(answer.get(scope, {}))
    return int(merged.get(JOB_INTERVAL, 5)), float(merged.get(JITTER, 0.6))


def read_index_facts(client: Any, conn: Connection, pattern: str) -> list[IndexFacts]:
    """What ISM sees of each index matching ``pattern``: creation date, docs, primary size, hidden, auto_manage."""
    with remote_errors(conn):
        rows = client.cat.indices(index=pattern, format="json", bytes="b", expand_wildcards="all",
                                  h="index,docs.count,pri.store.size,creation.date")
        settings = client.indices.get_settings(index=pattern, expand_wildcards="all", flat_settings=True,
                                               include_defaults=False, allow_no_indices=True, ignore_unavailable=True)
    facts = []
    for row in rows:
        name = str(row["index"])
        flat = settings.get(name, {}).get("settings", {})
        facts.append(IndexFacts(
            name=name,
            creation_date=int(row.get("creation.date") or flat.get("index.creation_date") or -1),
            doc_count=int(row["docs.count"]) if row.get("docs.count") not in (None, "") else None,
            size_bytes=int(row["pri.store.size"]) if row.get("pri.store.size") not in (None, "") else None,
            hidden=str(flat.get("index.hidden", "false")).lower() == "true",
            auto_manage=str(flat.get("index.plugins.index_state_management.auto_manage", "true")).lower() != "false",
        ))
    return sorted(facts, key=lambda f: f.name)


def explain_rows(api: IsmApi, pattern: str) -> dict[str, Any]:
    """``explain`` of a pattern, or an empty answer when no index matches it.

    The API answers 404 for a missing name, and 400 "no documents to get" for a wildcard that
    matches nothing (every index ISM deleted).
    """
    try:
        return api.explain(pattern)
    except RemoteError as exc:
        if "HTTP 404" in str(exc) or "no documents to get" in str(exc):
            return {}
        raise


def create_by_document(client: Any, conn: Connection, index: str, document: Mapping[str, Any]) -> None:
    """Write one document to ``index``, creating it as the Lambda's first ``_bulk`` line does (auto-create)."""
    with remote_errors(conn):
        client.index(index=index, body=dict(document), refresh=True)


def read_managed_jobs(client: Any, conn: Connection, pattern: str) -> dict[str, dict[str, Any]]:
    """The ISM jobs of the indices matching ``pattern``: index -> its ``managed_index`` job document.

    The job's ``schedule.interval.start_time`` is when the coordinator attached the policy (runs
    follow it every interval).  It lives in the plugin's config index, which managed domains do
    not let users read: then the answer is empty and callers fall back to the creation date.
    """
    body = {"size": 1000, "query": {"wildcard": {"managed_index.index": {"value": pattern}}}}
    try:
        with remote_errors(conn):
            answer = client.search(index=".opendistro-ism-config", body=body)
    except RemoteError:
        return {}
    jobs = {}
    for hit in answer.get("hits", {}).get("hits", []):
        job = hit.get("_source", {}).get("managed_index")
        if isinstance(job, Mapping) and isinstance(job.get("index"), str):
            jobs[str(job["index"])] = dict(job)
    return jobs


HISTORY_INDICES = ".opendistro-ism-managed-index-history-*"


def read_history_documents(client: Any, conn: Connection, pattern: str, *, size: int = 10_000) -> list[dict[str, Any]]:
    """The plugin's history documents of the indices matching ``pattern`` (``_source`` only).

    Empty when the history index does not exist (nothing managed yet, history disabled) or
    cannot be read (managed domains).
    """
    body = {"size": size, "query": {"wildcard": {"managed_index_meta_data.index.raw": {"value": pattern}}}}
    try:
        with remote_errors(conn):
            answer = client.search(index=HISTORY_INDICES, body=body, ignore_unavailable=True, allow_no_indices=True)
    except RemoteError:
        return []
    return [dict(hit.get("_source") or {}) for hit in answer.get("hits", {}).get("hits", [])]


def read_stored_policies(api: IsmApi) -> tuple[list[Policy], list[str]]:
    """Every policy the node stores (``GET _ism/policies``), parsed; and those it could not parse, with why."""
    try:
        answer = api.list_policies()
    except RemoteError as exc:
        if "HTTP 404" in str(exc):
            return [], []
        raise
    policies, unreadable = [], []
    for item in answer.get("policies", []):
        policy_id = str(item.get("_id"))
        try:
            policies.append(parse_policy({"policy": item.get("policy", {})}, policy_id=policy_id,
                                         source=f"stored policy {policy_id}"))
        except PolicyError as exc:
            unreadable.append(f"{policy_id}: {exc}")
    return policies, unreadable


def read_ism_on_node(client: Any, conn: Connection, patterns: Sequence[str]) -> IsmOnNode:
    """The node's ISM facts (observed): job settings, stored policies, explain and history deletions of ``patterns``."""
    api = IsmApi(client, conn)
    interval, jitter = read_job_settings(client, conn)
    policies, unreadable = read_stored_policies(api)
    rows: dict[str, ExplainRow] = {}
    steps: list[HistoryStep] = []
    for pattern in patterns:
        rows.update({r.index: r for r in read_explain(explain_rows(api, pattern)) if not r.index.startswith(".")})
        steps.extend(read_history(read_history_documents(client, conn, pattern)))
    return IsmOnNode(JobSettings(interval_minutes=interval, jitter=jitter), tuple(policies),
                     tuple(rows[name] for name in sorted(rows)), tuple(deletions(steps)), tuple(unreadable))
