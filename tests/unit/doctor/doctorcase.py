"""Doctor check cases as data: a YAML case builds real input files, runs one check, states the outcome.

A case::

    name: flags after the closing slash are lost      # required
    check: concat-regexp-flags                        # the check under test (required)
    config: |                                         # fluentd config text (a bare filter body is fine)
      @type concat ...
    logs:                                             # file name -> lines
      app.log: {docker: ["line", {log: "piece", newline: false, pad_to: 16384}], start: ..., step_ms: 0.01}
      # pad_to: the text repeated to that many characters (a 16 KiB piece); name a file "host/kubelet.log"
      # to place it outside containers/
      # or cri: [...] (F lines; {log, tag: P} for partials), or raw: ["the file's lines as they are"]
    payloads: [{log_group: ..., messages: [...], start: 2021-04-28T11:09:04.301Z}]   # or events: [{message, timestamp}]
    policy: {policy: {...}}                           # the ISM policy document (or its text)
    env: {FLUENT_CONTAINER_TAIL_PARSER_TYPE: cri}     # --env NAME=VALUE for the config's embedded Ruby
    records: {systemd.kubelet: [{MESSAGE: "...", __REALTIME_TIMESTAMP: "1619608144301000"}]}   # --records TAG=FILE
    settings: {mode: seed}                            # DoctorSettings fields
    node: {version: 2.19.1, ism: true, indices: [{name: ..., creation_date: ...}]}   # NodeFacts fields
    expect: error | warning | info | none             # the worst severity the check reports (required)
    title: "substring of a finding's title"           # optional
    evidence: "substring of one evidence line"        # optional
    where: "substring of a finding's where"           # optional

Unknown keys are errors.  Inputs are written to a temporary folder and read with the same code
``efklab doctor`` uses.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from efklab.doctor.inputs import DoctorSettings, NodeFacts
from efklab.doctor.registry import CHECKS, DoctorReport, run_checks
from efklab.fluentd.eventtime import parse_event_time
from efklab.jobs.doctorinputs import read_inputs
from efklab.retention.attachment import IndexFacts
from efklab.retention.explain import ExplainRow
from efklab.retention.onnode import IsmOnNode
from efklab.retention.policy import parse_policy
from efklab.retention.schedule import JobSettings
from efklab.samples.generate import format_rfc3339nano
from efklab.testing import make_event, make_payload
from efklab.units import parse_time

CASE_KEYS = {"name", "check", "config", "logs", "payloads", "policy", "settings", "node", "expect", "title", "evidence",
             "where", "env", "records"}
LOG_KEYS = {"docker", "cri", "raw", "start", "step_ms"}
EXPECT = {"error", "warning", "info", "none"}
DEFAULT_START = "2021-04-28T11:09:04.301Z"


def load_doctor_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of one file, checked for unknown keys and known check ids."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    known = {c.id for c in CHECKS}
    for case in cases:
        unknown = set(case) - CASE_KEYS
        assert not unknown, f"{path.name}: case {case.get('name')!r}: unknown keys {sorted(unknown)}"
        assert case.get("check") in known, (f"{path.name}: case {case.get('name')!r}: "
                                            f"unknown check {case.get('check')!r}")
        assert case.get("expect") in EXPECT, f"{path.name}: case {case['name']!r}: expect one of {sorted(EXPECT)}"
        for name, spec in (case.get("logs") or {}).items():
            assert not set(spec) - LOG_KEYS, (f"{path.name}: case {case['name']!r}: log {name}: "
                                               f"unknown keys {sorted(set(spec) - LOG_KEYS)}")
    return cases


def _docker_line(item: Any, when: int) -> str:
    entry = item if isinstance(item, Mapping) else {"log": item}
    text = str(entry["log"])
    if "pad_to" in entry:
        text = (text * (int(entry["pad_to"]) // max(len(text), 1) + 1))[: int(entry["pad_to"])]
    text += "\n" if entry.get("newline", True) else ""
    return json.dumps({"log": text, "stream": entry.get("stream", "stdout"),
                       "time": entry.get("time") or format_rfc3339nano(when)})


def _cri_line(item: Any, when: int) -> str:
    entry = item if isinstance(item, Mapping) else {"log": item}
    return (f"{entry.get('time') or format_rfc3339nano(when)} {entry.get('stream', 'stdout')} "
            f"{entry.get('tag', 'F')} {entry['log']}")


def render_log(spec: Mapping[str, Any]) -> str:
    """The file's text: docker json-file or CRI lines from their texts, or raw lines."""
    start = parse_event_time(str(spec.get("start", DEFAULT_START)))
    step = int(float(spec.get("step_ms", 0.01)) * 1_000_000)
    if "raw" in spec:
        return "".join(f"{line}\n" for line in spec["raw"])
    kind, render = ("docker", _docker_line) if "docker" in spec else ("cri", _cri_line)
    return "".join(render(item, start + i * step) + "\n" for i, item in enumerate(spec[kind]))


def _payload(spec: Mapping[str, Any]) -> dict[str, Any]:
    start = parse_time(str(spec.get("start", DEFAULT_START)))
    extra = {k: spec[k] for k in ("log_group", "log_stream") if k in spec}
    if "events" in spec:
        events = [make_event(e["message"], timestamp=parse_time(str(e["timestamp"])), sequence=i)
                  for i, e in enumerate(spec["events"])]
        return make_payload(events, **extra)
    return make_payload(spec.get("messages", []), start=start, **extra)


def _node(spec: Mapping[str, Any]) -> NodeFacts:
    indices = tuple(IndexFacts(i["name"], parse_time(str(i["creation_date"])), managed_by=i.get("managed_by"))
                    for i in spec.get("indices", []))
    values = {"url": "http://node:9200", "version": "2.19.1", "distribution": "opensearch", "data_nodes": 1,
              "max_shards_per_node": 1000, "open_shards": 0, "pattern_shards": 0, "ism": True,
              "read_at_ms": parse_time("2024-05-01")}
    values.update({k: v for k, v in spec.items() if k != "indices"})
    if isinstance(values.get("ism_on_node"), Mapping):
        values["ism_on_node"] = _ism_on_node(values["ism_on_node"])
    if isinstance(values["read_at_ms"], str):
        values["read_at_ms"] = parse_time(values["read_at_ms"])
    return NodeFacts(indices=indices, **values)


def _ism_on_node(spec: Mapping[str, Any]) -> IsmOnNode:
    """The node's ISM as a case writes it: stored policies (documents), explained indices (index, policy, failed)."""
    policies = tuple(parse_policy(p, policy_id=p["policy"].get("policy_id")) for p in spec.get("policies", []))
    rows = tuple(ExplainRow(r["index"], r.get("policy_id") is not None, r.get("policy_id"), r.get("state"), None,
                            None, None, bool(r.get("failed")), r.get("info"), "") for r in spec.get("explained", []))
    return IsmOnNode(JobSettings(int(spec.get("job_interval", 5)), float(spec.get("jitter", 0.6))), policies, rows, ())


def run_doctor_case(case: Mapping[str, Any], folder: Path) -> DoctorReport:
    """Write the case's inputs into ``folder``, read them as ``efklab doctor`` does, run its one check."""
    config = None
    if "config" in case:
        text = case["config"]
        config = folder / ("fluentd.yaml" if "apiVersion:" in text else "fluent.conf")
        config.write_text(text, encoding="utf-8")
    logs = []
    for name, spec in (case.get("logs") or {}).items():
        path = folder / (name if "/" in name else f"containers/{name}")
        path.parent.mkdir(exist_ok=True)
        path.write_text(render_log(spec), encoding="utf-8")
        logs.append(str(path))
    payloads = []
    if "payloads" in case:
        path = folder / "payloads.jsonl"
        path.write_text("".join(json.dumps(_payload(p)) + "\n" for p in case["payloads"]), encoding="utf-8")
        payloads.append(str(path))
    policy = None
    if "policy" in case:
        policy = folder / "policy.json"
        body = case["policy"]
        policy.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    records = []
    for tag, items in (case.get("records") or {}).items():
        path = folder / f"{tag}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in items), encoding="utf-8")
        records.append(f"{tag}={path}")
    settings = DoctorSettings(**(case.get("settings") or {}))
    inputs = read_inputs(config=str(config) if config else None, policy=str(policy) if policy else None,
                         logs=sorted(logs), payloads=payloads, settings=settings,
                         env={k: str(v) for k, v in (case.get("env") or {}).items()}, records=records)
    if "node" in case:
        inputs = replace(inputs, node=_node(case["node"]))
    return run_checks(inputs, [c for c in CHECKS if c.id == case["check"]])
