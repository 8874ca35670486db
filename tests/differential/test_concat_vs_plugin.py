"""The concat engine against the real fluent-plugin-concat 2.6.2, on our own spec cases.

Every case of tests/unit/fluentd/concat/cases/ that names its rule by parameters, feeds inline
records and switches the flush timer off runs twice: through our engine, and through the plugin
under fluentd's filter test driver (records fed with their event times, then shutdown).  The
plugin's filtered events must be our ``main`` events, the events its timeout_label router got
our ``timeout`` events, its error events our ``error`` events, each in order with the same time
and record.  Records we mark ``dropped`` (buffer_overflow_method) appear nowhere in the plugin.

Needs ruby with the gems ``fluentd`` and ``fluent-plugin-concat`` 2.6.2; skipped otherwise:
    gem install --no-document fluentd fluent-plugin-concat:2.6.2
"""
from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from efklab.errors import EfklabError
from efklab.fluentd.concat.events import Emitted
from efklab.multiline.cases import Case, case_records, case_rule, load_cases
from efklab.multiline.grouping import group_records

CASE_DIR = Path(__file__).resolve().parents[1] / "unit" / "fluentd" / "concat" / "cases"
PLUGIN_VERSION = "2.6.2"

_PROBE = f"gem 'fluent-plugin-concat', '= {PLUGIN_VERSION}'; require 'fluent/plugin/filter_concat'; print 'ok'"

_HARNESS = r"""
gem 'fluent-plugin-concat', '= @VERSION@'
require 'json'
require 'fluent/test'
require 'fluent/test/driver/filter'
require 'fluent/plugin/filter_concat'
Fluent::Test.setup
out = JSON.parse($stdin.read).map do |c|
  begin
    conf = Fluent::Config::Element.new('ROOT', '', c['params'], [])
    d = Fluent::Test::Driver::Filter.new(Fluent::Plugin::ConcatFilter).configure(conf)
  rescue Fluent::ConfigError => e
    next { 'config_error' => e.message }
  end
  d.run(default_tag: 'test') do
    c['records'].each do |tag, sec, nsec, record|
      d.feed(tag, Fluent::EventTime.new(sec, nsec), record)
    end
  end
  { 'main' => d.filtered.map { |t, r| [t.to_i * 1_000_000_000 + t.nsec, r] },
    'timeout' => d.events.map { |_tag, t, r| [t.to_i * 1_000_000_000 + t.nsec, r] },
    'error' => d.error_events.map { |_tag, t, r, _e| [t.to_i * 1_000_000_000 + t.nsec, r] } }
end
puts JSON.generate(out)
""".replace("@VERSION@", PLUGIN_VERSION)


@functools.cache
def plugin_available() -> bool:
    if shutil.which("ruby") is None:
        return False
    probe = subprocess.run(["ruby", "-W0", "-e", _PROBE], capture_output=True, text=True, check=False)
    return probe.returncode == 0 and probe.stdout == "ok"


pytestmark = [
    pytest.mark.differential,
    pytest.mark.skipif(not plugin_available(),
                       reason=f"ruby with fluentd and fluent-plugin-concat {PLUGIN_VERSION} is not installed"),
]


def comparable_cases() -> list[Case]:
    """Cases the test driver can replay: parameters, inline records, no flush timer."""
    cases = [case for path in sorted(CASE_DIR.glob("*.yaml")) for case in load_cases(path)]
    return [c for c in cases if "rule" in c.spec and "input" in c.spec and c.spec.get("flush_timeouts") == "off"]


def ours(case: Case) -> dict[str, Any]:
    try:
        rule = case_rule(case)
    except EfklabError as exc:
        return {"config_error": exc.reason}
    events: list[Emitted] = list(group_records(rule, case_records(case, rule), flush_timeouts="off"))
    return {route: [[e.time_ns, e.record] for e in events if e.route == route]
            for route in ("main", "timeout", "error")}


def plugin_input(case: Case) -> dict[str, Any]:
    params = {str(k): "true" if v is True else "false" if v is False else str(v)
              for k, v in case.spec["rule"].items() if v is not None}
    (records,) = case_records(case, case_rule(case))
    return {"params": params,
            "records": [[r.tag, r.time_ns // 1_000_000_000, r.time_ns % 1_000_000_000, r.record] for r in records]}


def test_the_plugin_emits_what_our_engine_emits_for_every_replayable_case() -> None:
    """Same events on the same routes, with the same times and records, for every case at once."""
    cases = [c for c in comparable_cases() if "expected_error" not in c.spec]
    assert len(cases) >= 40
    proc = subprocess.run(["ruby", "-W0", "-e", _HARNESS], input=json.dumps([plugin_input(c) for c in cases]),
                          capture_output=True, text=True, encoding="utf-8", check=True)
    theirs = json.loads(proc.stdout)
    problems = [f"{case.where()}: {case.name}\n  plugin: {plugin}\n  ours:   {mine}"
                for case, plugin in zip(cases, theirs, strict=True) if (mine := ours(case)) != plugin]
    assert not problems, "\n".join(problems)
