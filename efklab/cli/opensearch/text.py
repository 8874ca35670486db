"""What ``efklab opensearch status`` prints: one line for the node, then its processes, plugins and settings."""
from __future__ import annotations

import json
from typing import Any

from efklab.adapters.localnode.distribution import read_distribution
from efklab.adapters.localnode.lifecycle import NodeStatus
from efklab.opensearch.ismbuild import UNRECORDED
from efklab.opensearch.nodeconfig import NodeSettings


def plugin_sources(settings: NodeSettings) -> dict[str, str]:
    """Where each plugin of the cached node came from (its cache marker; empty when there is none)."""
    dist = read_distribution(settings.distribution_dir)
    return dict(dist.sources) if dist is not None else {}


def status_json(current: NodeStatus, settings: NodeSettings) -> str:
    doc: dict[str, Any] = {"running": current.running, "state_dir": str(settings.state_dir), "health": current.health,
                           "foreign": current.foreign, **(current.state.to_json() if current.state else {})}
    if current.state is not None:
        sources = plugin_sources(settings)
        doc["plugin_sources"] = {name: sources.get(name, UNRECORDED) for name in current.state.plugins}
    return json.dumps(doc, indent=2)


def status_text(current: NodeStatus, settings: NodeSettings) -> str:
    state = current.state
    if state is None:
        return f"not running (state folder {settings.state_dir})"
    health = current.health or {}
    word = ("running" if current.running else "NOT ANSWERING (processes alive)" if current.alive
            else "NOT RUNNING (stale state)")
    lines = [f"{word}  {state.url}  {state.engine_version.label}  "
             f"{len(state.nodes)} node{'s' * (len(state.nodes) > 1)}  cluster {health.get('status', 'unreachable')}"]
    if current.foreign:
        lines.append(f"  not ours: {current.foreign}")
    for proc in state.nodes:
        lines.append(f"  {proc.name}: pid {proc.pid}, http {proc.http_port}, transport {proc.transport_port}, "
                     f"log {proc.console_log}")
    sources = plugin_sources(settings)
    for name, version in state.plugins.items():
        lines.append(f"  plugin {name} {version}: {sources.get(name, UNRECORDED)}")
    if not state.plugins:
        lines.append("  plugins: none")
    for name, reason in state.missing_plugins.items():
        lines.append(f"  missing: {name} ({reason})")
    ism = "on (job interval 1 min)" if state.fast_ism else "off"
    lines.append(f"  fast ISM: {ism}; Java {state.java_version} at {state.java_home}; started {state.started_at}")
    return "\n".join(lines)
