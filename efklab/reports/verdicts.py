"""Checks a notebook reports, and the verdict of a report run as a fold over them.

A notebook calls :func:`record_check` (re-exported as ``efklab.reports.runner.record_check``); it
displays one output with the efklab check mime type, which survives in the executed
notebook and which the report runner collects with :func:`collect_checks`.  The same output
renders as a small line in JupyterLab and in the HTML report.  Each check says what was
measured and where (``measured``: observed on the node, or forecast from the inputs), so a
reader never mistakes a prediction for an observation.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypedDict

from IPython.display import display

from efklab.reports.present import figures_text

CHECK_MIME = "application/vnd.efklab.check+json"
_display: Callable[..., None] = display  # IPython's display carries no annotations

Verdict = Literal["pass", "fail", "error"]
VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "error")


class Check(TypedDict):
    """One verdict: which notebook, which check, pass/fail/error, what was measured where, the figures behind it."""

    notebook: str
    name: str
    verdict: Verdict
    measured: str
    figures: dict[str, Any]


def check_bundle(name: str, passed: bool, figures: Mapping[str, Any], measured: str = "") -> dict[str, Any]:
    """The display bundle for one check: efklab JSON, plus HTML and text for people."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a check needs a non-empty name")
    if not isinstance(passed, bool) and callable(getattr(passed, "item", None)):
        passed = passed.item()  # numpy.bool_ from a pandas comparison
    if not isinstance(passed, bool):
        raise TypeError(f"check {name!r}: passed must be True or False, not {type(passed).__name__}")
    verdict: Verdict = "pass" if passed else "fail"
    clean = {str(key): _jsonable(value, f"{name}.{key}") for key, value in figures.items()}
    shown = figures_text(clean)
    mark = "PASS" if passed else "FAIL"
    colour = "#1a7f37" if passed else "#cf222e"
    where = f" ({measured})" if measured else ""
    return {
        # nbformat writes JSON with sorted keys: "order" keeps the figures in the order the notebook gave them.
        CHECK_MIME: {"name": name, "verdict": verdict, "measured": measured, "figures": clean, "order": list(clean)},
        "text/plain": f"[{mark}] {name}{where}" + (f": {shown}" if shown else ""),
        "text/html": (
            f'<div class="efklab-check"><b style="color:{colour}">{mark}</b> {html.escape(name)}'
            + (f' <span class="efklab-measured">{html.escape(measured)}</span>' if measured else "")
            + (f'<div class="efklab-figures">{html.escape(shown)}</div>' if shown else "") + "</div>"
        ),
    }


def record_check(name: str, passed: bool, *, measured: str = "", **figures: Any) -> None:
    """Report one check from a notebook: its name, whether it passed, what was measured where, its figures.

    ``measured`` says where the numbers come from, e.g. "observed on the node (_cat/indices)" or
    "forecast from the payloads"; the report shows it beside the verdict.
    """
    _display(check_bundle(name, passed, figures, measured), raw=True)


def collect_checks(notebook: Mapping[str, Any], *, name: str) -> list[Check]:
    """The checks a notebook recorded, in execution order (from its cells' display outputs)."""
    found: list[Check] = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            payload = data.get(CHECK_MIME)
            if isinstance(payload, str):  # older nbformat writers keep +json as text
                payload = json.loads(payload)
            if isinstance(payload, Mapping) and payload.get("verdict") in VERDICTS:
                found.append(
                    Check(
                        notebook=name,
                        name=str(payload.get("name", "")),
                        verdict=payload["verdict"],
                        measured=str(payload.get("measured") or ""),
                        figures=_in_order(dict(payload.get("figures") or {}), payload.get("order")),
                    )
                )
    return found


def error_check(notebook: str, *, ename: str, evalue: str, cell: int | None) -> Check:
    """The verdict for a notebook that did not run to its end: named for what happened, with where and why.

    Its checks after the failing cell never ran, so the report must not read as if they passed.
    """
    where = f"at cell [{cell}]" if cell is not None else "before its first cell (the kernel did not run it)"
    return Check(
        notebook=notebook,
        name=f"notebook stopped {where}: {ename}",
        verdict="error",
        measured="the notebook's execution; the checks after this cell did not run",
        figures={"exception": ename, "message": evalue, "cell": cell},
    )


def summarize_checks(checks: Iterable[Check]) -> dict[str, Any]:
    """Counts per verdict and the overall verdict (error > fail > pass; pass when nothing failed)."""
    counts = {verdict: 0 for verdict in VERDICTS}
    for check in checks:
        counts[check["verdict"]] += 1
    overall: Verdict = "error" if counts["error"] else "fail" if counts["fail"] else "pass"
    return {"verdict": overall, "counts": counts}


def exit_code(summary: Mapping[str, Any]) -> int:
    """0 when every check passed, 1 when any failed or a notebook errored (the report is still written)."""
    return 0 if summary["verdict"] == "pass" else 1


def _in_order(figures: dict[str, Any], order: object) -> dict[str, Any]:
    """The figures in the order recorded beside them (any not listed keep theirs, after)."""
    if not isinstance(order, list):
        return figures
    first = {str(key): figures[str(key)] for key in order if str(key) in figures}
    return {**first, **{key: value for key, value in figures.items() if key not in first}}


def _jsonable(value: Any, where: str) -> Any:
    """Plain JSON values from what notebooks hand over (numpy scalars, dates, tuples)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if hasattr(value, "item") and callable(value.item):  # numpy / pandas scalars
        return _jsonable(value.item(), where)
    raise TypeError(f"figure {where}: {type(value).__name__} is not a JSON value")

