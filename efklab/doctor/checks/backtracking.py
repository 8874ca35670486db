"""Regexps that can backtrack without end: found in the config, before any line is matched.

fluentd runs concat's start/end/continuous-line regexps and ``<parse>`` expressions on every
line with Onigmo, a backtracking matcher, and sets no ``Regexp.timeout``.  A nested quantifier
(``(\\w+\\s?)+$``) or alternatives under a repeat that can match the same text (``(a|aa)+``)
make the work on one line grow exponentially with its length: on Ruby before 3.2 one long line
hangs the worker thread and the pipeline stops (3.2+ memoizes most such patterns; back-references
never).  efklab bounds each evaluation (:mod:`efklab.ruby.bounded`); this check names the
pattern so it is rewritten before it ships.
"""
from __future__ import annotations

from collections.abc import Iterator

from efklab.doctor.findings import Finding, make_finding
from efklab.doctor.inputs import DoctorInputs
from efklab.errors import EfklabError
from efklab.fluentd.config.find import ParseSpec
from efklab.ruby.bounded import fluentd_behaviour
from efklab.ruby.regexp import compile_ruby, concat_regexp_source, ruby_literal

CHECK = "regexp-backtracking"
_CONCAT_PARAMS = ("multiline_start_regexp", "multiline_end_regexp", "continuous_line_regexp")


def check_backtracking(inputs: DoctorInputs) -> list[Finding]:
    """One finding per concat or ``<parse>`` regexp with an exponential construct."""
    findings: list[Finding] = []
    for label, source, where in _user_regexps(inputs):
        try:
            growth = compile_ruby(source).compiled.growth
        except EfklabError:
            continue  # refused patterns are reported by the checks of their own filter or parser
        if growth is None or not growth.hazards:
            continue
        kinds = list(dict.fromkeys(h.kind for h in growth.hazards))
        findings.append(make_finding(
            CHECK, "warning",
            f"{label} {ruby_literal(source)} can backtrack exponentially ({', '.join(kinds)})",
            where=where,
            evidence=[f"{h.kind}: {h.detail}" for h in dict.fromkeys(growth.hazards)],
            figures={"hazards": kinds},
            why=f"the work of one match grows exponentially with the line's length; {fluentd_behaviour(source)}, "
                "so one long line can stop the pipeline (efklab stops such a match after 1 s and exits 2)",
            fix="make each split unique: a repeated group whose inner pieces cannot end where the next repetition "
                "starts ((\\w+\\s)+ instead of (\\w+\\s?)+), alternatives that start differently (a+ instead of "
                "(a|aa)+), or an atomic group / possessive quantifier ((?>\\w+\\s?)+)"))
    return findings


def _user_regexps(inputs: DoctorInputs) -> Iterator[tuple[str, str, str]]:
    """(what it is, Ruby source, file:line) of every concat regexp and ``<parse>`` expression of the config."""
    if inputs.config is None:
        return
    for site in inputs.config.sites:
        for name in _CONCAT_PARAMS:
            param = site.filter.params.get(name)
            if param is None or not param.value or param.embedded:
                continue
            try:
                source = concat_regexp_source(param.value)
            except EfklabError:
                continue
            yield name, source, site.param_where(name)
    for spec in inputs.config.tails:
        if spec.parse is not None:
            for parse in _parses(spec.parse):
                if parse.type == "regexp" and parse.expression:
                    yield "<parse> expression", parse.expression, f"{spec.file}:{parse.line or spec.line}"


def _parses(parse: ParseSpec) -> Iterator[ParseSpec]:
    yield parse
    for pattern in parse.patterns:
        yield from _parses(pattern)
