"""Filter scope: a concat filter whose pattern also catches records of other sources.

fluentd applies a ``<filter PATTERN>`` to every event whose tag matches, in the label the event
travels in.  A multiline rule written for container lines (``<filter **>``) then also sees
journald, kubelet, kernel or forwarded records, whose lines look different: they never start
with the app's first-line shape and never end with ``\\n``, so an end regexp like ``/\\n$/``
holds them until the timer, and a start regexp appends them to the last container statement.
"""
from __future__ import annotations

import os

from efklab.doctor.checks.groupshape import shown_pattern
from efklab.doctor.findings import Finding, Severity, make_finding, quote_line
from efklab.doctor.inputs import ConcatSite, ConfigFacts, DoctorInputs, LogFacts
from efklab.fluentd.concat.engine import ROUTE_MAIN
from efklab.fluentd.config.find import SourceSpec
from efklab.fluentd.routing import CONTAINER_DIR, matches_pattern, tail_globs
from efklab.fluentd.tail.containerlogs import fluentd_tag

_FILE = "__file__"


def _reads_containers(source: SourceSpec) -> bool:
    return source.type == "tail" and any(os.path.dirname(g) == CONTAINER_DIR for g in tail_globs(source)[0])


def _tags(source: SourceSpec) -> list[str]:
    """Tags the source's records carry (a representative one per path glob for ``*`` tags)."""
    tag = source.tag or ""
    if source.type == "tail" and "*" in tag:
        return [fluentd_tag(g.replace("*", "x"), tag, os.path.dirname(g)) for g in tail_globs(source)[0]]
    return [tag] if tag else []


def _catches(site: ConcatSite, source: SourceSpec) -> bool:
    """Whether records of ``source`` reach the concat filter of ``site`` (same label, tag matches)."""
    f = site.filter
    if (f.effective_label or f.label) != source.label:
        return False
    pattern = f.pattern or "**"
    if source.type == "forward":  # the sender picks the tags: only a catch-all pattern surely sees them
        return "**" in pattern.split()
    return any(matches_pattern(pattern, t) for t in _tags(source))


def container_pattern(sources: list[SourceSpec]) -> str | None:
    """The filter pattern that matches the container sources' tags only (``kubernetes.var.log.containers.**``)."""
    patterns = sorted({fluentd_tag(f"{CONTAINER_DIR}/{_FILE}", s.tag or "*").replace(_FILE, "**")
                       for s in sources if s.tag and "*" in s.tag})
    return " ".join(patterns) or None


def _kind(source: SourceSpec) -> str:
    if source.type == "tail":
        return f"in_tail {', '.join(tail_globs(source)[0])}"
    return f"@type {source.type}" + (f" (tag {source.tag})" if source.tag else "")


def _sample_harm(inputs: DoctorInputs, index: int, others: list[SourceSpec]) -> tuple[list[str], bool]:
    """Evidence from sample records of the other sources this filter applies to, and whether it shows damage."""
    evidence: list[str] = []
    harm = False
    site = inputs.config.sites[index] if inputs.config else None
    rule = site.rule if site else None
    if rule is None:
        return evidence, harm
    logs: list[LogFacts] = [log for log in inputs.logs if log.site == index and log.source in others and log.records]
    for log in logs:
        keyed = [r for r in log.records if isinstance(r.record.get(rule.key), str)]
        if not keyed:
            evidence.append(f"{log.name}: no record has '{rule.key}', so concat passes them through")
            continue
        events = inputs.grouped(log, rule)
        joined = [e for e in events if len(e.lines) > 1]
        timed = [e for e in events if e.route != ROUTE_MAIN]
        unterminated = sum(1 for r in keyed if not r.record[rule.key].endswith("\n"))
        line = (f"{log.name}: {len(keyed):,} records with '{rule.key}' ({unterminated:,} not ending in \\n): "
                f"{len(joined):,} event(s) join several records, {len(timed):,} leave by the timer")
        evidence.append(line)
        if joined:
            first = joined[0]
            evidence.append(f"  e.g. {log.where(log.records[first.lines[0]].lineno)}: {len(first.lines)} records "
                            f"joined: {quote_line(first.record.get(rule.key, ''), 70)}")
        harm = harm or bool(joined or timed)
    return evidence, harm


def check_filter_scope(inputs: DoctorInputs) -> list[Finding]:
    """A concat filter that catches container records and, through its pattern, other sources' records too."""
    config: ConfigFacts | None = inputs.config
    if config is None:
        return []
    found = []
    for index, site in enumerate(config.sites):
        if site.rule is None:
            continue
        caught = [s for s in config.inputs if _catches(site, s)]
        containers = [s for s in caught if _reads_containers(s)]
        others = [s for s in caught if not _reads_containers(s)]
        if not containers or not others:
            continue
        evidence = [f"{s.file}:{s.line} {_kind(s)}" + (f" -> tag {t}" if (t := s.tag) else "") for s in others]
        sample, harm = _sample_harm(inputs, index, others)
        evidence += sample
        narrow = container_pattern(containers)
        regexps = [f"{n} {shown_pattern(site, n)}" for n in ("multiline_start_regexp", "multiline_end_regexp")
                   if site.filter.params.get(n) is not None]
        severity: Severity = "error" if harm else "warning"
        found.append(make_finding(
            "concat-filter-scope", severity,
            f"<filter {site.filter.pattern}> concat also catches {len(others)} non-container source(s) "
            f"({', '.join(sorted({s.type for s in others}))})",
            where=site.where.split(" ")[0], evidence=evidence,
            figures={"other_sources": len(others), "sample_damage": harm},
            why=f"the rule ({'; '.join(regexps) or 'its grouping'}) was written for container lines; journald, "
                "kubelet, kernel and forwarded records never match the app's first line and never end with '\\n', "
                "so they are appended to the last container statement or held until flush_interval and joined",
            fix=(f"narrow the filter to the container tags: <filter {narrow}>" if narrow else
                 "narrow the filter pattern to the container tags")
                + ", or give the other sources their own @label"))
    return found
