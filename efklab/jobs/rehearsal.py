"""``efklab retention rehearse``: a time-scaled copy of the policy run by the real ISM plugin, beside the forecast.

:func:`start_rehearsal` plans the indices (:mod:`efklab.retention.rehearsal`), creates the one
that must predate the policy, PUTs the scaled copy (:mod:`efklab.retention.scaling`) under its
own id and template, and reads the node's job settings; :meth:`Rehearsal.tick` creates the
indices that are due, sends the late event once the first index is gone, and polls the node;
:meth:`Rehearsal.report` judges every index generation against the simulator's forecast from
the same facts.  :meth:`Rehearsal.watch` ticks until every verdict is in (the CLI);
a test can tick from a background thread while other tests run.  Only indices and the policy
named after the rehearsal's run id are created, and :meth:`Rehearsal.clean_up` removes them.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from efklab.adapters.files import read_file_bytes
from efklab.adapters.ism import (
    IsmApi,
    create_by_document,
    explain_rows,
    read_index_facts,
    read_job_settings,
    require_ism,
)
from efklab.adapters.opensearch import delete_indices
from efklab.errors import PayloadError, UsageError
from efklab.jobs.connect import Connected, connect
from efklab.jobs.defaults import SAMPLE_PAYLOADS, SEED_POLICY
from efklab.jobs.doctorinputs import payload_files
from efklab.jobs.layout import payload_records
from efklab.jobs.policies import read_policies
from efklab.jobs.retention import job_settings
from efklab.lambda_.layout import expect_layout
from efklab.lambda_.transform import TransformOptions
from efklab.model import UNREADABLE_STAGES
from efklab.retention.attachment import IndexFacts, attach_policy
from efklab.retention.explain import read_explain
from efklab.retention.policy import Policy, parse_policy
from efklab.retention.rehearsal import (
    ARRIVAL,
    BEFORE_PUT,
    PlannedIndex,
    Verdict,
    Watch,
    judge,
    plan_rehearsal,
)
from efklab.retention.scaling import DEFAULT_SCALE, Scale, parse_scale, scale_policy, scaled_ages
from efklab.retention.schedule import EXECUTION_LATENCY_MS, IndexForecast, JobSettings, forecast_index

Say = Callable[[str], None]
PREFIX = "efklab-rehearsal-"


@dataclass(frozen=True, slots=True)
class RehearsalReport:
    """Every index generation: forecast beside observation, with the setup that explains the numbers."""

    url: str
    policy_id: str  # the scaled copy on the node
    source_policy: str  # the user's policy it copies
    scale: Scale
    ages: tuple[tuple[str, str], ...]  # (min_index_age as written, as rehearsed)
    settings: JobSettings
    put_at: int
    verdicts: tuple[Verdict, ...]
    forecasts: tuple[IndexForecast, ...]
    prefix: str = ""  # of every rehearsal index name (``efklab-rehearsal-<run>-``)

    @property
    def complete(self) -> bool:
        """Every verdict is in (no window still open)."""
        return all(v.agrees is not None for v in self.verdicts)

    @property
    def agrees(self) -> bool:
        """The node did what the forecast says, for every index generation."""
        return self.complete and all(v.agrees for v in self.verdicts)

    def figures(self) -> dict[str, int]:
        """Index generations rehearsed, how many agree with the forecast, how many ISM deleted."""
        return {"indices": len(self.verdicts), "agree": sum(bool(v.agrees) for v in self.verdicts),
                "deleted_by_ism": sum(v.deleted_between is not None for v in self.verdicts)}


@dataclass
class Rehearsal:
    """A rehearsal in progress on one node: the plan, what was done, what was seen."""

    target: Connected
    prefix: str
    plan: list[PlannedIndex]
    policy: Policy  # the scaled copy as the node stored it (its template's last_updated_time included)
    source_policy: str
    scale: Scale
    ages: tuple[tuple[str, str], ...]
    settings: JobSettings
    put_at: int
    started: int
    late_event: bool
    watch: Watch
    created: set[str] = field(default_factory=set)
    late_sent: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api(self) -> IsmApi:
        return IsmApi(self.target.client, self.target.conn)

    def tick(self, now: int | None = None) -> None:
        """Create what is due, send the late event when its index is gone, then poll the node once."""
        with self.lock:
            now = now or _now()
            client, conn = self.target.client, self.target.conn
            for planned in self.plan:
                if planned.name not in self.created and now >= self.started + planned.offset_ms:
                    create_by_document(client, conn, planned.name, _document(planned))
                    self.created.add(planned.name)
            first = next((p for p in self.plan if p.role == ARRIVAL), None)
            lives = self.watch.lives.get(first.name, []) if first else []
            if self.late_event and first and not self.late_sent and lives and lives[-1].deleted:
                create_by_document(client, conn, first.name, _document(first, late=True))
                self.late_sent = True
            facts = read_index_facts(client, conn, f"{self.prefix}*")
            explained = {r.index: r for r in read_explain(explain_rows(self.api, f"{self.prefix}*"))}
            self.watch.observe(_now(), {f.name: f.creation_date for f in facts}, explained)

    def report(self, now: int | None = None) -> RehearsalReport:
        """Verdicts as of ``now``: forecast (from the node's creation dates) beside what the polls saw."""
        with self.lock:
            now = now or _now()
            verdicts, forecasts = [], []
            settle = 2 * self.settings.interval_ms + EXECUTION_LATENCY_MS
            for life in sorted(self.watch.all_lives(), key=lambda lf: (lf.created, lf.index)):
                forecast = self.forecast(life.index, life.created)
                forecasts.append(forecast)
                verdicts.append(judge(life, forecast, now, latency_ms=EXECUTION_LATENCY_MS, settle_ms=settle))
            waiting = [p for p in self.plan if p.name not in self.watch.lives]
            pending = [Verdict(p.name, 1, p.role, self.started + p.offset_ms, "not created yet", "-", None, None, None,
                               "waiting for its arrival") for p in waiting]
            if self.late_event and not self.late_sent:
                first = next((p for p in self.plan if p.role == ARRIVAL), None)
                if first is not None:
                    pending.append(Verdict(first.name, 2, "late-event", 0, "recreated by a late event, new lifetime",
                                           "-", None, None, None, "sent once ISM deleted the first index"))
            return RehearsalReport(self.target.url, self.policy.policy_id, self.source_policy, self.scale, self.ages,
                                   self.settings, self.put_at, tuple(verdicts + pending), tuple(forecasts),
                                   self.prefix)

    def forecast(self, name: str, created: int) -> IndexForecast:
        """The simulator's forecast for one index generation created at ``created`` on the node."""
        facts = IndexFacts(name, created, doc_count=1)
        attachment = attach_policy(facts, [self.policy], applied_at={self.policy.policy_id: self.put_at})
        return forecast_index(facts, attachment, self.policy, self.settings)

    def watch_until_done(self, *, timeout_s: float, poll_s: float = 2.0, say: Say | None = None) -> RehearsalReport:
        """Tick every ``poll_s`` until every verdict is in or ``timeout_s`` passed; returns the report."""
        give_up = time.monotonic() + timeout_s
        shown = ""
        while True:
            self.tick()
            report = self.report()
            if say is not None:
                line = _progress(report)
                if line != shown:
                    say(line)
                    shown = line
            if report.complete or time.monotonic() > give_up:
                return report
            time.sleep(poll_s)

    def clean_up(self) -> None:
        """Delete the rehearsal's indices and its policy."""
        with self.lock:
            delete_indices(self.target.client, self.target.conn, f"{self.prefix}*")
            self.api.delete_policy(self.policy.policy_id)


def start_rehearsal(payloads: Iterable[str | Mapping[str, Any]] = (), *, policy: str = "", scale: str = "",
                    indices: int = 4, late_event: bool = True, before_put: bool = True, mode: str = "opensearch",
                    index_strategy: str = "seed", prefix: str = "mydata", tz: str = "UTC",
                    opensearch_url: str | None = None, aws_region: str | None = None, ca_certs: str | None = None,
                    no_verify_tls: bool = False, say: Say | None = None) -> Rehearsal:
    """Plan, create the before-PUT index and PUT the scaled policy; the arrivals follow in :meth:`Rehearsal.tick`.

    ``payloads`` (files or payload objects; empty: the committed samples) give the indices and
    their arrival order; ``policy`` the file (empty: the seed's); ``scale`` such as ``1d=3s``.
    """
    if indices < 1:
        raise UsageError("--indices must be at least 1")
    chosen_scale = parse_scale(scale) if scale else DEFAULT_SCALE
    policy_file = policy or str(SEED_POLICY)
    (source,) = read_policies([policy_file])
    document = json.loads(read_file_bytes(policy_file, what="policy"))
    run = uuid.uuid4().hex[:8]
    index_prefix = f"{PREFIX}{run}-"
    body = scale_policy(document, chosen_scale, index_patterns=[f"{index_prefix}*"])
    items = list(payloads) or payload_files(str(SAMPLE_PAYLOADS))
    layout = expect_layout(payload_records(items), TransformOptions(mode=mode, index_strategy=index_strategy,
                                                                    prefix=prefix, tz=tz))
    for reject in layout.rejects:
        if reject.stage in UNREADABLE_STAGES:
            raise PayloadError(reject.reason, source=reject.source, position=reject.position)
    sources = [(i.name, min(i.arrivals), i.doc_count) for i in layout.indices if i.arrivals]
    plan = plan_rehearsal(sources, chosen_scale, prefix=index_prefix, count=indices, before_put=before_put)
    if not plan:
        raise UsageError("the payloads create no index: nothing to rehearse")
    target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls, say=say)
    client, conn = target.client, target.conn
    require_ism(client, conn)
    settings = job_settings(None, None, read_job_settings(client, conn))
    for planned in plan:
        if planned.role == BEFORE_PUT:
            create_by_document(client, conn, planned.name, _document(planned))
    api = IsmApi(client, conn)
    policy_id = f"{source.policy_id}-rehearsal-{run}"
    put_at = _now()
    answer = api.put_policy(policy_id, body)
    stored = parse_policy({"policy": answer.get("policy", {}).get("policy", body["policy"])}, policy_id=policy_id)
    created = {p.name for p in plan if p.role == BEFORE_PUT}
    rehearsal = Rehearsal(target, index_prefix, plan, stored, source.policy_id, chosen_scale,
                          tuple(scaled_ages(document, chosen_scale)), settings, put_at, _now(), late_event,
                          Watch({p.name: p.role for p in plan}), created)
    return rehearsal


def rehearse(payloads: Sequence[str] = (), *, timeout_minutes: float = 20.0, keep: bool = False,
             say: Say | None = None, **options: Any) -> RehearsalReport:
    """Start, watch until every verdict is in (or the timeout), clean up unless ``keep``."""
    rehearsal = start_rehearsal(payloads, say=say, **options)
    try:
        return rehearsal.watch_until_done(timeout_s=timeout_minutes * 60, say=say)
    finally:
        if not keep:
            rehearsal.clean_up()


def _progress(report: RehearsalReport) -> str:
    decided = sum(v.agrees is not None for v in report.verdicts)
    deleted = sum(v.deleted_between is not None for v in report.verdicts)
    return (f"rehearsal: {decided} of {len(report.verdicts)} verdicts in, {deleted} indices deleted by ISM "
            "so far")


def _document(planned: PlannedIndex, *, late: bool = False) -> dict[str, Any]:
    what = "late event" if late else f"stands for {planned.source} ({planned.docs} documents)"
    return {"log": f"efklab retention rehearsal: {what}", "source_index": planned.source}


def _now() -> int:
    return int(time.time() * 1000)
