"""ISM retention as jobs: ``efklab retention simulate|apply|explain`` and notebook 05.

``simulate`` forecasts when ISM deletes each index: from payloads, the indices they create split
into generations by arrival (``retention.forecast.forecast_layout``); from a node, the indices it
holds.  Either way under the policies with the ISM job's interval and jitter, read as of a
moment, with the traps found.  It needs no ISM plugin.  ``apply`` PUTs a policy (and attaches it
to existing indices); ``explain`` reads where each managed index is.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from efklab.adapters.files import read_file_bytes
from efklab.adapters.idspill import SpillingIds
from efklab.adapters.ism import (
    IsmApi,
    explain_rows,
    ism_installed,
    read_history_documents,
    read_index_facts,
    read_job_settings,
    read_managed_jobs,
    require_ism,
    set_job_settings,
)
from efklab.errors import PayloadError, UsageError
from efklab.jobs.connect import Connected, connect
from efklab.jobs.defaults import SEED_POLICY
from efklab.jobs.layout import payload_records
from efklab.jobs.policies import read_policies
from efklab.lambda_.layout import expect_layout
from efklab.lambda_.transform import TransformOptions
from efklab.model import UNREADABLE_STAGES, Reject
from efklab.retention.explain import ExplainRow, read_explain
from efklab.retention.forecast import (
    Finding,
    Generation,
    find_traps,
    forecast_existing,
    forecast_layout,
    status_at,
    summarize_at,
)
from efklab.retention.history import HistoryStep, deletions, read_history
from efklab.retention.policy import Policy, parse_policy, retention_days
from efklab.retention.schedule import EXECUTION_LATENCY_MS, JobSettings
from efklab.units import DAY_MS, parse_time

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Simulation:
    """The simulated life of every index generation under the policies, as of ``at``."""

    policies: tuple[Policy, ...]
    settings: JobSettings
    generations: tuple[Generation, ...]
    findings: tuple[Finding, ...]
    at: int
    node_url: str | None = None  # read from this node (else: forecast from payloads)
    observed: tuple[ExplainRow, ...] = ()  # the node's explain rows, when it runs ISM
    ism_on_node: bool | None = None  # None: no node was asked
    latency_ms: int = 0  # the plugin's execution latency allowed when the forecast is held against a node
    deleted: tuple[HistoryStep, ...] = ()  # deletions the node's ISM history records (observed)

    @property
    def source(self) -> str:
        """Where the indices come from, as every verdict should say it."""
        if self.node_url is None:
            return "forecast from payloads (no node)"
        ism = "observed on the node (ISM explain) beside the forecast" if self.ism_on_node else "no ISM on the node"
        return f"indices read from {self.node_url}; {ism}"

    def status(self, generation: Generation) -> str:
        """gone / due / kept / not-yet of one generation as of ``at`` (latency allowed against a node)."""
        return status_at(generation.forecast, self.at, self.latency_ms)

    def outlived(self) -> list[str]:
        """Indices a node still holds although the forecast has them gone by ``at`` (latency allowed)."""
        if self.node_url is None:
            return []
        return [g.forecast.index for g in self.generations if self.status(g) == "gone"]

    def node_figures(self) -> dict[str, Any]:
        """What the node's ISM shows for these indices (observed): managed or not, deleted by ISM, failed, and
        the indices the forecast has gone that the node still holds."""
        managed = sum(r.managed for r in self.observed)
        return {"managed": managed, "not_managed": len(self.generations) - managed, "deleted_by_ism": len(self.deleted),
                "failed": [r.index for r in self.failed()], "outlived": self.outlived()}

    def node_line(self, pattern: str) -> str:
        """One sentence for people: where the indices come from and what the node's ISM does with them."""
        figures = self.node_figures()
        return (f"{self.source}\n{len(self.generations)} indices match {pattern}: {figures['managed']} managed by ISM, "
                f"{figures['not_managed']} not managed; ISM history records {figures['deleted_by_ism']} deletions")

    def failed(self) -> list[ExplainRow]:
        """Indices whose ISM step failed on the node (they wait for _ism/retry)."""
        return [r for r in self.observed if r.failed]

    def summary(self) -> dict[str, Any]:
        """Indices and documents gone / due / kept as of ``at``, and what goes next."""
        return summarize_at(self.generations, self.at, latency_ms=self.latency_ms)

    def unmanaged(self) -> list[str]:
        """Indices no policy manages (they are never deleted)."""
        return [g.forecast.index for g in self.generations if g.forecast.outcome == "unmanaged"]

    def overdue(self) -> list[str]:
        """Indices older than the retention period (and a day) that are not gone by ``at``."""
        days = [d for d in map(retention_days, self.policies) if d is not None]
        if not days:
            return []
        keep = min(days) * DAY_MS + DAY_MS
        return [g.forecast.index for g in self.generations
                if g.forecast.created + keep < self.at and self.status(g) != "gone"]


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``apply`` did (or, in a dry run, would do): the answer as ``--json`` prints it, and where."""

    result: dict[str, Any]  # policy_id, existing_not_attached, and the PUT's / add's / dry run's answer
    base: str  # the ISM API path: _plugins/_ism, or _opendistro/_ism with the legacy API
    patterns: tuple[str, ...]  # the policy's template patterns


def simulate(payloads: Iterable[str | Mapping[str, Any]] = (), *, policy: str | Sequence[str] = (),
             at: str | None = None, job_interval: int | None = None, jitter: float | None = None,
             applied_at: str | None = None, replayed_at: str | None = None, pattern: str = "*",
             mode: str = "opensearch", index_strategy: str = "seed", prefix: str = "mydata", tz: str = "UTC",
             opensearch_url: str | None = None, aws_region: str | None = None, ca_certs: str | None = None,
             no_verify_tls: bool = False, at_last_arrival: bool = False, say: Say | None = None,
             on_skipped: Callable[[Reject], None] = lambda _: None) -> Simulation:
    """Forecast ``policy`` (files, or one file; ``""``: the seed's) over the indices of ``payloads`` or of a node.

    ``at`` (ISO 8601, epoch, ``now`` or an age; empty: unset) defaults to now, or with
    ``at_last_arrival`` to the last document's arrival (sample sets lie in the past).  The job
    interval and jitter default to 5 minutes and 0.6, or to the node's settings.  ``applied_at``:
    when the policy was PUT (older indices are not attached); ``replayed_at``: every index created
    then (a backfill).  An unreadable payload record stops the simulation; events the transform
    refuses go to ``on_skipped`` (they create no index).
    """
    paths = ([policy] if policy else [str(SEED_POLICY)]) if isinstance(policy, str) else list(policy)
    policies = read_policies(paths)
    now = int(time.time() * 1000)
    moment = _time(at, "--at", now)
    applied = _time(applied_at, "--applied-at", now)
    attached = {p.policy_id: applied for p in policies} if applied is not None else None
    replayed = _time(replayed_at, "--replayed-at", now)
    items: list[str | Mapping[str, Any]] = list(payloads)
    if items:
        settings = job_settings(job_interval, jitter)
        options = TransformOptions(mode=mode, index_strategy=index_strategy, prefix=prefix, tz=tz)
        layout = expect_layout(payload_records(items), options, ids=SpillingIds())  # flat memory at any size
        for reject in layout.rejects:
            if reject.stage in UNREADABLE_STAGES:
                raise PayloadError(reject.reason, source=reject.source, position=reject.position)
            on_skipped(reject)
        generations, findings = forecast_layout(layout, policies, settings, applied_at=attached, replayed_at=replayed)
        last = max((a for i in layout.indices for a in i.arrivals), default=0)
    else:
        target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls, say=say)
        on_node = _read_node(target, pattern, policies, attached, job_interval, jitter)
        findings = find_traps(on_node.generations, policies)
        moment = moment or now
        return Simulation(tuple(policies), on_node.settings, tuple(on_node.generations), tuple(findings), moment,
                          target.url, tuple(on_node.observed), on_node.ism, EXECUTION_LATENCY_MS,
                          tuple(on_node.deleted))
    moment = moment or (last if at_last_arrival else now)
    return Simulation(tuple(policies), settings, tuple(generations), tuple(findings), moment)


def job_settings(job_interval: int | None, jitter: float | None, node: tuple[int, float] | None = None) -> JobSettings:
    """The ISM job's interval and jitter: those given, else the node's, else the plugin's defaults (5 min, 0.6)."""
    interval, spread = node or (5, 0.6)
    interval = job_interval if job_interval is not None else interval
    spread = jitter if jitter is not None else spread
    if interval < 1:
        raise UsageError("--job-interval must be at least 1 minute (the plugin's minimum)")
    if not 0.0 <= spread <= 1.0:
        raise UsageError("--jitter must be between 0 and 1")
    return JobSettings(interval_minutes=interval, jitter=spread)


def _time(value: str | None, name: str, now: int) -> int | None:
    if not value:
        return None
    try:
        return parse_time(value, now_ms=now)
    except ValueError as exc:
        raise UsageError(str(exc), source=name) from None


@dataclass(frozen=True, slots=True)
class _OnNode:
    generations: list[Generation]
    settings: JobSettings
    observed: list[ExplainRow]
    ism: bool
    deleted: list[HistoryStep]


def _read_node(target: Connected, pattern: str, policies: Sequence[Policy], applied_at: dict[str, int] | None,
               job_interval: int | None, jitter: float | None) -> _OnNode:
    """The indices a node holds (no dot indices), with the policy each already runs when the node has ISM.

    A managed index is forecast under the policy the node names (the file with that id, else the
    file whose template matches, else the node's stored policy), from when its ISM job started.
    """
    client, conn = target.client, target.conn
    facts = [f for f in read_index_facts(client, conn, pattern) if not f.name.startswith(".")]
    if not ism_installed(client, conn):
        settings = job_settings(job_interval, jitter)
        return _OnNode(forecast_existing(facts, policies, settings, applied_at=applied_at), settings, [], False, [])
    api = IsmApi(client, conn)
    settings = job_settings(job_interval, jitter, read_job_settings(client, conn))
    absent: set[str] = set()
    if applied_at is None:
        applied_at, absent = _templates_on_node(api, policies)
    rows = [r for r in read_explain(explain_rows(api, pattern)) if not r.index.startswith(".")]
    managed = {r.index: r.policy_id for r in rows if r.managed}
    jobs = read_managed_jobs(client, conn, pattern)
    facts = [replace(f, managed_by=managed.get(f.name), attached_at=_job_start(jobs.get(f.name))) for f in facts]
    stored = {}
    for policy_id in sorted({p for p in managed.values() if p}):
        answer = api.get_policy(policy_id)
        if answer is not None:
            stored[policy_id] = parse_policy(answer, policy_id=policy_id, source=f"{target.url} (stored policy)")
    generations = [_not_on_node(g, absent) for g in
                   forecast_existing(facts, policies, settings, applied_at=applied_at, stored=stored)]
    deleted = deletions(read_history(read_history_documents(client, conn, pattern)))
    return _OnNode(generations, settings, rows, True, deleted)


def _templates_on_node(api: IsmApi, policies: Sequence[Policy]) -> tuple[dict[str, int], set[str]]:
    """When each policy's template took effect on the node: its stored template's last_updated_time, or now
    for a policy the node does not have (PUT now, it would reach only indices created from now on); and the
    ids of those the node does not have."""
    now = int(time.time() * 1000)
    applied, absent = {}, set()
    for policy in policies:
        answer = api.get_policy(policy.policy_id)
        stored = parse_policy(answer, policy_id=policy.policy_id) if answer is not None else None
        times = [t.last_updated_time for t in (stored.ism_templates if stored else ()) if t.last_updated_time]
        applied[policy.policy_id] = min(times) if times else now
        if stored is None:
            absent.add(policy.policy_id)
    return applied, absent


def _not_on_node(generation: Generation, absent: set[str]) -> Generation:
    """An index the template would not reach because the policy is not on the node says that, with no made-up
    template time."""
    attachment = generation.forecast.attachment
    if attachment.how != "pre-existing" or not absent:
        return generation
    reason = (f"exists on the node, and {', '.join(sorted(absent))} is not stored there: once PUT, its template "
              "reaches only indices created after the PUT; attach it with `efklab retention apply --add`")
    forecast = replace(generation.forecast, attachment=replace(attachment, reason=reason), reason=reason)
    return replace(generation, forecast=forecast)


def _job_start(job: Mapping[str, Any] | None) -> int | None:
    """When the node attached the policy: the start of the ISM job's interval schedule."""
    start = ((job or {}).get("schedule") or {}).get("interval", {}).get("start_time")
    return int(start) if isinstance(start, int) else None


def apply_policy(policy: Sequence[str], *, policy_id: str | None = None, add: str | None = None,
                 job_interval: int | None = None, jitter: float | None = None, dry_run: bool = False,
                 legacy_api: bool = False, opensearch_url: str | None = None, aws_region: str | None = None,
                 ca_certs: str | None = None, no_verify_tls: bool = False, say: Say | None = None) -> Applied:
    """PUT one policy (create or update); with ``add`` also attach it to the existing indices matching ``add``.

    Templates attach a policy only to indices created after the PUT, so the existing indices its
    templates match are listed.  ``dry_run`` changes nothing and says whether the node runs ISM.
    """
    if len(policy) != 1:
        raise UsageError("apply takes one --policy")
    (parsed,) = read_policies(policy)
    policy_id = policy_id or (parsed.policy_id if parsed.policy_id != "policy" else Path(policy[0]).stem)
    body = {"policy": json.loads(read_file_bytes(policy[0], what="policy"))["policy"]}
    target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls, say=say)
    client, conn = target.client, target.conn
    api = IsmApi(client, conn, legacy=legacy_api)
    patterns = tuple(p for t in parsed.ism_templates for p in t.index_patterns)
    existing = sorted({f.name for pattern in patterns for f in read_index_facts(client, conn, pattern)
                       if not f.name.startswith(".")})
    to_add = sorted(f.name for f in read_index_facts(client, conn, add)) if add else []
    result: dict[str, Any] = {"policy_id": policy_id, "existing_not_attached": [n for n in existing if n not in to_add]}
    if dry_run:
        result |= {"dry_run": True, "ism_installed": ism_installed(client, conn), "would_add": to_add}
    else:
        require_ism(client, conn)
        set_job_settings(client, conn, interval_minutes=job_interval, jitter=jitter)
        answer = api.put_policy(policy_id, body)
        result |= {"version": answer.get("_version"), "seq_no": answer.get("_seq_no")}
        if add:
            added = api.add_policy(add, policy_id)
            result["added"] = {"updated_indices": added.get("updated_indices", 0),
                               "failed_indices": added.get("failed_indices", [])}
    return Applied(result, api.base, patterns)


def explain(pattern: str | None = None, *, legacy_api: bool = False, opensearch_url: str | None = None,
            aws_region: str | None = None, ca_certs: str | None = None, no_verify_tls: bool = False,
            say: Say | None = None) -> list[ExplainRow]:
    """Managed or not, state, action, step and failures of the indices matching ``pattern`` (all managed ones)."""
    target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls, say=say)
    require_ism(target.client, target.conn)
    return read_explain(IsmApi(target.client, target.conn, legacy=legacy_api).explain(pattern))
