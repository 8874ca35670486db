"""``efklab doctor``: every known trap of the pipeline, checked on its config, policy, logs and payloads.

One table, :data:`CHECKS`, registers each check: its id, the worst severity it reports, the
inputs it needs (``config``, ``logs``, ``payloads``, ``policy``, ``node``), the source of the
behaviour it relies on, and the pure function that finds it.  :func:`run_checks` runs every
check whose inputs are present and says why the others were skipped; the report is a fold
over the findings (exit 1 when any is an error).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from efklab.doctor.checks import (
    backtracking,
    concatend,
    concatregex,
    concatscope,
    concattiming,
    engineversion,
    indexnames,
    ism,
    logformat,
    mapping,
    ordering,
)
from efklab.doctor.findings import Finding, Severity, count_severities
from efklab.doctor.inputs import DoctorInputs
from efklab.errors import RegexpTimeoutError, UsageError
from efklab.ruby.bounded import locate_subject

CONCAT = "https://github.com/fluent-plugins-nursery/fluent-plugin-concat"
FLUENTD = "https://github.com/fluent/fluentd"
OPENSEARCH = "https://github.com/opensearch-project/OpenSearch"
ISM = "https://github.com/opensearch-project/index-management"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One registered check."""

    id: str
    severity: Severity  # the worst it reports
    needs: tuple[str, ...]  # every one of these inputs must be present
    summary: str
    refs: tuple[str, ...]
    run: Callable[[DoctorInputs], list[Finding]] = field(repr=False)


def _spec(id: str, severity: Severity, needs: str, summary: str, refs: str,
          run: Callable[[DoctorInputs], list[Finding]]) -> CheckSpec:
    return CheckSpec(id, severity, tuple(needs.split()), summary, tuple(refs.split()), run)


CHECKS: tuple[CheckSpec, ...] = (
    _spec("concat-rule-refused", "error", "config", "concat filters fluentd refuses at startup",
          f"{CONCAT}/blob/master/lib/fluent/plugin/filter_concat.rb", concattiming.check_rule_refused),
    _spec("regexp-backtracking", "warning", "config", "regexps that can backtrack exponentially (nested quantifiers)",
          "https://docs.ruby-lang.org/en/3.2/Regexp.html", backtracking.check_backtracking),
    _spec("concat-regexp-flags", "error", "config", "/x/i: flags after the closing slash are silently lost",
          f"{CONCAT}/blob/master/lib/fluent/plugin/filter_concat.rb", concatregex.check_regexp_flags),
    _spec("concat-regexp-unslashed", "error", "config", "a value without /.../ loses its first and last characters",
          f"{CONCAT}/blob/master/lib/fluent/plugin/filter_concat.rb", concatregex.check_regexp_unslashed),
    _spec("concat-regexp-comment", "error", "config", "an unquoted value is cut at ' #'",
          f"{FLUENTD}/blob/master/lib/fluent/config/literal_parser.rb", concatregex.check_regexp_comment),
    _spec("concat-regexp-escapes", "warning", "config",
          "escapes in quoted values are processed before concat sees them",
          f"{FLUENTD}/blob/master/lib/fluent/config/literal_parser.rb", concatregex.check_regexp_escapes),
    _spec("concat-start-never-matches", "error", "config logs", "a start regexp that never matches the sample logs",
          f"{CONCAT}#usage", concatregex.check_start_never_matches),
    _spec("concat-start-always-matches", "error", "config logs",
          "a start regexp that matches every line, continuations too",
          f"{CONCAT}#usage", concatregex.check_start_always_matches),
    _spec("concat-start-unanchored", "warning", "config", "unanchored start patterns matching mid-line",
          "https://docs.ruby-lang.org/en/3.1/Regexp.html", concatregex.check_start_unanchored),
    _spec("concat-start-matches-frames", "error", "config logs",
          "a start regexp that matches the continuation lines but not the first lines",
          f"{CONCAT}/blob/master/lib/fluent/plugin/filter_concat.rb", concatregex.check_start_matches_frames),
    _spec("concat-start-equals-continuous", "error", "config",
          "continuous_line_regexp equal to the start regexp: nothing is ever joined",
          f"{CONCAT}/blob/master/lib/fluent/plugin/filter_concat.rb", concatregex.check_start_equals_continuous),
    _spec("concat-end-newline-literal", "error", "config",
          "\\\\n inside /.../: a backslash and an n, never the end of a line",
          "https://docs.ruby-lang.org/en/3.1/Regexp.html", concatend.check_end_newline_literal),
    _spec("concat-end-matches-start", "error", "config logs",
          "an end regexp that also matches the start lines: groups close on their first line",
          f"{CONCAT}/blob/master/lib/fluent/plugin/filter_concat.rb", concatend.check_end_matches_start),
    _spec("concat-end-never-matches", "error", "config logs",
          "an end regexp no sample line matches: groups end only by the next start or the timer",
          f"{CONCAT}/blob/master/lib/fluent/plugin/filter_concat.rb", concatend.check_end_never_matches),
    _spec("concat-filter-scope", "error", "config",
          "a concat filter whose pattern also catches journald, kubelet or forwarded records",
          "https://docs.fluentd.org/configuration/config-file#how-do-the-match-patterns-work",
          concatscope.check_filter_scope),
    _spec("concat-timeout-label", "error", "config", "no (or an undefined) timeout_label: last lines go to @ERROR",
          f"{CONCAT}/issues/70 {CONCAT}/issues/108", concattiming.check_timeout_label),
    _spec("concat-flush-interval", "warning", "config logs",
          "flush_interval shorter than gaps inside multi-line statements",
          f"{CONCAT}#configuration", concattiming.check_flush_interval),
    _spec("concat-rule-warnings", "warning", "config", "parameters fluentd ignores or misreads",
          f"{CONCAT}#configuration", concattiming.check_rule_warnings),
    _spec("concat-cri-separator", "error", "config logs", "separator \"\" on CRI lines glues joined lines together",
          "https://github.com/fluent/fluentd-kubernetes-daemonset/issues/412", concattiming.check_cri_separator),
    _spec("parse-format", "error", "logs", "a <parse> that does not fit the lines (docker json vs CRI)",
          f"{FLUENTD}/blob/master/lib/fluent/plugin/in_tail.rb", logformat.check_parse_format),
    _spec("docker-split-lines", "warning", "logs", "Docker's 16 KiB pieces left unjoined",
          "https://docs.docker.com/engine/logging/drivers/json-file/", logformat.check_docker_split),
    _spec("cri-partial-lines", "warning", "logs", "CRI partial (P) records not joined",
          "https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/kuberuntime/logs/logs.go",
          logformat.check_cri_partials),
    _spec("time-format-fraction", "error", "logs", "times without a fraction that %N rejects (lines dropped)",
          f"{FLUENTD}/blob/master/lib/fluent/plugin/parser.rb", logformat.check_time_fraction),
    _spec("logs-not-tailed", "info", "config logs", "sample logs no in_tail source reads",
          f"{FLUENTD}/blob/master/lib/fluent/plugin/in_tail.rb", logformat.check_unrouted_logs),
    _spec("bulk-type-field", "error", "payloads", "_type in bulk actions against OpenSearch 2.x",
          f"{OPENSEARCH}/blob/main/server/src/main/java/org/opensearch/action/bulk/BulkRequestParser.java",
          indexnames.check_bulk_type),
    _spec("payload-rejects", "error", "payloads",
          "events the Lambda throws on, unreadable payloads, lines the pipeline drops",
          "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html",
          indexnames.check_payload_rejects),
    _spec("index-name-invalid", "error", "payloads", "index names OpenSearch refuses",
          f"{OPENSEARCH}/blob/main/server/src/main/java/org/opensearch/cluster/metadata/MetadataCreateIndexService.java",
          indexnames.check_index_names),
    _spec("index-name-uppercase", "error", "payloads", "upper case from log group names",
          f"{OPENSEARCH}/blob/main/server/src/main/java/org/opensearch/cluster/metadata/MetadataCreateIndexService.java",
          indexnames.check_index_uppercase),
    _spec("index-name-undefined", "warning", "payloads", "'undefined' in index names from short log groups",
          "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html",
          indexnames.check_index_undefined),
    _spec("mapping-conflict-index", "error", "payloads", "mapping conflicts inside an index",
          "https://opensearch.org/docs/latest/field-types/", mapping.check_mapping_conflicts),
    _spec("mapping-conflict-pattern", "warning", "payloads", "mapping conflicts across an index pattern",
          "https://opensearch.org/docs/latest/dashboards/management/index-patterns/", mapping.check_pattern_conflicts),
    _spec("mapping-field-limit", "error", "payloads", "field counts near or over index.mapping.total_fields.limit",
          "https://opensearch.org/docs/latest/install-and-configure/configuring-opensearch/index-settings/",
          mapping.check_field_limit),
    _spec("shard-projection", "error", "payloads", "open shards over the retention period against the cluster limit",
          f"{OPENSEARCH}/blob/main/server/src/main/java/org/opensearch/indices/ShardLimitValidator.java",
          mapping.check_shard_projection),
    _spec("ism-multiple-conditions", "error", "policy", "more than one condition in a transition",
          f"{ISM}/blob/main/src/main/kotlin/org/opensearch/indexmanagement/indexstatemanagement/model/Transition.kt",
          ism.check_multiple_conditions),
    _spec("ism-policy-invalid", "error", "policy", "a policy the ISM plugin refuses",
          f"{ISM}", ism.check_policy_invalid),
    _spec("ism-template", "error", "policy", "no ism_template, or one that matches none of the Lambda's indices",
          "https://opensearch.org/docs/latest/im-plugin/ism/policies/", ism.check_template),
    _spec("ism-existing-indices", "error", "policy node", "existing indices the template will never reach",
          f"{ISM}/issues/264", ism.check_existing_indices),
    _spec("ism-creation-date", "warning", "policy payloads", "retention counted from creation while data is backfilled",
          f"{ISM}/blob/main/src/main/kotlin/org/opensearch/indexmanagement/indexstatemanagement/util/ManagedIndexUtils.kt",
          ism.check_backfill_age),
    _spec("ism-late-events", "warning", "policy payloads", "late events recreating deleted daily indices",
          "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html", ism.check_late_events),
    _spec("ism-never-deletes", "warning", "policy", "a policy without a delete action",
          "https://opensearch.org/docs/latest/im-plugin/ism/policies/", ism.check_never_deletes),
    _spec("ism-or-transitions", "info", "policy", "several transitions in a state are OR, first match wins",
          "https://opensearch.org/docs/latest/im-plugin/ism/policies/", ism.check_or_transitions),
    _spec("ism-plugin-missing", "error", "policy node", "no Index State Management plugin on the node",
          "https://opensearch.org/docs/latest/im-plugin/ism/index/", ism.check_ism_plugin),
    _spec("ism-node", "info", "policy node", "what the node's ISM does now: policy stored, managed, failed, deleted",
          "https://opensearch.org/docs/latest/im-plugin/ism/api/", ism.check_ism_on_node),
    _spec("engine-version", "error", "payloads", "_type per index on 7.x/1.x, and what the node's next upgrade refuses",
          f"{OPENSEARCH}/blob/1.3/server/src/main/java/org/opensearch/index/mapper/MapperService.java",
          engineversion.check_engine_version),
    _spec("ordering-split-continuations", "error", "", "continuation lines as separate events with equal milliseconds",
          "https://github.com/elastic/kibana/issues/32221", ordering.check_split_continuations),
    _spec("ordering-ties", "warning", "", "events tied on stream and millisecond, no tiebreaker",
          "https://github.com/elastic/elasticsearch/issues/29128", ordering.check_ties),
)
CHECK_IDS = tuple(c.id for c in CHECKS)
# The ordering checks read grouped logs (config + logs) or payloads: either will do.
ALTERNATIVES = {"ordering-split-continuations": (("config", "logs"), ("payloads",)),
                "ordering-ties": (("config", "logs"), ("payloads",))}


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One check's outcome: ran (with how many findings) or skipped (and why)."""

    id: str
    status: str  # "clean" | "found" | "skipped"
    findings: int = 0
    reason: str = ""


@dataclass(frozen=True)
class DoctorReport:
    """Every finding, in table order, and what ran."""

    findings: tuple[Finding, ...]
    runs: tuple[CheckRun, ...]
    inputs: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        return count_severities(self.findings)

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when any error was found (any warning too with ``strict``), else 0."""
        c = self.counts
        return 1 if c["error"] or (strict and c["warning"]) else 0

    def to_json(self) -> dict[str, Any]:
        return {"inputs": self.inputs,
                "summary": {**self.counts, "checks_run": sum(r.status != "skipped" for r in self.runs),
                            "checks_skipped": sum(r.status == "skipped" for r in self.runs)},
                "findings": [f.to_json() for f in self.findings],
                "checks": [{"id": r.id, "status": r.status, "findings": r.findings, "reason": r.reason}
                           for r in self.runs]}


def missing_inputs(spec: CheckSpec, available: frozenset[str]) -> str:
    """Why ``spec`` cannot run on these inputs ("" when it can)."""
    options = ALTERNATIVES.get(spec.id, (spec.needs,))
    if any(all(n in available for n in need) for need in options):
        return ""
    wanted = " or ".join(" + ".join(f"--{n}" if n != "node" else "--opensearch-url" for n in need) for need in options)
    return f"needs {wanted}"


def select_checks(only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[CheckSpec]:
    """The registered checks, restricted by ``only`` / ``skip`` (ids or id prefixes such as ``ism-``)."""
    for name in (*only, *skip):
        if not any(c.startswith(name) for c in CHECK_IDS):
            raise UsageError(f"no check named {name!r} (efklab doctor --list shows them)", source="--only/--skip")
    chosen = [c for c in CHECKS if not only or any(c.id.startswith(o) for o in only)]
    return [c for c in chosen if not any(c.id.startswith(s) for s in skip)]


def run_checks(inputs: DoctorInputs, checks: Sequence[CheckSpec] = CHECKS) -> DoctorReport:
    """Run every check whose inputs are present; findings in table order."""
    available = inputs.available()
    findings: list[Finding] = []
    runs: list[CheckRun] = []
    for spec in checks:
        reason = missing_inputs(spec, available)
        if reason:
            runs.append(CheckRun(spec.id, "skipped", 0, reason))
            continue
        try:
            found = spec.run(inputs)
        except RegexpTimeoutError as exc:  # a user regexp that backtracks without end: placed at the log line
            raise locate_subject(exc, (r for log in inputs.logs for r in log.records)) from None
        findings.extend(found)
        runs.append(CheckRun(spec.id, "found" if found else "clean", len(found)))
    return DoctorReport(tuple(findings), tuple(runs), describe_inputs(inputs))


def describe_inputs(inputs: DoctorInputs) -> dict[str, Any]:
    """What was looked at, for the report header."""
    out: dict[str, Any] = {}
    if inputs.config is not None:
        out["config"] = {"path": inputs.config.path, "concat_filters": len(inputs.config.sites)}
    if inputs.logs:
        out["logs"] = {"files": len(inputs.logs), "lines": sum(log.lines for log in inputs.logs),
                       "formats": sorted({log.format for log in inputs.logs})}
    if inputs.payloads is not None:
        p = inputs.payloads
        out["payloads"] = {"origin": p.origin, "payloads": len(p.payloads),
                           "events": sum(len(x.log_events) for x in p.payloads if x.message_type == "DATA_MESSAGE"),
                           "indices": len(p.layout.indices), "pattern": p.pattern}
    if inputs.policy is not None:
        out["policy"] = {"path": inputs.policy.path, "valid": inputs.policy.policy is not None}
    if inputs.node is not None:
        n = inputs.node
        out["node"] = {"url": n.url, "version": n.version, "distribution": n.distribution, "data_nodes": n.data_nodes,
                       "ism": n.ism}
    s = inputs.settings
    out["settings"] = {"mode": s.mode, "index_strategy": s.index_strategy, "prefix": s.prefix}
    if inputs.notes:
        out["notes"] = list(inputs.notes)
    return out
