"""One call for ``efklab doctor`` and notebook 00-doctor: read the inputs, ask the node, run the checks.

``diagnose`` takes the CLI's option values; ``diagnose_samples`` is the notebook's front end,
where an empty value means the committed sample set (``data/samples``) and ``none`` leaves an
input out.  The node's facts are read through :func:`efklab.jobs.connect.connect`, so a URL
means what it means for every other job.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from efklab.adapters.ism import IsmApi, ism_installed, read_index_facts, read_ism_on_node
from efklab.adapters.opensearch import Connection, cat_indices, remote_errors
from efklab.doctor.inputs import DoctorSettings, NodeFacts
from efklab.doctor.registry import CheckSpec, DoctorReport, run_checks, select_checks
from efklab.errors import RemoteError, UsageError
from efklab.jobs.connect import connect
from efklab.jobs.defaults import SAMPLE_PAYLOADS, SEED_CONFIG, SEED_POLICY, config_path
from efklab.jobs.doctorinputs import parse_env, payload_files, read_inputs
from efklab.jobs.samples import container_logs
from efklab.retention.attachment import IndexFacts
from efklab.retention.explain import read_explain

MAX_SHARDS_SETTING = "cluster.max_shards_per_node"


def doctor_checks(*, only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[CheckSpec]:
    """The registered checks ``only`` / ``skip`` (ids or id prefixes) leave (``efklab doctor --list``)."""
    return select_checks(only, skip)


def diagnose(*, config: str | None = None, policy: str | None = None, logs: Sequence[str] = (),
             payloads: Sequence[str] = (), max_lines: int | None = None, mode: str = "opensearch",
             index_strategy: str = "seed", prefix: str = "mydata", tz: str = "UTC", primaries: int = 1,
             replicas: int = 1, data_nodes: int = 1, max_shards_per_node: int = 1000, field_limit: int = 1000,
             only: Sequence[str] = (), skip: Sequence[str] = (), opensearch_url: str | None = None,
             aws_region: str | None = None, ca_certs: str | None = None, no_verify_tls: bool = False,
             local: bool = False, env: Sequence[str] = (), records: Sequence[str] = ()) -> DoctorReport:
    """Run the checks on the given files; with a URL (or ``local``) also on the node's facts.

    ``env`` holds ``NAME=VALUE`` items for the config's embedded Ruby; ``records`` ``TAG=FILE``
    items of other sources' records.
    """
    checks = select_checks(only, skip)
    shape = {"primaries": primaries, "data_nodes": data_nodes, "max_shards_per_node": max_shards_per_node,
             "field_limit": field_limit}
    for name, value in shape.items():
        if value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if replicas < 0 or (max_lines is not None and max_lines < 1):
        raise UsageError("--replicas must not be negative and --max-lines must be at least 1")
    if not (config or policy or logs or payloads or records):
        raise UsageError("nothing to check: give --config, --policy, --logs, --records and/or --payloads")
    settings = DoctorSettings(mode=mode, index_strategy=index_strategy, prefix=prefix, tz=tz, replicas=replicas,
                              **shape)
    inputs = read_inputs(config=config, policy=policy, logs=logs, payloads=payloads, settings=settings,
                         max_lines=max_lines, env=parse_env(env), records=records)
    if opensearch_url or local:
        node = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls)
        facts = read_node_facts(node.client, node.conn, template_patterns=inputs.template_patterns(),
                                strategy_pattern=inputs.payloads.pattern if inputs.payloads else None)
        inputs = replace(inputs, node=facts)
    return run_checks(inputs, checks)


def diagnose_samples(*, config: str = "", policy: str = "", logs: str = "", payloads: str = "",
                     mode: str = "opensearch", index_strategy: str = "seed", prefix: str = "mydata",
                     opensearch_url: str = "", aws_region: str = "", ca_certs: str = "", no_verify_tls: bool = False,
                     only: str = "", skip: str = "") -> DoctorReport:
    """The notebook's call: empty values are the committed samples, ``none`` leaves an input out;
    ``config`` may be ``FILE@GITREV``; ``payloads`` a file, a folder or a glob; ``only``/``skip`` comma lists."""
    chosen_config = None if config == "none" else config_path(config, SEED_CONFIG)
    chosen_policy = None if policy == "none" else policy or str(SEED_POLICY)
    chosen_logs = [] if logs == "none" else container_logs(logs)
    chosen_payloads = [] if payloads == "none" else payload_files(payloads or str(SAMPLE_PAYLOADS))
    return diagnose(config=chosen_config, policy=chosen_policy, logs=chosen_logs, payloads=chosen_payloads,
                    mode=mode, index_strategy=index_strategy, prefix=prefix, only=_names(only), skip=_names(skip),
                    opensearch_url=opensearch_url or None, aws_region=aws_region or None, ca_certs=ca_certs or None,
                    no_verify_tls=no_verify_tls)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def read_node_facts(client: Any, conn: Connection, *, template_patterns: Sequence[str] = (),
                    strategy_pattern: str | None = None) -> NodeFacts:
    """What the node says about itself (read-only); ``template_patterns`` select the existing indices to look at.

    Version and distribution (``GET /``: ``_type`` is refused from 2.x), data nodes and open shards
    (``_cluster/health``), ``cluster.max_shards_per_node`` (cluster settings, defaults included),
    whether the ISM plugin is installed (``_cat/plugins``), and the existing indices an ISM template
    would match, with the policy each is managed by (``_plugins/_ism/explain``).
    """
    with remote_errors(conn):
        info = client.info()
        health = client.cluster.health()
        settings = client.cluster.get_settings(include_defaults=True, flat_settings=True)
    version = info.get("version") or {}
    merged: dict[str, Any] = {}
    for scope in ("defaults", "persistent", "transient"):
        merged.update(settings.get(scope) or {})
    open_shards = sum(int(health.get(k) or 0) for k in ("active_shards", "initializing_shards", "unassigned_shards"))
    ism = ism_installed(client, conn)
    indices = _existing_indices(client, conn, template_patterns, ism)
    return NodeFacts(
        url=conn.display_url,
        version=str(version.get("number", "")),
        distribution=str(version.get("distribution") or "elasticsearch"),
        data_nodes=int(health.get("number_of_data_nodes") or 1),
        max_shards_per_node=int(merged.get(MAX_SHARDS_SETTING, 1000)),
        open_shards=open_shards,
        pattern_shards=_pattern_shards(client, conn, strategy_pattern) if strategy_pattern else 0,
        ism=ism,
        indices=tuple(indices),
        read_at_ms=int(time.time() * 1000),
        ism_on_node=read_ism_on_node(client, conn, template_patterns) if ism else None,
    )


def _existing_indices(client: Any, conn: Connection, patterns: Sequence[str], ism: bool) -> list[IndexFacts]:
    found: dict[str, IndexFacts] = {}
    for pattern in patterns:
        for fact in read_index_facts(client, conn, pattern):
            if not fact.name.startswith("."):
                found[fact.name] = fact
    if ism and found:
        managed: dict[str, str | None] = {}
        for pattern in patterns:
            try:
                explained = read_explain(IsmApi(client, conn).explain(pattern))
            except RemoteError:
                continue  # nothing managed under this pattern
            managed.update({r.index: r.policy_id for r in explained if r.managed})
        found = {name: replace(f, managed_by=managed.get(name)) for name, f in found.items()}
    return [found[name] for name in sorted(found)]


def _pattern_shards(client: Any, conn: Connection, pattern: str) -> int:
    """Shards (primaries and replicas) of the open indices ``pattern`` matches."""
    total = 0
    for row in cat_indices(client, conn, pattern):
        primaries, replicas = int(row.get("pri") or 0), int(row.get("rep") or 0)
        total += primaries * (1 + replicas)
    return total
