"""What ``efklab opensearch status`` prints: one line for the node, then its processes, plugins and settings."""
from __future__ import annotations

import json
from typing import Any

from efklab.adapters.localnode.lifecycle import NodeStatus
from efklab.opensearch.nodeconfig import NodeSettings


def status_json(current: NodeStatus, settings: NodeSettings) -> str:
    doc: dict[str, Any] = {"running": current.running, "state_dir": str(settings.state_dir), "health": current.health,
                           "foreign": current.foreign, **(current.state.to_json() if current.state else {})}
    return json.dumps(doc, indent=2)


def status_text(current: NodeStatus, settings: NodeSettings) -> str:
    state = current.state
    if state is None:
        return f"not running (state folder {settings.state_dir})"
    health = current.health or {}
    word = ("running" if current.running else "NOT ANSWERING (processes alive)" if current.alive
            else "NOT RUNNING (stale state)")
    lines = [f"{word}  {state.url}  OpenSearch {state.version}  "
             f"{len(state.nodes)} node{'s' * (len(state.nodes) > 1)}  cluster {health.get('status', 'unreachable')}"]
    if current.foreign:
        lines.append(f"  not ours: {current.foreign}")
    for proc in state.nodes:
        lines.append(f"  {proc.name}: pid {proc.pid}, http {proc.http_port}, transport {proc.transport_port}, "
                     f"log {proc.console_log}")
    lines.append(f"  plugins: {', '.join(f'{k} {v}' for k, v in state.plugins.items()) or 'none'}")
    for name, reason in state.missing_plugins.items():
        lines.append(f"  missing: {name} ({reason})")
    ism = "on (job interval 1 min)" if state.fast_ism else "off"
    lines.append(f"  fast ISM: {ism}; Java {state.java_version} at {state.java_home}; started {state.started_at}")
    return "\n".join(lines)
