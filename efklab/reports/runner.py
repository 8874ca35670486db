"""The report runner: execute notebooks with papermill, collect verdicts, write a checked report.

The recipe: find the notebooks, bind the supplied parameters to the ones each notebook
declares (unknown names are an error, unlike papermill's warning), execute each notebook
with a real kernel in a private staging folder, render HTML with nbconvert, collect the
checks the notebooks recorded, scan every output for secrets, and only then write the
executed notebooks, their HTML, ``index.html`` and ``summary.json`` into the (templated)
output folder.  A notebook that fails is kept, with an ``error`` verdict.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbformat import NotebookNode

from efklab import __version__
from efklab.errors import ReportError
from efklab.reports.htmlpage import render_notebook_html
from efklab.reports.page import render_index
from efklab.reports.params import (
    ParameterSpec,
    bind_parameters,
    expand_out_template,
    select_notebooks,
    template_fields,
)
from efklab.reports.secretscan import SecretFinding, credential_values, scan_text
from efklab.reports.verdicts import Check, collect_checks, error_check, exit_code, record_check, summarize_checks

__all__ = ["NotebookRun", "ReportResult", "default_notebook_dir", "inspect_parameters", "record_check", "run_report"]

# nbformat and nbconvert carry no annotations: the types the runner relies on.
_read_notebook: Callable[..., NotebookNode] = nbformat.read
_parse_notebook: Callable[..., NotebookNode] = nbformat.reads
_notebook_text: Callable[[NotebookNode], str] = nbformat.writes

_CELL_TIMEOUT = 1800  # seconds per cell: a hung query must not hang a cron job forever
# Run in the caller's folder (relative paths in parameters keep their meaning), but import nothing from it:
# IPython puts '' on sys.path, and a folder named like a package there ('efklab') would shadow the real one.
_SAFE_IMPORTS = "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]"


@dataclass(frozen=True, slots=True)
class NotebookRun:
    """One executed notebook: where it came from, what it was given, what it said, and its renderings."""

    name: str
    input_path: str
    parameters: dict[str, Any]
    checks: list[Check]
    ipynb: str
    html: str
    duration: float | None
    failed: bool


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What was written where, and the verdict."""

    out_dir: Path
    summary: dict[str, Any]
    runs: list[NotebookRun] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all checks passed; 1 a check failed or a notebook errored."""
        return exit_code(self.summary)


def default_notebook_dir() -> Path:
    """The notebooks shipped beside the package (``notebooks/`` of the checkout)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def inspect_parameters(path: Path) -> dict[str, ParameterSpec]:
    """The parameters a notebook declares in its ``parameters`` cell, as papermill reads them."""
    try:
        found = papermill.inspect_notebook(str(path))
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        raise ReportError(f"cannot read the notebook: {exc}", source=str(path)) from exc
    return {
        name: ParameterSpec(name=name, type=str(p["inferred_type_name"]), default=str(p["default"]),
                            help=str(p["help"]))
        for name, p in found.items()
    }


def run_report(
    notebooks: Sequence[Path],
    out: str,
    parameters: Mapping[str, Any],
    *,
    now: dt.datetime,
    optional_parameters: Mapping[str, Any] | None = None,
    environ: Mapping[str, str],
    only: Sequence[str] = (),
    kernel_name: str | None = None,
    cwd: Path | None = None,
    cell_timeout: int = _CELL_TIMEOUT,
    hide_code: bool = False,
    progress: bool = False,
    jobs: int = 1,
    on_notebook: Callable[[NotebookRun], None] | None = None,
) -> ReportResult:
    """Run the selected notebooks and write the report; refuse (ReportError) if any output holds a secret.

    ``parameters`` must each be declared by a selected notebook (or used by the ``out``
    template); ``optional_parameters`` go only to the notebooks that declare them.  ``jobs``
    notebooks run at once, each in its own kernel (while one waits for the node, another
    computes); ``on_notebook`` hears of each as it finishes, the report keeps their order.
    """
    if jobs < 1:
        raise ReportError(f"jobs must be at least 1, not {jobs}", source="--jobs")
    chosen = select_notebooks(notebooks, only)
    declared = {path.stem: inspect_parameters(path) for path in chosen}
    bound = bind_parameters(
        declared, parameters, optional=optional_parameters, template_fields=template_fields(out)
    )
    out_dir = expand_out_template(out, parameters, now)
    secrets = credential_values(environ)
    with tempfile.TemporaryDirectory(prefix="efklab-report-") as staging, ThreadPoolExecutor(jobs) as pool:
        pending = {
            pool.submit(_execute, path, bound[path.stem], Path(staging), kernel_name, cwd, cell_timeout, hide_code,
                        progress and n): path
            for n, path in enumerate(chosen, start=1)
        }
        finished: dict[Path, NotebookRun] = {}
        for future in as_completed(pending):
            finished[pending[future]] = run = future.result()
            if on_notebook is not None:
                on_notebook(run)
        runs = [finished[path] for path in chosen]
    checks = [check for run in runs for check in run.checks]
    summary = {
        "efklab_version": __version__,
        "started": now.isoformat(timespec="seconds"),
        "out_dir": str(out_dir),
        **summarize_checks(checks),
        "parameters": dict(parameters),
        "notebooks": [_notebook_entry(run) for run in runs],
        "checks": checks,
    }
    outputs = _report_files(runs, summary, now)
    findings = _scan(runs, outputs, secrets)
    if findings:
        listed = "; ".join(f.describe() for f in findings[:5]) + ("; ..." if len(findings) > 5 else "")
        raise ReportError(
            f"refusing to write the report: {len(findings)} secret(s) found in its outputs ({listed}); "
            "nothing was written",
            source=str(out_dir),
        )
    _write_files(out_dir, outputs)
    return ReportResult(out_dir=out_dir, summary=summary, runs=runs)


def _execute(
    path: Path,
    parameters: dict[str, Any],
    staging: Path,
    kernel_name: str | None,
    cwd: Path | None,
    cell_timeout: int,
    hide_code: bool,
    progress: int,
) -> NotebookRun:
    """Execute one notebook into the staging folder; an exception becomes an ``error`` check, never a crash.

    ``progress``: 0 no bar, else the line (from 1) of this notebook's bar among the report's.
    """
    staged = staging / f"{path.stem}.ipynb"
    failure: Check | None = None
    try:
        papermill.execute_notebook(
            str(path),
            str(staged),
            parameters=parameters,
            kernel_name=kernel_name,
            cwd=str(cwd) if cwd else None,
            progress_bar={"desc": path.stem, "leave": True, "position": progress - 1} if progress else False,
            execution_timeout=cell_timeout,
            **_kernel_arguments(path, kernel_name),
        )
    except papermill.PapermillExecutionError as exc:
        failure = error_check(path.stem, ename=exc.ename, evalue=exc.evalue, cell=exc.exec_count)
    except Exception as exc:  # a dead kernel or a timeout is this notebook's verdict, not the run's
        failure = error_check(path.stem, ename=type(exc).__name__, evalue=" ".join(str(exc).split())[:500], cell=None)
    if staged.exists():
        notebook = _read_notebook(staged, as_version=4)
    else:  # the kernel never started: report the unexecuted notebook
        notebook = _read_notebook(path, as_version=4)
    checks = collect_checks(notebook, name=path.stem) + ([failure] if failure else [])
    html = render_notebook_html(notebook, hide_code=hide_code)
    duration = notebook.get("metadata", {}).get("papermill", {}).get("duration")
    return NotebookRun(
        name=path.stem,
        input_path=str(path),
        parameters=parameters,
        checks=checks,
        ipynb=_notebook_text(notebook),
        html=html,
        duration=float(duration) if isinstance(duration, (int, float)) else None,
        failed=failure is not None,
    )


def _kernel_arguments(path: Path, kernel_name: str | None) -> dict[str, Any]:
    """IPython kernels: silence the start-up warnings they print on our stderr, and import nothing from the cwd."""
    language = _read_notebook(path, as_version=4).get("metadata", {}).get("kernelspec", {}).get("language", "python")
    if kernel_name in (None, "python3") and language == "python":
        return {"extra_arguments": ["--IPKernelApp.log_level=ERROR", f"--IPKernelApp.exec_lines={_SAFE_IMPORTS}"]}
    return {}


def _notebook_entry(run: NotebookRun) -> dict[str, Any]:
    return {
        "name": run.name,
        "input": run.input_path,
        "ipynb": f"{run.name}.ipynb",
        "html": f"{run.name}.html",
        "status": "error" if run.failed else "ok",
        "duration_s": run.duration,
        "parameters": run.parameters,
        **summarize_checks(run.checks),
    }


def _report_files(runs: Sequence[NotebookRun], summary: dict[str, Any], now: dt.datetime) -> dict[str, str]:
    files: dict[str, str] = {}
    for run in runs:
        files[f"{run.name}.ipynb"] = run.ipynb
        files[f"{run.name}.html"] = run.html
    files["summary.json"] = json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n"
    files["index.html"] = render_index(summary, now=now)
    return files


def _scan(runs: Sequence[NotebookRun], outputs: Mapping[str, str], secrets: Mapping[str, str]) -> list[SecretFinding]:
    """Scan each notebook cell by cell (readable positions) and every file as written."""
    findings: list[SecretFinding] = []
    for run in runs:
        notebook = _parse_notebook(run.ipynb, as_version=4)
        for index, cell in enumerate(notebook.cells):
            findings.extend(scan_text(_cell_text(cell), source=f"{run.name}.ipynb cell {index}", secrets=secrets))
    for name, text in outputs.items():
        findings.extend(scan_text(text, source=name, secrets=secrets))
    unique: dict[tuple[str, str], SecretFinding] = {}
    for finding in findings:
        unique.setdefault((finding.source, finding.kind), finding)
    return list(unique.values())


def _cell_text(cell: Mapping[str, Any]) -> str:
    parts = [str(cell.get("source", ""))]
    for output in cell.get("outputs", []) or []:
        parts.extend(str(output.get(key, "")) for key in ("text", "ename", "evalue"))
        parts.append("\n".join(output.get("traceback", []) or []))
        for mime, value in (output.get("data") or {}).items():
            if not mime.startswith("image/") or mime == "image/svg+xml":
                parts.append(value if isinstance(value, str) else json.dumps(value))
    return "\n".join(parts)


def _write_files(out_dir: Path, files: Mapping[str, str]) -> None:
    """Write each file atomically (temporary name, then rename) so a reader never sees half a report.

    Created with mode 0666 less the umask (0644 usually), like any other output, so a web server or a
    CI artefact step can read the report (``mkstemp`` would make them 0600).
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            target = out_dir / name
            temporary = out_dir / f".{name}.{secrets.token_hex(4)}.tmp"
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, target)
    except OSError as exc:
        raise ReportError(f"cannot write the report: {exc.strerror or exc}", source=str(out_dir)) from exc

