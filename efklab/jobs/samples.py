"""Sample container logs for a notebook or a test: generated, or the committed set, or your own files."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from efklab.adapters.samplefiles import container_log_paths, pods_json, write_text
from efklab.jobs.defaults import SAMPLE_CONTAINERS
from efklab.samples.generate import SampleSpec, generate_containers, pod_facts, render_log


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
        write_text(folder / log.file_name, render_log(log, spec.format))
    write_text(Path(out) / "pods.json", pods_json({(log.pod, log.namespace, log.container): pod_facts(log) for log in logs}))
    return [str(folder / log.file_name) for log in logs]


def container_logs(logs: str = "") -> list[str]:
    """The container log files to work on: ``logs`` (a folder or a file), or the committed sample set when empty."""
    return log_files(logs or str(SAMPLE_CONTAINERS))


def log_files(logs: str | Sequence[str]) -> list[str]:
    """Container log files from a folder (its ``*.log`` or ``containers/*.log``) or a list of paths."""
    items = [logs] if isinstance(logs, (str, Path)) else list(logs)
    expanded = []
    for item in map(str, items):
        inner = Path(item) / "containers"
        expanded.append(str(inner) if inner.is_dir() else item)
    return [path for path, _name in container_log_paths(expanded)]
