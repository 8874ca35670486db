"""Replays for notebooks and reports: payloads into fresh indices of a prefix, every event accounted for.

Only indices and templates an earlier workbench replay created (their mapping carries a mark)
are replaced, so a production prefix is never wiped; the dead letters stay in memory for the
notebook to show.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from efklab.adapters.opensearch import BulkSettings, install_index_template, remote_errors, stream_bulk
from efklab.cloudwatch.schema import payload_from_json
from efklab.errors import UsageError
from efklab.jobs.connect import Connected
from efklab.lambda_.indextemplate import pattern_for, replay_template
from efklab.lambda_.replay import replay_records
from efklab.lambda_.transform import TransformOptions
from efklab.opensearch.bulk import ReplaySummary

WORKBENCH_MARK = "efklab workbench"  # in the mapping _meta of every index a workbench replay creates


def replay_fresh(target: Connected, payloads: Iterable[dict[str, Any]], *, prefix: str, primaries: int = 1,
                 mode: str = "opensearch", index_strategy: str = "seed") -> tuple[str, ReplaySummary]:
    """Replace the indices of ``prefix`` by a replay of the payloads, ``primaries`` primary shards each.

    Only indices an earlier workbench replay created are deleted (their mapping carries a mark);
    any other index matching the pattern stops the replay, so a production prefix is never wiped.
    Returns the index pattern and the replay summary (every event accounted for).
    """
    if primaries < 1:
        raise UsageError(f"primaries must be at least 1, not {primaries}", source="--primaries")
    options = TransformOptions(mode=mode, index_strategy=index_strategy, prefix=prefix)
    pattern = pattern_for(options)
    if not pattern.startswith(prefix):
        raise UsageError(f"the index names of {index_strategy!r} ({mode} mode) do not start with the prefix {prefix!r}: "
                         "a workbench replay writes only into indices of its own prefix (use a template such as "
                         "'{prefix}-{date:%Y.%m.%d}')", source="--index-strategy")
    clear_workbench_indices(target, pattern)
    clear_workbench_templates(target, prefix)
    name, body = replay_template(pattern)
    body = {**body, "_meta": {**body.get("_meta", {}), "created_by": WORKBENCH_MARK, "prefix": prefix}}
    template = dict(body["template"])
    template["mappings"] = {**template["mappings"], "_meta": {"created_by": WORKBENCH_MARK}}
    template["settings"] = {"index": {"number_of_shards": primaries, "number_of_replicas": 0}}
    install_index_template(target.client, target.conn, name, {**body, "template": template})
    records = (payload_from_json(p, source="pipeline", position=n) for n, p in enumerate(payloads, start=1))
    progress = replay_records(records, lambda actions: stream_bulk(target.client, target.conn, actions, settings=BulkSettings(),
                                                                  sleep=time.sleep),
                              options=options, letters=_Letters())
    with remote_errors(target.conn):
        target.client.indices.refresh(index=pattern, ignore_unavailable=True, allow_no_indices=True)
    return pattern, progress.summary


def clear_workbench_templates(target: Connected, prefix: str) -> list[str]:
    """Delete the index templates earlier workbench replays of ``prefix`` installed (another naming may overlap)."""
    with remote_errors(target.conn):
        answer = target.client.indices.get_index_template(name="efklab-*", ignore=(404,))
    names = [t["name"] for t in answer.get("index_templates", [])
             if (t["index_template"].get("_meta") or {}).get("created_by") == WORKBENCH_MARK
             and (t["index_template"].get("_meta") or {}).get("prefix") == prefix]
    for name in names:
        with remote_errors(target.conn):
            target.client.indices.delete_index_template(name=name)
    return names


def clear_workbench_indices(target: Connected, pattern: str) -> list[str]:
    """Delete the indices matching ``pattern`` that a workbench replay created; refuse if others match."""
    if pattern.strip("*-_.") == "" or pattern.startswith((".", "_")):
        raise UsageError(f"refusing to clear the index pattern {pattern!r}", source="--prefix")
    with remote_errors(target.conn):
        mappings = target.client.indices.get_mapping(index=pattern, ignore_unavailable=True, allow_no_indices=True)
    foreign = sorted(name for name, body in mappings.items()
                     if ((body.get("mappings") or {}).get("_meta") or {}).get("created_by") != WORKBENCH_MARK)
    if foreign:
        raise UsageError(f"{len(foreign)} index(es) matching {pattern} were not created by an efklab replay (e.g. {foreign[0]}); "
                         "they are left alone: choose another prefix", source="--prefix")
    names = sorted(mappings)
    for start in range(0, len(names), 50):  # keep each request line short
        with remote_errors(target.conn):
            target.client.indices.delete(index=",".join(names[start:start + 50]), ignore_unavailable=True)
    return names


def release(target: Connected, patterns: Sequence[str], *, keep: bool = False) -> str:
    """Delete the workbench indices of ``patterns`` (shards are scarce on one node), unless ``keep``."""
    if keep:
        return "kept " + ", ".join(patterns)
    deleted = sum(len(clear_workbench_indices(target, pattern)) for pattern in patterns)
    return f"deleted {deleted} indices ({', '.join(patterns)}); set keep_indices to explore them after the run"


class _Letters:
    """Dead letters kept in memory (a notebook shows them; nothing is written)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def offset(self) -> int:
        return len(self.records)
