"""Concat filters as fluentd runs them: refused rules, the timeout route, the flush timer, the separator.

Grounded in the plugin's behaviour (pipeline facts 1.3-1.4): a timeout or shutdown flush goes to
``timeout_label`` or, without one, to the ``@ERROR`` route (``router.emit_error_event``), where
events are dropped unless a ``<label @ERROR>`` handles them; the timer flushes a stream idle
for ``flush_interval`` seconds of wall clock, splitting any statement whose lines come slower.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from itertools import pairwise

from efklab.doctor.findings import Finding, make_finding, quote_line
from efklab.doctor.inputs import DoctorInputs, LogFacts, lines_by_sequence
from efklab.fluentd.concat.engine import ROUTE_ERROR, ROUTE_TIMEOUT, Emitted
from efklab.fluentd.concat.rule import PARAM_TYPES, RegexpMode
from efklab.ordering.measure import CONTINUATION

CONCAT_ISSUES = "https://github.com/fluent-plugins-nursery/fluent-plugin-concat/issues/70"


def check_rule_refused(inputs: DoctorInputs) -> list[Finding]:
    """A concat filter fluentd refuses at startup (``configure`` raises): the whole config fails."""
    if inputs.config is None:
        return []
    found = []
    for site in inputs.config.sites:
        if site.error is None:
            continue
        guesses = misspelled_params(site.filter.params)
        found.append(make_finding(
            "concat-rule-refused", "error", f"fluentd refuses this concat filter: {site.error.reason}",
            where=f"{site.error.source or site.filter.file}:{site.error.position or site.filter.line}",
            evidence=[site.where, *(f"{site.param_where(name)}: '{name}' is not a concat parameter; did you mean "
                                   f"'{guess}'?" for name, guess in guesses)],
            why="the plugin's configure raises, so fluentd (and fluentd --dry-run) stops with an error "
                "and no log is shipped",
            fix=("rename " + ", ".join(f"{name} to {guess}" for name, guess in guesses)) if guesses
                else "fix the parameter named in the message"))
    return found


_COMMON_PARAMS = frozenset({"@type", "@id", "@label", "@log_level", "type", "id", "log_level"})


def misspelled_params(params: Mapping[str, object]) -> list[tuple[str, str]]:
    """(written name, the concat parameter it most resembles) for names the plugin does not declare.

    The declared names are fluent-plugin-concat 2.6's ``config_param`` list; a name is a
    likely misspelling when difflib finds a declared name close to it.
    """
    out = []
    for name in params:
        if name in PARAM_TYPES or name in _COMMON_PARAMS or name.startswith("@"):
            continue
        close = difflib.get_close_matches(name, PARAM_TYPES, n=1, cutoff=0.75)
        if close:
            out.append((name, close[0]))
    return out


def check_timeout_label(inputs: DoctorInputs) -> list[Finding]:
    """No ``timeout_label`` (or one that is not defined): timeout and shutdown flushes leave the normal route."""
    if inputs.config is None:
        return []
    found = []
    for index, site in enumerate(inputs.config.sites):
        rule = site.rule
        if rule is None:
            continue
        label = rule.timeout_label
        if label is not None and (label in inputs.config.labels or not inputs.config.labels):
            continue  # defined (or a bare filter body, whose labels are elsewhere)
        # An undefined label is looked up only when a flush happens: those events are lost the same way.
        routes = (ROUTE_ERROR, ROUTE_TIMEOUT) if label is not None else (ROUTE_ERROR,)
        lost = [(log, e) for log, s, r in inputs.logs_with_rules() if log.site == index
                for e in inputs.grouped(log, r) if e.route in routes]
        evidence = [site.where, *_lost_lines(lost, rule.key, label or "@ERROR")]
        figures = {"events_to_error": len(lost), "lines_to_error": sum(len(e.lines) for _l, e in lost)}
        if label is not None:
            found.append(make_finding(
                "concat-timeout-label", "error", f"timeout_label {label} is not defined in the config",
                where=site.param_where("timeout_label"), evidence=evidence, figures=figures,
                why="concat looks the label up when the first timeout flush happens; fluentd cannot find it, logs the "
                    "error and the flushed event (the last lines of a stream) is lost",
                fix=f"define <label {label}> (usually relabel to the output's label, e.g. @NORMAL), "
                    "or point timeout_label at one"))
            continue
        handled = inputs.config.error_label
        found.append(make_finding(
            "concat-timeout-label", "warning" if handled else "error",
            "no timeout_label: the last lines of each stream go to the @ERROR route"
            + (" (a <label @ERROR> receives them, not your normal output)" if handled else " and are dropped"),
            where=site.where.split(" ")[0], evidence=evidence, figures=figures,
            why="a timeout or shutdown flush is emitted with router.emit_error_event when timeout_label is unset; "
                "without a <label @ERROR> fluentd drops it, so the last statement before every quiet period never "
                f"arrives ('Timeout flush' errors, see {CONCAT_ISSUES})",
            fix="add timeout_label @NORMAL (the label that holds your output) to the concat filter"))
    return found


def _lost_lines(lost: list[tuple[LogFacts, Emitted]], key: str, target: str) -> list[str]:
    """The sample lines the timer or shutdown sends to ``target``: each event's first line, and its last."""
    out = []
    for log, event in lost:
        parts = lines_by_sequence(log.records, event.lines)
        if not parts:
            continue
        first = parts[0]
        head = (f"{log.where(first.lineno)}: {len(parts)} line(s) go to {target}: "
                f"{quote_line(first.record.get(key, ''), 70)}")
        if len(parts) > 1:
            head += f" ... line {parts[-1].lineno} {quote_line(parts[-1].record.get(key, ''), 40)}"
        out.append(head)
    return out


def check_flush_interval(inputs: DoctorInputs) -> list[Finding]:
    """``flush_interval`` shorter than the gap before a continuation line of a statement: the timer splits it.

    Statements are the groups the rule makes with no timer; a gap counts only before a line that
    looks like a continuation (stack frame, indented body), since a later unrelated line that the
    rule appends for want of a start match is not part of the statement.
    """
    config = inputs.config
    if config is None:
        return []
    found = []
    per_site: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    worst: dict[int, float] = {}
    for log, _site, rule in inputs.logs_with_rules():
        if rule.flush_interval <= 0 or log.site is None:
            continue
        limit_ns = rule.flush_interval * 1e9
        for event in inputs.grouped(log, rule, flush_timeouts="off"):
            if len(event.lines) < 2:
                continue
            parts = lines_by_sequence(log.records, event.lines)
            gaps = [(b.time_ns - a.time_ns, b) for a, b in pairwise(parts) if _continues(b.record.get(rule.key))]
            gap, at = max(gaps, key=lambda g: g[0], default=(0, None))
            if at is not None and gap >= limit_ns:
                counts[log.site] = counts.get(log.site, 0) + 1
                worst[log.site] = max(worst.get(log.site, 0.0), gap / 1e9)
                per_site.setdefault(log.site, []).append(
                    f"{log.where(parts[0].lineno)}: {len(parts)} lines, {gap / 1e9:.1f} s before line {at.lineno} "
                    f"({quote_line(at.record.get(rule.key, ''), 60)})")
    for index, evidence in per_site.items():
        site = config.sites[index]
        interval = site.rule.flush_interval if site.rule else 0
        found.append(make_finding(
            "concat-flush-interval", "warning",
            f"flush_interval {interval:g} s is shorter than the gap inside {counts[index]:,} multi-line statement(s) "
            f"of the sample (longest gap {worst[index]:.1f} s)",
            where=site.param_where("flush_interval"), evidence=evidence,
            figures={"statements_split": counts[index], "longest_gap_s": round(worst[index], 3)},
            why="the timer flushes a stream that has been quiet for flush_interval seconds; the rest of the statement "
                "then arrives as separate events (and, without timeout_label, the flushed part goes to @ERROR)",
            fix=f"raise flush_interval above {worst[index]:.0f} s, "
                "or make sure these apps write a statement in one go"))
    return found


def _continues(text: object) -> bool:
    """A line that can only continue a statement (stack frame, indented body): a gap before it splits one."""
    return isinstance(text, str) and CONTINUATION.match(text) is not None


def check_rule_warnings(inputs: DoctorInputs) -> list[Finding]:
    """What else fluentd would warn about or silently ignore in a concat filter (unused parameters, bad bools ...)."""
    if inputs.config is None:
        return []
    covered = ("no timeout_label", "multiline_start_regexp", "multiline_end_regexp", "continuous_line_regexp")
    found = []
    for site in inputs.config.sites:
        guesses = dict(misspelled_params(site.filter.params))
        notes = [_did_you_mean(w, guesses) for w in (site.rule.warnings if site.rule else ())
                 if not w.startswith(covered)]
        if notes:
            found.append(make_finding(
                "concat-rule-warnings", "warning", f"{len(notes)} parameter problem(s) in {site.where}",
                where=site.where.split(" ")[0], evidence=notes,
                why="fluentd starts, but the filter does not do what its parameters say",
                fix="correct or remove the parameters named"))
    return found


def _did_you_mean(warning: str, guesses: Mapping[str, str]) -> str:
    """``parameter 'x' ... is not used`` with the declared name it most resembles."""
    for name, guess in guesses.items():
        if warning.startswith(f"parameter '{name}' "):
            return f"{warning}; did you mean '{guess}'?"
    return warning


def check_cri_separator(inputs: DoctorInputs) -> list[Finding]:
    """``separator ""`` on CRI lines: their content has no newline, so joined lines run together."""
    found = []
    for log, site, rule in inputs.logs_with_rules():
        if log.format != "cri" or rule.separator != "" or not isinstance(rule.mode, RegexpMode):
            continue
        glued = [e for e in inputs.grouped(log, rule) if len(e.lines) > 1]
        if not glued:
            continue
        first = glued[0]
        found.append(make_finding(
            "concat-cri-separator", "error",
            f"{log.name}: CRI lines joined with separator \"\": "
            f"{len(glued):,} multi-line event(s) run their lines together",
            where=site.param_where("separator"),
            evidence=[f"{log.where(log.records[first.lines[0]].lineno)}: {quote_line(first.record.get(rule.key, ''))}"],
            figures={"events": len(glued)},
            why="docker json-file lines keep their trailing newline, CRI content does not: separator \"\" (right for "
                "docker) glues a stack trace into one line after a switch to containerd",
            fix="use separator \"\\n\" for CRI logs (and join P/F parts first with use_partial_cri_logtag)"))
    return found
