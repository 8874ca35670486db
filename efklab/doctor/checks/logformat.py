"""How in_tail reads the sample logs: a ``<parse>`` that does not fit, split lines, times ``%N`` rejects.

Grounded in pipeline facts 3: ``@type json`` on a CRI line fails to parse and in_tail drops it
with "pattern not matched" (unless ``emit_unmatched_lines``); Docker splits lines over 16 KiB
into records without a trailing newline, containerd into ``P`` ... ``F`` records; a time without
a fraction does not match ``%S.%N`` and the line is dropped with "invalid time format".
"""
from __future__ import annotations

import datetime as dt
import re

from efklab.doctor.findings import Finding, make_finding, quote_line
from efklab.doctor.inputs import DoctorInputs, LogFacts
from efklab.fluentd.concat.rule import PartialCriMode
from efklab.fluentd.config.find import ParseSpec
from efklab.fluentd.tail.containerlogs import default_parse
from efklab.fluentd.tail.survey import describe_parse
from efklab.fluentd.tail.timeformat import TimeFormatError, time_reader
from efklab.model import Reject

PARSE_REF = "fluentd in_tail: a line the parser cannot read is logged as 'pattern not matched' and dropped"
_TIME_DROP = "invalid time format"
DOCKER_PIECE_BYTES = 16 * 1024  # dockerd's log buffer: longer lines reach json-file in pieces of this size
NOT_TAILED = "no source"  # how LogFacts.parse_origin starts for a file no in_tail source reads
FRACTION_FIX = ("remove time_format and set time_type string: fluentd then reads the time with Ruby's Time.parse, "
                "which takes it with or without a fraction")


def _parse_drops(log: LogFacts) -> list[Reject]:
    return [r for r in log.rejects if _TIME_DROP not in r.reason]


def _unread(inputs: DoctorInputs, log: LogFacts) -> bool:
    """A file no in_tail source of the config reads: no <parse> of the config applies to it."""
    return inputs.config is not None and log.parse_origin.startswith(NOT_TAILED)


def check_parse_format(inputs: DoctorInputs) -> list[Finding]:
    """A ``<parse>`` that does not fit the lines (docker json vs CRI): lines dropped before any filter.

    Files read by the same ``<parse>`` with the same format share one cause: one finding each.
    """
    by_cause: dict[tuple[str, str], list[tuple[LogFacts, list[Reject]]]] = {}
    for log in inputs.logs:
        drops = _parse_drops(log)
        if drops and not _unread(inputs, log):
            by_cause.setdefault((log.parse_origin, log.format), []).append((log, drops))
    found = []
    for (origin, fmt), rows in by_cause.items():
        parse = rows[0][0].parse
        dropped = sum(len(d) for _log, d in rows)
        lines = sum(log.lines for log, _d in rows)
        most = dropped * 2 >= lines
        fits = describe_parse(default_parse(fmt))
        files = f"{len(rows)} {fmt} files" if len(rows) > 1 else rows[0][0].name
        evidence = [f"{log.name}: {len(d):,} of {log.lines:,} lines dropped" for log, d in rows if len(rows) > 1]
        evidence += [f"{log.where(r.position)}: {r.reason[:160]}" for log, d in rows[:2] for r in d[:2]]
        from_env = _env_fix(parse, fmt) if most else None
        if from_env is not None:
            evidence.insert(0, from_env[0])
        found.append(make_finding(
            "parse-format", "error" if most else "warning",
            f"{files}: <parse> {describe_parse(parse)} drops {dropped:,} of {lines:,} {fmt} lines",
            where=origin, evidence=evidence,
            figures={"files": len(rows), "lines": lines, "dropped": dropped, "format": fmt},
            why=f"{PARSE_REF}; with @type json on a containerd (CRI) node every container line disappears this way "
                "without an error anywhere but fluentd's own log",
            fix=(from_env[1] if from_env else f"parse {fmt} lines with {fits}" if most
                 else "fix the parser for the lines shown")
                + ("; EKS AMIs from Kubernetes 1.24 run containerd only" if fmt == "cri" else "")))
    return found


_ENV_NAME = re.compile(r"ENV(?:\[\s*['\"]|\.fetch\(\s*['\"])(\w+)")
CRI_ENV = {"type": "/^(?<time>.+) (?<stream>stdout|stderr)( (?<logtag>.))? (?<log>.*)$/",
           "time_format": "%Y-%m-%dT%H:%M:%S.%N%:z"}


def _env_fix(parse: ParseSpec, fmt: str) -> tuple[str, str] | None:
    """(evidence, fix) when the <parse> @type came from an environment default (the DaemonSet images' configs)."""
    param = parse.params.get("@type") or parse.params.get("type")
    names = [m.group(1) for code in (param.embedded if param else ()) for m in _ENV_NAME.finditer(code)]
    if not names:
        return None
    evidence = (f"@type {parse.type} is the config's default for {names[0]} (unset): "
                f"written {param.raw if param else ''}")
    if fmt != "cri":
        return evidence, f"set {names[0]} to a parser for {fmt} lines in the DaemonSet's env"
    time_param = parse.params.get("time_format")
    time_names = [m.group(1) for code in (time_param.embedded if time_param else ()) for m in _ENV_NAME.finditer(code)]
    settings = [f"{names[0]}={CRI_ENV['type']}"]
    if time_names:
        settings.append(f"{time_names[0]}={CRI_ENV['time_format']}")
    return evidence, ("set " + " and ".join(settings) + " in the DaemonSet's env (check it first: efklab doctor "
                      + " ".join(f"--env '{s}'" for s in settings) + ")")


def check_docker_split(inputs: DoctorInputs) -> list[Finding]:
    """Docker's 16 KiB pieces (records without a trailing newline) that the concat filter leaves apart."""
    found = []
    for log in inputs.logs:
        if log.format != "docker" or not log.survey.unterminated_count or _unread(inputs, log):
            continue
        site = inputs.site_of(log)
        pieces = [i for i, r in enumerate(log.records) if _docker_piece(r.record.get("log"))]
        apart = pieces
        if site is not None and site.rule is not None:
            event_of = {n: k for k, e in enumerate(inputs.grouped(log, site.rule)) for n in e.lines}
            apart = [i for i in pieces if i + 1 >= len(log.records) or event_of.get(i) != event_of.get(i + 1)]
        if not apart:
            continue
        found.append(make_finding(
            "docker-split-lines", "warning",
            f"{log.name}: {len(apart):,} line(s) longer than 16 KiB, split by Docker, reach OpenSearch in pieces",
            where=site.where.split(" ")[0] if site else log.name,
            evidence=[f"{log.where(log.records[i].lineno)}: {_bytes(log.records[i].record['log']):,} bytes, "
                      "no trailing newline" for i in apart],
            figures={"pieces_left_apart": len(apart)},
            why="the docker json-file driver splits lines over 16 KiB into records without '\\n'; each piece becomes "
                "its own event, and a JSON log line split this way is no longer JSON (the Lambda indexes no fields)",
            fix="join the pieces before the multiline filter: a concat filter with multiline_end_regexp /\\n$/ "
                "(separator \"\") on the container tag, ahead of the start-regexp filter"))
    return found


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _docker_piece(text: object) -> bool:
    """A record dockerd cut from a longer line: a full 16 KiB buffer and no trailing newline.

    A shorter record without the newline is a last line written without one (a prompt, output
    at exit), not a piece of a split line.
    """
    return isinstance(text, str) and not text.endswith("\n") and _bytes(text) >= DOCKER_PIECE_BYTES


def check_cri_partials(inputs: DoctorInputs) -> list[Finding]:
    """CRI ``P`` records (a line the runtime split) with no concat filter joining them."""
    found = []
    for log in inputs.logs:
        if not log.survey.cri_partials:
            continue
        site = inputs.site_of(log)
        if site is not None and site.rule is not None and isinstance(site.rule.mode, PartialCriMode):
            continue
        found.append(make_finding(
            "cri-partial-lines", "warning",
            f"{log.name}: {log.survey.cri_partials:,} CRI partial (P) record(s) are not joined",
            where=site.where.split(" ")[0] if site else log.parse_origin,
            evidence=[f"{log.where(r.lineno)}: {quote_line(r.record.get('log', ''), 80)}" for r in log.records
                      if str(r.record.get("logtag", "")).split(":")[0] == "P"],
            figures={"partials": log.survey.cri_partials},
            why="containerd splits lines over 16 KiB into P ... F records; without joining, each part is its own event",
            fix="add a concat filter with use_partial_cri_logtag true, partial_cri_logtag_key logtag and "
                "partial_cri_stream_key stream before the multiline filter"))
    return found


def check_time_fraction(inputs: DoctorInputs) -> list[Finding]:
    """Times without a fraction that ``%N`` rejects: observed drops (error) or a probe on the format (info)."""
    found = []
    probed: set[tuple[str, str | None]] = set()
    for log in inputs.logs:
        if _unread(inputs, log):
            continue
        drops = [r for r in log.rejects if _TIME_DROP in r.reason]
        fmt = log.parse.time_format
        if drops:
            reader = f"time_format {fmt}" if fmt else f"time_type {log.parse.time_type or 'float'} (no time_format)"
            found.append(make_finding(
                "time-format-fraction", "error",
                f"{log.name}: {reader} rejects {len(drops):,} line(s); fluentd drops them",
                where=log.parse_origin, evidence=[f"{log.where(r.position)}: {r.reason[:160]}" for r in drops],
                figures={"dropped": len(drops)},
                why="in_tail logs 'invalid time format' and drops the line: the log never reaches CloudWatch",
                fix=FRACTION_FIX))
            continue
        if not fmt or (fmt, log.parse.time_type) in probed or not log.records:
            continue
        probed.add((fmt, log.parse.time_type))
        whole = dt.datetime.fromtimestamp(log.records[0].time_ns // 1_000_000_000, tz=dt.UTC)
        probe = whole.strftime("%Y-%m-%dT%H:%M:%SZ") if fmt.endswith("Z") else whole.isoformat()
        try:
            time_reader(fmt, log.parse.time_type)(probe)
        except TimeFormatError:
            found.append(make_finding(
                "time-format-fraction", "info",
                f"time_format {fmt} needs a fraction: a line logged at a whole second would be dropped",
                where=log.parse_origin, evidence=[f"probe {probe!r}: invalid time format (string doesn't match)"],
                why="Docker and containerd write RFC 3339 times with trailing zeros trimmed, so a time at an exact "
                    "second has no fraction; %S.%N does not match it and in_tail drops the line",
                fix=FRACTION_FIX))
        except ValueError:
            continue
    return found


def check_unrouted_logs(inputs: DoctorInputs) -> list[Finding]:
    """Sample log files no in_tail source of the config reads (path / exclude_path)."""
    if inputs.config is None:
        return []
    unread = [log for log in inputs.logs if _unread(inputs, log)]
    if not unread:
        return []
    return [make_finding(
        "logs-not-tailed", "info",
        f"{len(unread)} sample log file(s) are read by no in_tail source of {inputs.config.path}",
        evidence=[log.name for log in unread], figures={"files": len(unread)},
        why="fluentd never reads these files (path/exclude_path), so the other checks used the default parser for them",
        fix="check the source's path and exclude_path if these logs should be shipped")]
