"""Ordering in Dashboards: continuation lines as separate documents on the same millisecond, and ties.

The events come from the sample logs grouped by their concat filter (truth: the file's line
order, timestamps cut to milliseconds as fluent-plugin-cloudwatch-logs does) or, without logs,
from the payloads (truth: CloudWatch event id order).  :func:`efklab.ordering.measure.measure_order` and
:func:`efklab.ordering.diagnosis.detect_causes` do the measuring; Discover sorts by
``@timestamp`` only unless a tiebreaker is configured, so tied documents come back in any order.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

from efklab.cloudwatch.delivery import timestamp_ms
from efklab.doctor.checks.concatend import end_closed_share
from efklab.doctor.checks.groupshape import shown_pattern
from efklab.doctor.findings import Finding, make_finding, quote_line
from efklab.doctor.inputs import DoctorInputs
from efklab.fluentd.concat.rule import RegexpMode
from efklab.ordering.diagnosis import Measurement, detect_causes
from efklab.ordering.measure import OrderReport, Shown, SourceRef, measure_order

SPLIT_ERROR_SHARE = 0.01  # continuation lines indexed alone, as a share of documents, that make it an error
KIBANA_TIEBREAK = "https://github.com/elastic/kibana/issues/32221"


@dataclass(frozen=True, slots=True)
class EventSample:
    """Documents as Discover would list them (newest first), where they came from, and the truth when known."""

    origin: str
    shown: tuple[Shown, ...]
    provenance: dict[str, tuple[SourceRef, ...]] | None
    where: str | None  # the rule to change, when the events come from a config


def sample_events(inputs: DoctorInputs) -> EventSample | None:
    """The events to measure: the logs under their concat rule, else the payloads, else None."""
    grouped = inputs.logs_with_rules()
    if grouped:
        shown: list[Shown] = []
        provenance: dict[str, tuple[SourceRef, ...]] = {}
        where = None
        for log, site, rule in grouped:
            where = where or site.param_where("multiline_start_regexp")
            name, key_field = log.name, rule.key
            refs = [SourceRef(name, r.lineno) for r in log.records]  # one per line, shared by the events made of it
            size = len(refs)
            for n, event in enumerate(inputs.grouped(log, rule)):
                lines = event.lines
                key = f"{name}#{n}"
                if len(lines) == 1 and 0 <= lines[0] < size:  # most events are one line
                    provenance[key] = (refs[lines[0]],)
                else:
                    provenance[key] = tuple([refs[i] for i in lines if 0 <= i < size])
                text = event.record.get(key_field)
                shown.append(Shown(key, timestamp_ms(event.time_ns), name, "", None,
                                   text if isinstance(text, str) else None))
        origin = f"{len(grouped)} log file(s) grouped by {inputs.config.path if inputs.config else 'the config'}"
        return EventSample(origin, _discover_order(shown), provenance, where)
    if inputs.payloads is not None:
        shown = [Shown(e.id, int(e.timestamp), p.log_stream, text=_log_text(e.message))
                 for p in inputs.payloads.payloads for e in p.log_events
                 if type(e.timestamp) is int or math.isfinite(e.timestamp)]  # Infinity: the Lambda throws on it
        return EventSample(inputs.payloads.origin, _discover_order(shown), None, None)
    return None


def _discover_order(shown: Iterable[Shown]) -> tuple[Shown, ...]:
    """Newest first by @timestamp, ties in arrival order: one of the orders Discover may show."""
    return tuple(sorted(shown, key=lambda s: -s.timestamp_ms))


def _log_text(message: str) -> str | None:
    """The ``log`` field of a fluentd record sent as JSON (the message itself otherwise)."""
    try:
        record = json.loads(message)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
        return message
    return record.get("log") if isinstance(record, dict) and isinstance(record.get("log"), str) else message


def _measure(inputs: DoctorInputs) -> tuple[EventSample, OrderReport] | None:
    return inputs.derived("ordering", lambda: _measure_once(inputs))


def _measure_once(inputs: DoctorInputs) -> tuple[EventSample, OrderReport] | None:
    sample = sample_events(inputs)
    if sample is None or not sample.shown:
        return None
    return sample, measure_order(sample.shown, sample.provenance)


def check_split_continuations(inputs: DoctorInputs) -> list[Finding]:
    """Continuation lines indexed as documents of their own, tied on the millisecond with the line before."""
    measured = _measure(inputs)
    if measured is None:
        return []
    sample, report = measured
    totals = report.totals()
    causes = [c for c in detect_causes(Measurement.of(sample.origin, (), report)) if c.code == "continuation-split"]
    split = totals["split_continuations"]
    if not causes or not split:
        return []
    share = split / totals["documents"] if totals["documents"] else 0.0
    by_id = {s.id: s for s in sample.shown}
    examples: list[str] = []
    ranked = {(p.stream, p.true_rank): p for p in report.placed}
    for placed in sorted(report.placed, key=lambda p: (p.stream, p.true_rank)):
        before = ranked.get((placed.stream, placed.true_rank - 1))
        if before is None or len(examples) >= 2:
            continue
        if placed.continuation and placed.lines == 1 and before.timestamp_ms == placed.timestamp_ms:
            doc = by_id[placed.id]
            if placed.first_line:
                examples.append(f"{placed.stream}:{placed.first_line}: {quote_line(doc.text or '', 90)} alone, "
                                f"same millisecond as line {before.last_line}")
            else:
                examples.append(f"{placed.stream} id {placed.id}: {quote_line(doc.text or '', 90)} alone, "
                                f"@timestamp ms {doc.timestamp_ms}")
    per_stream = sorted(((s.split_continuations, s.stream) for s in report.streams if s.split_continuations),
                        reverse=True)
    evidence = [f"events from {sample.origin}",
                (f"{split:,} of {totals['documents']:,} documents ({share:.1%}) are continuation lines indexed alone "
                 f"on the millisecond of the line before; {totals['documents_in_ties']:,} documents share their "
                 "stream and millisecond with another"),
                *[f"{stream}: {n:,} split continuation line(s)" for n, stream in per_stream[:2]], *examples]
    where, fix = sample.where, causes[0].cure
    blamed = _end_regexp_blame(inputs, split)
    if blamed is not None:
        where, fix, line = blamed
        evidence.append(line)
    return [make_finding(
        "ordering-split-continuations", "error" if share >= SPLIT_ERROR_SHARE else "warning",
        f"continuation lines become separate documents with the same millisecond: "
        f"{split:,} of {totals['documents']:,} documents",
        where=where, evidence=evidence,
        figures={"split_continuations": split, "documents": totals["documents"], "share": round(share, 4),
                 "documents_in_ties": totals["documents_in_ties"], "tie_groups": totals["tie_groups"]},
        why="Discover sorts by @timestamp alone; the lines of one stack trace share a millisecond, so OpenSearch "
            "returns them in shard/indexing order and the trace reads shuffled (the seed's symptom)",
        fix=fix + "; and sort by @timestamp then @id in the index pattern / saved search")]


def _end_regexp_blame(inputs: DoctorInputs, split: int) -> tuple[str, str, str] | None:
    """(where, fix, evidence) naming multiline_end_regexp when most lone lines follow groups it closed."""
    after_end = 0
    blamed = None
    for log, site, rule in inputs.logs_with_rules():
        if isinstance(rule.mode, RegexpMode) and rule.mode.end is not None:
            _closed, lone = end_closed_share(inputs, log, rule)
            after_end += lone
            blamed = blamed or site
    if blamed is None or not after_end or after_end * 2 < split:
        return None
    end = shown_pattern(blamed, "multiline_end_regexp")
    return (blamed.param_where("multiline_end_regexp"),
            f"multiline_end_regexp {end} closes groups before their continuation lines: remove it or make it match "
            "only the last line of a statement (see concat-end-matches-start)",
            f"{after_end:,} of the {split:,} lone lines come right after a group multiline_end_regexp {end} closed")


def check_ties(inputs: DoctorInputs) -> list[Finding]:
    """Documents sharing stream and millisecond: their order in Discover needs a tiebreaker."""
    measured = _measure(inputs)
    if measured is None:
        return []
    _sample, report = measured
    totals = report.totals()
    if not totals["tie_groups"]:
        return []
    worst = sorted(report.streams, key=lambda s: -s.documents_in_ties)[:3]
    return [make_finding(
        "ordering-ties", "warning",
        f"{totals['documents_in_ties']:,} of {totals['documents']:,} documents share their stream and millisecond with "
        f"another ({totals['tie_groups']:,} groups, largest {totals['largest_tie']})",
        evidence=[f"{s.stream}: {s.documents_in_ties:,} documents in {s.tie_groups:,} tie groups"
                  for s in worst if s.tie_groups],
        figures={k: totals[k] for k in ("documents", "documents_in_ties", "tie_groups", "largest_tie")},
        why=f"CloudWatch keeps milliseconds only and Discover sorts by @timestamp alone: tied documents come back in "
            f"shard order, not in the order they were written ({KIBANA_TIEBREAK})",
        fix="add a tiebreaker: sort by @timestamp then @id (CloudWatch ids grow in ingestion order per stream); "
            "efklab ordering --export-dashboards writes a saved search that does")]
