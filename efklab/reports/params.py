"""Parameters of report notebooks: which notebooks, which values, which output folder.

Pure rules the report runner applies before anything runs: a supplied parameter that no
selected notebook declares is an error (papermill only warns, and a typo would silently run
the default), values are converted to the type the notebook declares, and the output path
template is expanded from the parameters and the run time.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from efklab.errors import ReportError

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_UNSAFE_IN_PATH = re.compile(r"[^A-Za-z0-9._-]+")
_NUMBER_PREFIX = re.compile(r"^(\d+)[-_]")


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """A parameter as the notebook declares it: ``name: type = default  # help``."""

    name: str
    type: str
    default: str
    help: str


def select_notebooks(paths: Sequence[Path], only: Sequence[str]) -> list[Path]:
    """The notebooks to run: all of them, or those named by ``--only`` (full stem, stem without number, or number)."""
    if not paths:
        raise ReportError("no notebooks to run (no *.ipynb found)")
    if not only:
        return list(paths)
    chosen: list[Path] = []
    for wanted in only:
        matches = [path for path in paths if wanted in _names_of(path)]
        if not matches:
            available = ", ".join(path.stem for path in paths)
            raise ReportError(f"no notebook named {wanted!r}; available: {available}", source="--only")
        chosen.extend(match for match in matches if match not in chosen)
    return [path for path in paths if path in chosen]


def bind_parameters(
    declared: Mapping[str, Mapping[str, ParameterSpec]],
    supplied: Mapping[str, Any],
    *,
    optional: Mapping[str, Any] | None = None,
    template_fields: frozenset[str] = frozenset(),
) -> dict[str, dict[str, Any]]:
    """Per notebook, the supplied values it declares, converted to its declared types.

    ``supplied`` names must be declared by at least one notebook (or used by the output path
    template); ``optional`` values (e.g. the CLI's ``--opensearch-url``) go only where declared.
    """
    for name in supplied:
        if name in template_fields or any(name in params for params in declared.values()):
            continue
        everything = sorted({p for params in declared.values() for p in params})
        close = difflib.get_close_matches(name, everything, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; declared: {', '.join(everything) or 'none'}"
        raise ReportError(f"unknown parameter {name!r}{hint}", source=",".join(declared), position=name)
    bound: dict[str, dict[str, Any]] = {}
    merged = {**(optional or {}), **supplied}
    for notebook, params in declared.items():
        bound[notebook] = {
            name: coerce_value(value, params[name], notebook=notebook)
            for name, value in merged.items()
            if name in params and value is not None
        }
    return bound


def coerce_value(value: Any, spec: ParameterSpec, *, notebook: str) -> Any:
    """The value converted to the declared type (``-p`` values arrive as text)."""
    wanted = spec.type.strip().strip("'\"")
    if not isinstance(value, str):
        return value
    try:
        if wanted == "int":
            return int(value)
        if wanted == "float":
            return float(value)
        if wanted == "bool":
            return _to_bool(value)
        if wanted in {"str", "Path"}:
            return value
        return _guess(value)
    except ValueError as exc:
        raise ReportError(
            f"parameter {spec.name!r} wants {wanted}, got {value!r}", source=notebook, position=spec.name
        ) from exc


def expand_out_template(template: str, parameters: Mapping[str, Any], now: dt.datetime) -> Path:
    """``reports/{date}`` -> ``reports/2024-05-01``: fields are date, time, datetime and any parameter."""
    fields = {
        "date": str(parameters.get("date") or now.date().isoformat()),
        "time": now.strftime("%H%M%S"),
        "datetime": now.strftime("%Y-%m-%dT%H%M%S"),
    }
    for name, value in parameters.items():
        if name not in fields or name == "date":
            fields[name] = _UNSAFE_IN_PATH.sub("_", str(value)).strip("_-.") or "_"
    try:
        used = template_fields(template)
    except ValueError as exc:
        raise ReportError(f"bad output path template: {exc}", source="--out", position=template) from exc
    missing = sorted(used - fields.keys())
    if missing:
        raise ReportError(
            f"output path template uses {', '.join(missing)}, which is neither date, time, datetime nor a parameter",
            source="--out",
            position=template,
        )
    expanded = template.format_map(fields)
    if not expanded.strip():
        raise ReportError("output path template is empty", source="--out")
    return Path(expanded).expanduser()


def template_fields(template: str) -> frozenset[str]:
    """The field names a ``str.format`` template refers to."""
    return frozenset(name for _text, name, _spec, _conv in string.Formatter().parse(template) if name)


def opt_in_reason(path: Path) -> str | None:
    """Why the notebook runs only when named (its ``metadata.efklab.opt_in``), or None."""
    try:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return None
    reason = metadata.get("efklab", {}).get("opt_in") if isinstance(metadata, dict) else None
    return reason if isinstance(reason, str) else None


def _names_of(path: Path) -> set[str]:
    names = {path.stem, path.name}
    number = _NUMBER_PREFIX.match(path.stem)
    if number:
        names |= {number.group(1), str(int(number.group(1))), path.stem[number.end() :]}
    return names


def _to_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(value)


def _guess(value: str) -> Any:
    """Undeclared type: what papermill's CLI would guess (int, float, bool, None, else text)."""
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    if value in {"True", "False"}:
        return value == "True"
    if value == "None":
        return None
    return value
