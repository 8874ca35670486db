"""One-call steps for the notebooks: samples, the pipeline under a config, a replay into fresh indices.

Each function wires existing pieces (sample generator, pipeline, transform, replay, the
OpenSearch adapter) so a notebook cell is a single call with its parameters, and the CLI and
the notebooks run the same code.  This is the imperative shell: files and the node are
touched here, the logic lives in the modules it calls.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from efklab.jobs import sampleset
from efklab.adapters.opensearch import (
    BulkSettings,
    Connection,
    connection_from_env,
    install_index_template,
    make_client,
    remote_errors,
    stream_bulk,
)
from efklab.opensearch.bulk import ReplaySummary
from efklab.errors import UsageError
from efklab.fluentd.config.find import load_config
from efklab.model import Reject
from efklab.cloudwatch.payloads import payload_from_json
from efklab.fluentd.pipeline import PipelineOptions, PipelineResult, SourceRecord, run_pipeline
from efklab.lambda_.replay import replay_records
from efklab.fluentd.routing import plan_routes
from efklab.samples.generate import SampleSpec, generate_containers, pod_facts, render_log
from efklab.lambda_.transform import TransformOptions

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"
SEED_CONFIG = SAMPLES_DIR / "fluentd.yaml"  # the seed's corrected regex
AWS_SAMPLE_CONFIG = SAMPLES_DIR / "fluentd-aws-sample.yaml"  # the AWS sample regex the seed started from
ENV = {"CLUSTER_NAME": "MyClusterName", "REGION": "ap-northeast-2"}


@dataclass(frozen=True, slots=True)
class Connected:
    """A client and its connection (the URL shown without credentials)."""

    client: Any
    conn: Connection

    @property
    def url(self) -> str:
        return self.conn.display_url


@dataclass(frozen=True, slots=True)
class PipelineRun:
    """The payloads a config delivers for some container logs, their provenance, and the line times read."""

    config: str
    result: PipelineResult
    line_times: dict[tuple[str, int], int] = field(default_factory=dict)  # (file, line) -> ns, as the runtime wrote it

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [d.payload for d in self.result.deliveries]

    def provenance_rows(self) -> list[dict[str, Any]]:
        """Event rows (id -> sources) only; lines that made no event are in ``result.rejects``."""
        return [row for row in self.result.provenance() if "id" in row]

    def accounting(self) -> dict[str, int]:
        """Every source line is in exactly one delivered event or one reject: the counts that show it."""
        from efklab.fluentd.pipeline import reject_sources

        rows = self.provenance_rows()
        return {"lines": self.result.lines, "payloads": len(self.result.deliveries), "events": len(rows),
                "lines_in_events": sum(len(r["sources"]) for r in rows),
                "lines_rejected": sum(len(reject_sources(r)) for r in self.result.rejects), "rejects": len(self.result.rejects)}

    def rejects_table(self) -> Any:
        """The lines that made no event, with the stage and reason."""
        import pandas as pd

        return pd.DataFrame([{"where": r.location(), "stage": r.stage, "reason": r.reason} for r in self.result.rejects],
                            columns=["where", "stage", "reason"])


def connect(opensearch_url: str = "", *, aws_region: str = "", ca_certs: str = "", no_verify_tls: bool = False) -> Connected:
    """The node at ``opensearch_url`` (basic auth from the environment, or SigV4 with ``aws_region``), else the local node."""
    url = opensearch_url
    if not url:
        from efklab.adapters.localnode.lifecycle import ensure_local_node

        url = ensure_local_node()
    conn = connection_from_env(url, aws_region=aws_region or None, ca_certs=ca_certs or None, verify_tls=not no_verify_tls)
    return Connected(make_client(conn), conn)


def config_path(spec: str, default: Path) -> str:
    """A config file from a notebook parameter: a path, ``FILE@GITREV`` (the file at a git revision, written
    to a temporary file), or empty for ``default`` (a committed sample config)."""
    path = Path(spec) if spec else default
    if path.is_file():
        return str(path)
    if "@" in spec:
        import tempfile

        from efklab.adapters.gitrev import read_file_at_revision

        name, _, revision = spec.rpartition("@")
        text = read_file_at_revision(name, revision)
        folder = Path(tempfile.mkdtemp(prefix="efklab-config-"))
        copy = folder / f"{revision.replace('/', '_')}-{Path(name).name}"
        copy.write_text(text, encoding="utf-8")
        return str(copy)
    raise UsageError(f"no such fluentd config: {path} (a file, FILE@GITREV, or empty for {default.name})")


def sample_logs(out: str | Path, *, events: int = 300, seed: int = 1, days: int = 2, end: str = "2021-04-30") -> list[str]:
    """Generate container logs (docker json-file) into ``out/containers`` for the ``days`` ending on ``end``.

    Few days keep a notebook quick; the last ``min(3, days)`` days hold the bulk of the lines.
    Returns the paths of the log files.
    """
    last = datetime.strptime(end, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    spec = SampleSpec(seed=seed, events=events, days=days, recent_days=min(3, days), start=last - timedelta(days=days - 1))
    spec.validate()
    logs = generate_containers(spec)
    folder = Path(out) / "containers"
    for log in logs:
        sampleset.write_text(folder / log.file_name, render_log(log, spec.format))
    sampleset.write_text(Path(out) / "pods.json", sampleset.pods_json({(l.pod, l.namespace, l.container): pod_facts(l) for l in logs}))
    return [str(folder / log.file_name) for log in logs]


def container_logs(logs: str = "") -> list[str]:
    """The container log files to work on: ``logs`` (a folder or a file), or the committed sample set when empty."""
    return log_files(logs or str(SAMPLES_DIR / "containers"))


def log_files(logs: str | Sequence[str]) -> list[str]:
    """Container log files from a folder (its ``*.log`` or ``containers/*.log``) or a list of paths."""
    items = [logs] if isinstance(logs, (str, Path)) else list(logs)
    expanded = []
    for item in map(str, items):
        inner = Path(item) / "containers"
        expanded.append(str(inner) if inner.is_dir() else item)
    return [path for path, _name in sampleset.container_log_paths(expanded)]


def run_config(logs: str | Sequence[str], config: str, *, seed: int = 1) -> PipelineRun:
    """The seed's pipeline under ``config`` over the container logs (pods.json beside them is used when present)."""
    paths = log_files(logs)
    routes = plan_routes(load_config(config), ENV)
    pods = Path(paths[0]).parent.parent / "pods.json" if paths else None
    facts = sampleset.load_pods(str(pods)) if pods is not None and pods.is_file() else None
    times: dict[tuple[str, int], int] = {}
    named = [(path, f"containers/{Path(path).name}") for path in paths]
    files = ((name, _noting_times(records, times)) for name, records in sampleset.read_container_logs(named, routes))
    result = run_pipeline(files, routes, PipelineOptions(seed=seed, facts=facts))
    return PipelineRun(config, result, times)


def _noting_times(records: Iterable[SourceRecord | Reject], times: dict[tuple[str, int], int]) -> Iterator[SourceRecord | Reject]:
    for record in records:
        if isinstance(record, SourceRecord):
            times[(record.file, record.line)] = record.time_ns
        yield record


WORKBENCH_MARK = "efklab workbench"  # in the mapping _meta of every index a workbench replay creates


def replay_fresh(target: Connected, payloads: Iterable[dict[str, Any]], *, prefix: str, primaries: int = 1,
                 mode: str = "opensearch", index_strategy: str = "seed") -> tuple[str, ReplaySummary]:
    """Replace the indices of ``prefix`` by a replay of the payloads, ``primaries`` primary shards each.

    Only indices an earlier workbench replay created are deleted (their mapping carries a mark);
    any other index matching the pattern stops the replay, so a production prefix is never wiped.
    Returns the index pattern and the replay summary (every event accounted for).
    """
    from efklab.lambda_.indextemplate import pattern_for, replay_template

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


def replay_table(summary: ReplaySummary) -> Any:
    """A replay summary as a table: one row per index (indexed, failed) and a total row."""
    import pandas as pd

    rows = [{"index": name, "indexed": tally.indexed, "failed": tally.failed} for name, tally in sorted(summary.per_index.items())]
    rows.append({"index": "total", "indexed": summary.indexed, "failed": summary.failed})
    return pd.DataFrame(rows).set_index("index")


class _Letters:
    """Dead letters kept in memory (a notebook shows them; nothing is written)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def offset(self) -> int:
        return len(self.records)
