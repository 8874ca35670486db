"""``efklab report``: run the notebooks as a papermill report with one verdict per check."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from efklab.errors import UsageError
from efklab.reports.params import opt_in_reason, select_notebooks
from efklab.reports.present import figures_text
from efklab.reports.runner import NotebookRun, default_notebook_dir, inspect_parameters, run_report


def run(args: argparse.Namespace) -> int:
    """Run the report; print where it is and the verdict."""
    folder = args.notebooks or default_notebook_dir()
    if not folder.is_dir():
        raise UsageError(f"no such notebook folder: {folder}", source="--notebooks")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not args.only:  # notebooks that run only when named (e.g. 06-upgrade starts a second node)
        for path in list(notebooks):
            if (reason := opt_in_reason(path)) is not None:
                notebooks.remove(path)
                print(f"efklab report: {path.stem} not run by default ({reason}); run it with --only "
                      f"{path.stem.split('-')[0]}", file=sys.stderr)
    if args.list:
        return _list(select_notebooks(notebooks, args.only), args.json)
    supplied = {name: value for name, value in args.parameter}
    optional = {
        "opensearch_url": args.opensearch_url,
        "aws_region": args.aws_region,
        "ca_certs": args.ca_certs,
        "no_verify_tls": True if args.no_verify_tls else None,
        "keep_indices": True if args.keep_indices else None,
    }
    interactive = sys.stderr.isatty()

    def announce(notebook: NotebookRun) -> None:
        counts = {v: sum(1 for c in notebook.checks if c["verdict"] == v) for v in ("pass", "fail", "error")}
        took = f" in {notebook.duration:.1f} s" if notebook.duration is not None else ""
        state = "DID NOT FINISH" if counts["error"] else "FAIL" if counts["fail"] else "PASS"
        print(f"{notebook.name}: {state} ({counts['pass']} pass, {counts['fail']} fail){took}", file=sys.stderr)

    result = run_report(
        notebooks,
        args.out,
        supplied,
        optional_parameters=optional,
        now=dt.datetime.now().astimezone(),
        environ=os.environ,
        only=args.only,
        kernel_name=args.kernel,
        cell_timeout=args.timeout,
        hide_code=args.hide_code,
        progress=interactive,
        jobs=args.jobs,
        on_notebook=announce,
    )
    summary = result.summary
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    else:
        for check in summary["checks"]:
            if check["verdict"] != "pass":
                print(f"{check['verdict'].upper()}: {check['notebook']}: {check['name']}: "
                      f"{figures_text(check['figures'])}")
    counts = summary["counts"]
    print(
        f"report: {result.out_dir / 'index.html'} ({summary['verdict']}: {counts['pass']} pass, "
        f"{counts['fail']} fail, {counts['error']} notebook(s) did not finish)",
        file=sys.stderr,
    )
    return result.exit_code


def _list(notebooks: list[Path], as_json: bool) -> int:
    listing = {path.stem: inspect_parameters(path) for path in notebooks}
    if as_json:
        print(json.dumps({nb: {n: vars_of(spec) for n, spec in params.items()} for nb, params in listing.items()},
                         indent=2))
        return 0
    for name, params in listing.items():
        print(name)
        for spec in params.values():
            print(f"  {spec.name}: {spec.type} = {spec.default}" + (f"  # {spec.help}" if spec.help else ""))
    return 0


def vars_of(spec: object) -> dict[str, str]:
    """A parameter spec as a plain dict for --json."""
    return {field: str(getattr(spec, field)) for field in ("type", "default", "help")}
