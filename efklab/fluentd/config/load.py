"""Where fluentd text comes from: plain files, ConfigMap YAML, Helm templates; and ``@include``.

A *unit* is one piece of fluentd text: a file, or one ``data:`` key of a ConfigMap (the
files fluentd sees once the ConfigMap is mounted).  Every unit keeps a map from its offsets to
the physical lines of the file on disk, so positions name the line a user sees in the editor.
"""
from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from efklab.errors import ConfigError, InputError
from efklab.fluentd.config.literal import make_line_map
from efklab.fluentd.config.model import Config, Directive, Include
from efklab.fluentd.config.parser import as_filter_body, parse_unit
from efklab.fluentd.config.yamlscalar import configmap_units, helm_units

_MANIFEST_HINT = re.compile(r"^(?:apiVersion|kind|data)\s*:", re.M)
_YAML_SUFFIXES = (".yaml", ".yml", ".tpl")

Unit = tuple[str | None, str, Callable[[int], int] | None]  # (name, text, offset -> line)


def read_text(path: Path) -> str:
    """The file's text as fluentd reads it (UTF-8); InputError when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read config: {exc.strerror or exc}", source=str(path)) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text at byte {exc.start}", source=str(path)) from exc


def is_manifest(path: Path, text: str) -> bool:
    """True for Kubernetes YAML (ConfigMap, multi-document manifest, Helm template)."""
    if path.suffix.lower() in _YAML_SUFFIXES:
        return True
    return bool(_MANIFEST_HINT.search(text)) and "<" not in text.split("data:", 1)[0]


def manifest_units(text: str, file: str) -> tuple[list[Unit], list[str]]:
    """The ConfigMap data keys of a manifest (or of a Helm template, when it is not YAML yet)."""
    notes: list[str] = []
    try:
        units = configmap_units(text)
    except ValueError as exc:
        if "{{" not in text:
            raise ConfigError(f"not valid YAML: {exc}", source=file) from exc
        units = helm_units(text)
        notes.append(f"{file}: Helm template read without rendering; template expressions inside "
                     "fluentd text are kept as written")
    if not units:
        raise ConfigError("no ConfigMap with fluentd text under data: found", source=file)
    return [(name, body, make_line_map(breaks)) for name, body, breaks in units], notes


def load_config(path: str | Path, *, configmap_dir: str | None = None) -> Config:
    """Read a config file and everything it ``@include``s; ConfigError names file and line.

    ``configmap_dir`` is where the ConfigMap is mounted in the fluentd container (e.g.
    ``/fluentd/etc``): absolute ``@include`` paths under it resolve to data keys.
    """
    p = Path(path)
    text = read_text(p)
    file = str(path)
    notes: list[str] = []
    if is_manifest(p, text):
        units, unit_notes = manifest_units(text, file)
        notes.extend(unit_notes)
        roots = [parse_unit(body, file=file, unit=name, line_of=line_of, notes=notes)
                 for name, body, line_of in units]
        includes = _resolve_configmap_includes(roots, [u[0] for u in units if u[0]], configmap_dir, notes)
        _refuse_unit_include_loops(includes)
        return _config(roots, (file,), includes, notes)
    root = as_filter_body(parse_unit(text, file=file, notes=notes))
    return _load_files(root, notes)


def _config(roots: list[Directive], files: tuple[str, ...], includes: list[Include], notes: list[str]) -> Config:
    top = tuple(d for r in roots for d in r.children)
    return Config(roots=top, files=files, units=tuple(roots), includes=tuple(includes), notes=tuple(notes))


def _resolve_configmap_includes(roots: list[Directive], keys: list[str], mount: str | None,
                                notes: list[str]) -> list[Include]:
    out: list[Include] = []
    for root in roots:
        for inc in root.includes:
            target, note = inc.target, None
            resolved: tuple[str, ...] = ()
            under = mount.rstrip("/") if mount else None
            if "#{" in target:
                note = "embedded Ruby in the include path is not evaluated"
            elif target.startswith("/") and under is None:
                note = "absolute path: pass the directory the ConfigMap is mounted at to resolve it"
            elif target.startswith("/") and os.path.dirname(target) != under:
                note = (f"a subdirectory of the ConfigMap mount {under} (another volume): not resolved"
                        if target.startswith(f"{under}/") else f"not under the ConfigMap mount {under}")
            else:
                pattern = os.path.basename(target) if target.startswith("/") else target
                resolved = tuple(sorted(k for k in keys if "/" not in pattern and fnmatch.fnmatchcase(k, pattern)))
                if not resolved:
                    note = "no ConfigMap key matches: fluentd includes nothing"
            if note:
                notes.append(f"{inc.file}:{inc.line}: @include {target}: {note}")
            out.append(replace(inc, resolved=resolved, note=note))
    return out


def _load_files(first: Directive, notes: list[str]) -> Config:
    """Follow ``@include`` between plain files, relative to the including file, as fluentd does."""
    roots = [first]
    files = [first.file]
    includes: list[Include] = []
    seen = {os.path.abspath(first.file)}
    edges: dict[str, list[tuple[Include, str]]] = {}  # file -> (include statement, included file)
    i = 0
    while i < len(roots):
        for inc in roots[i].includes:
            resolved, note = _glob_include(inc)
            for target in resolved:
                key = os.path.abspath(target)
                edges.setdefault(os.path.abspath(roots[i].file), []).append((inc, key))
                if key in seen:
                    continue
                seen.add(key)
                text = read_text(Path(target))
                roots.append(parse_unit(text, file=target, notes=notes))
                files.append(target)
            if note:
                notes.append(f"{inc.file}:{inc.line}: @include {inc.target}: {note}")
            includes.append(replace(inc, resolved=resolved, note=note))
        i += 1
    _refuse_include_loops(edges, os.path.abspath(first.file))
    return _config(roots, tuple(files), includes, notes)


def _refuse_include_loops(edges: dict[str, list[tuple[Include, str]]], start: str) -> None:
    """fluentd's parser reads an ``@include`` again each time it meets it, with no loop check
    (``V1Parser#eval_include``): a file that includes itself, directly or through others, recurses
    until Ruby's stack runs out and fluentd fails to start (``stack level too deep``)."""
    path: list[str] = []
    done: set[str] = set()
    todo: list[tuple[str, int]] = [(start, 0)]  # depth-first, without recursion: (file, next edge)
    while todo:
        file, k = todo.pop()
        if k == 0:
            path.append(file)
        out = edges.get(file, [])
        if k == len(out):
            done.add(path.pop())
            continue
        todo.append((file, k + 1))
        inc, target = out[k]
        if target in path:
            shown = " -> ".join(os.path.basename(f) for f in (*path[path.index(target):], target))
            raise ConfigError(f"@include {inc.target} loops ({shown}): fluentd reads the files again without end "
                              "and fails to start with 'stack level too deep (SystemStackError)'",
                              source=inc.file, position=inc.line)
        if target not in done:
            todo.append((target, 0))


def _refuse_unit_include_loops(includes: list[Include]) -> None:
    """Include loops between the data keys of a ConfigMap (mounted side by side, as fluentd reads them)."""
    edges: dict[str, list[tuple[Include, str]]] = {}
    for inc in includes:
        if inc.unit is not None:
            edges.setdefault(inc.unit, []).extend((inc, key) for key in inc.resolved)
    for unit in list(edges):
        _refuse_include_loops(edges, unit)


def _glob_include(inc: Include) -> tuple[tuple[str, ...], str | None]:
    target = inc.target
    if "#{" in target:
        return (), "embedded Ruby in the include path is not evaluated"
    if re.match(r"^[a-z][a-z0-9+.-]+://", target) and not target.startswith("file://"):
        return (), "remote include (URL) not fetched"
    target = target.removeprefix("file://")
    base = os.path.dirname(inc.file) or "."
    pattern = target if os.path.isabs(target) else os.path.join(base, target)
    found = tuple(sorted(os.path.normpath(p) for p in glob.glob(pattern) if os.path.isfile(p)))
    return found, (None if found else "no file matches: fluentd includes nothing")
