"""Sample sets on disk: container log paths in, payload/provenance files out, byte-reproducible.

Writers use fixed gzip headers (mtime 0, no file name) and compact UTF-8 JSON, so the same
inputs give the same bytes.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from efklab.errors import InputError, UsageError
from efklab.fluentd.filters import PodFacts


def container_log_paths(inputs: Iterable[str]) -> list[tuple[str, str]]:
    """(path, name in provenance) per file: files as given; a directory stands for its ``*.log``
    files (sorted), named ``<directory name>/<file>`` as ``generate`` names them."""
    found: list[tuple[str, str]] = []
    for item in inputs:
        if os.path.isdir(item):
            logs = sorted(Path(item).glob("*.log"))
            if not logs:
                raise InputError("directory holds no *.log files", source=item)
            prefix = Path(item).resolve().name
            found += [(str(p), f"{prefix}/{p.name}") for p in logs]
        elif os.path.isfile(item):
            found.append((item, item))
        else:
            raise InputError("no such file" if not os.path.exists(item) else "not a regular file", source=item)
    return found


def log_files(logs: str | Sequence[str]) -> list[str]:
    """Container log files from a folder (its ``*.log`` or ``containers/*.log``) or a list of paths."""
    items = [logs] if isinstance(logs, (str, Path)) else list(logs)
    expanded = []
    for item in map(str, items):
        inner = Path(item) / "containers"
        expanded.append(str(inner) if inner.is_dir() else item)
    return [path for path, _name in container_log_paths(expanded)]


def write_text(path: Path, text: str) -> None:
    """UTF-8, ``\\n`` line ends, parent folders created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def jsonl(rows: Iterable[Mapping[str, Any] | str]) -> str:
    """Compact JSON, one per line; strings are taken as ready-made JSON text."""
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False, separators=(",", ":"))) + "\n"
                   for r in rows)


def gzip_bytes(text: str) -> bytes:
    """Deterministic gzip: no mtime, no file name, level 9."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))
    return buffer.getvalue()


def write_output(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (gzip when it ends in .gz; ``-`` is stdout)."""
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.endswith(".gz"):
        target.write_bytes(gzip_bytes(text))
    else:
        write_text(target, text)


def prepare_out_dir(out: Path, force: bool) -> None:
    """An empty (or new) directory; a non-empty one only with ``--force`` (its sample files are replaced)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UsageError(f"--out {out} is not empty (use --force to replace the sample files in it)")
    for sub in ("containers", "payloads", "lambda-events"):
        folder = out / sub
        if folder.is_dir():
            for old in folder.iterdir():
                if old.is_file():
                    old.unlink()
    out.mkdir(parents=True, exist_ok=True)


def pods_json(facts: Mapping[tuple[str, str, str], PodFacts]) -> str:
    """``pods.json``: what kubernetes_metadata knows of each pod, keyed ``namespace/pod/container``."""
    rows = {f"{ns}/{pod}/{container}": {**asdict(f), "labels": dict(f.labels)}
            for (pod, ns, container), f in sorted(facts.items(), key=lambda kv: kv[0][1:] + kv[0][:1])}
    return json.dumps(rows, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def load_pods(path: str) -> Callable[[str, str, str], PodFacts | None]:
    """A lookup (pod, namespace, container) -> PodFacts from a ``pods.json``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        table = {tuple(key.split("/")): PodFacts(**value) for key, value in data.items()}
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"not a pods.json ({exc})", source=path) from exc
    return lambda pod, ns, container: table.get((ns, pod, container))
