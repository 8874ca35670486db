"""``efklab report``: run the notebooks as a papermill report with one verdict per check."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from efklab.cli.common import add_connection_options, add_json_option
from efklab.errors import UsageError

DESCRIPTION = """\
Execute the notebooks (default: the ones shipped in notebooks/) with papermill and a real
kernel, then write into OUT: each executed notebook (.ipynb, kept when it fails), its HTML
rendering, index.html and summary.json with one verdict per check (pass/fail/error and the
figures behind it).  Parameters must be declared by a notebook (a typo is an error, not a
silently ignored value).  Every output is scanned for secrets first; a report containing one
is not written.  Exit 0 all checks passed, 1 a check failed or a notebook errored, 2 bad input.
"""

EPILOG = """\
examples:
  efklab report                                        # every notebook on data/samples -> reports/<today>/
  efklab report --only ordering -p logs /tmp/my-logs   # one notebook on your own container logs
  efklab report --out 'reports/{date}-{prefix}' --only replay -p prefix nightly
  efklab report --list                                 # the notebooks and their parameters
output path fields: {date} (the 'date' parameter, else today), {time}, {datetime}, any parameter.
"""


def register(sub: argparse._SubParsersAction, summary: str) -> None:  # type: ignore[type-arg]
    """Add ``efklab report`` to the command parsers."""
    p = sub.add_parser(
        "report",
        help=summary,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="reports/{date}", metavar="DIR", help="output folder, a template (default: reports/{date})")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a notebook parameter (repeatable); converted to the type the notebook declares",
    )
    p.add_argument("--only", nargs="+", default=[], metavar="NAME", help="run only these notebooks (e.g. 03-ordering, ordering or 3)")
    p.add_argument("--notebooks", type=Path, metavar="DIR", help="folder of notebooks to run (default: the shipped notebooks/)")
    p.add_argument("--kernel", metavar="NAME", help="Jupyter kernel to execute with (default: the notebook's own)")
    p.add_argument("--timeout", type=int, default=1800, metavar="SECONDS", help="per-cell execution timeout (default: 1800)")
    p.add_argument("--hide-code", action="store_true", help="leave the code cells out of the HTML pages")
    p.add_argument("--keep-indices", action="store_true",
                   help="keep the indices the notebooks replay into on the node after the run (default: deleted at the end)")
    p.add_argument("--list", action="store_true", help="list the notebooks and their parameters, run nothing")
    add_connection_options(p)
    add_json_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the report; print where it is and the verdict."""
    from efklab.reports import runner as reports  # papermill and nbconvert load only when this command runs

    folder = args.notebooks or reports.default_notebook_dir()
    if not folder.is_dir():
        raise UsageError(f"no such notebook folder: {folder}", source="--notebooks")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if args.list:
        from efklab.reports.params import select_notebooks

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

    def announce(notebook: reports.NotebookRun) -> None:
        counts = {v: sum(1 for c in notebook.checks if c["verdict"] == v) for v in ("pass", "fail", "error")}
        took = f" in {notebook.duration:.1f} s" if notebook.duration is not None else ""
        state = "ERROR" if counts["error"] else "FAIL" if counts["fail"] else "PASS"
        print(
            f"{notebook.name}: {state} ({counts['pass']} pass, {counts['fail']} fail, {counts['error']} error){took}",
            file=sys.stderr,
        )

    result = reports.run_report(
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
        on_notebook=announce,
    )
    summary = result.summary
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    else:
        for check in summary["checks"]:
            if check["verdict"] != "pass":
                print(f"{check['verdict'].upper()}: {check['notebook']}: {check['name']}: {json.dumps(check['figures'], default=str)}")
    counts = summary["counts"]
    print(
        f"report: {result.out_dir / 'index.html'} ({summary['verdict']}: {counts['pass']} pass, "
        f"{counts['fail']} fail, {counts['error']} error)",
        file=sys.stderr,
    )
    return result.exit_code


def _list(notebooks: list[Path], as_json: bool) -> int:
    from efklab.reports.runner import inspect_parameters

    listing = {path.stem: inspect_parameters(path) for path in notebooks}
    if as_json:
        print(json.dumps({nb: {n: vars_of(spec) for n, spec in params.items()} for nb, params in listing.items()}, indent=2))
        return 0
    for name, params in listing.items():
        print(name)
        for spec in params.values():
            print(f"  {spec.name}: {spec.type} = {spec.default}" + (f"  # {spec.help}" if spec.help else ""))
    return 0


def vars_of(spec: object) -> dict[str, str]:
    """A parameter spec as a plain dict for --json."""
    return {field: str(getattr(spec, field)) for field in ("type", "default", "help")}
