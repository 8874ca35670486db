"""What a container log file holds, and the conditions that make fluentd read it wrongly.

A fold over :func:`efklab.fluentd.tail.containerlogs.read_records`: how many lines became records or were
dropped, Docker lines split at 16 KiB and left unjoined, CRI partial lines, and a ``<parse>``
that does not fit the file (the seed's ``@type json`` on a containerd node drops every line).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from efklab.errors import InputError
from efklab.fluentd.config.find import ParseSpec
from efklab.fluentd.tail.containerlogs import FluentRecord, default_parse, detect_format, read_records
from efklab.model import Reject

_EXAMPLES = 5


@dataclass(frozen=True)
class LogSurvey:
    """Counts and conditions for one log file (or its first ``limit`` lines)."""

    path: str
    format: str  # detected: docker | cri | text
    parse: str  # the <parse> used, e.g. "json (time_format %Y-%m-%dT%H:%M:%S.%NZ)"
    lines: int
    records: int
    rejects: int
    reject_examples: tuple[Reject, ...]
    unterminated: tuple[int, ...]  # docker lines whose `log` has no trailing newline (first few)
    unterminated_count: int
    cri_partials: int
    conditions: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "format": self.format, "parse": self.parse, "lines": self.lines,
                "records": self.records, "rejects": self.rejects,
                "reject_examples": [r.to_json() for r in self.reject_examples],
                "unterminated_lines": list(self.unterminated), "unterminated_count": self.unterminated_count,
                "cri_partials": self.cri_partials, "conditions": list(self.conditions)}


def describe_parse(parse: ParseSpec) -> str:
    detail = f"time_format {parse.time_format}" if parse.time_format else ""
    if parse.type == "regexp":
        detail = f"expression /{parse.expression}/" + (f", {detail}" if detail else "")
    return f"{parse.type} ({detail})" if detail else parse.type


def survey_items(path: str, fmt: str, parse: ParseSpec, items: Iterable[FluentRecord | Reject]) -> LogSurvey:
    """Fold records and rejects of one file into a LogSurvey (pure)."""
    records = rejects = cri_partials = unterminated_count = 0
    examples: list[Reject] = []
    unterminated: list[int] = []
    for item in items:
        if isinstance(item, Reject):
            rejects += 1
            if len(examples) < _EXAMPLES:
                examples.append(item)
            continue
        records += 1
        log = item.record.get("log")
        if fmt == "docker" and isinstance(log, str) and not log.endswith("\n"):
            unterminated_count += 1
            if len(unterminated) < _EXAMPLES:
                unterminated.append(item.lineno)
        if str(item.record.get("logtag", "")).split(":")[0] == "P":
            cri_partials += 1
    lines = records + rejects
    conditions = _conditions(fmt, parse, lines, rejects, unterminated, unterminated_count, cri_partials)
    return LogSurvey(path, fmt, describe_parse(parse), lines, records, rejects, tuple(examples),
                     tuple(unterminated), unterminated_count, cri_partials, tuple(conditions))


def _conditions(fmt: str, parse: ParseSpec, lines: int, rejects: int, unterminated: list[int],
                unterminated_count: int, cri_partials: int) -> list[str]:
    out: list[str] = []
    if lines and rejects * 2 >= lines:
        out.append(f"<parse> {describe_parse(parse)} does not fit these {fmt} lines: {rejects} of {lines} lines "
                   "are dropped by fluentd ('pattern not matched'); after a switch to containerd every "
                   "container line disappears this way")
    elif rejects:
        out.append(f"{rejects} of {lines} lines are dropped by fluentd (see the reject examples)")
    if unterminated_count:
        where = ", ".join(str(n) for n in unterminated)
        out.append(f"docker 16 KiB split lines left unjoined: {unterminated_count} record(s) whose log has no "
                   f"trailing newline (lines {where}{', ...' if unterminated_count > len(unterminated) else ''}): "
                   "dockerd split a longer line; each part reaches concat as its own record")
    if cri_partials:
        out.append(f"{cri_partials} CRI partial (P) line(s): the runtime split lines over 16 KiB; join them "
                   "(use_partial_cri_logtag, or read with --join-partials) before multiline grouping")
    return out


def survey_log(path: str, *, parse: ParseSpec | None = None, fmt: str = "auto", limit: int | None = None,
               now_ns: int = 0) -> LogSurvey:
    """Survey one log file as ``parse`` (default: the one its format implies) would read it."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
            head = list(islice(handle, 5))
    except OSError as exc:
        raise InputError(f"cannot read log file: {exc.strerror or exc}", source=path) from exc
    detected = detect_format(head) if fmt == "auto" else fmt
    used = parse or default_parse(detected)
    items = read_records(path, fmt=detected, parse=used, now_ns=now_ns)
    return survey_items(path, detected, used, islice(items, limit) if limit else items)
