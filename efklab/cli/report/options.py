"""Options of ``efklab report``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse
from pathlib import Path

from efklab.cli.common import add_connection_options, add_json_option

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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab report`` to the command parsers."""
    p = sub.add_parser(
        "report",
        help=summary,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="reports/{date}", metavar="DIR",
                   help="output folder, a template (default: reports/{date})")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a notebook parameter (repeatable); converted to the type the notebook declares",
    )
    p.add_argument("--only", nargs="+", default=[], metavar="NAME",
                   help="run only these notebooks (e.g. 03-ordering, ordering or 3)")
    p.add_argument("--notebooks", type=Path, metavar="DIR",
                   help="folder of notebooks to run (default: the shipped notebooks/)")
    p.add_argument("--kernel", metavar="NAME", help="Jupyter kernel to execute with (default: the notebook's own)")
    p.add_argument("--timeout", type=int, default=1800, metavar="SECONDS",
                   help="per-cell execution timeout (default: 1800)")
    p.add_argument("--jobs", type=int, default=2, metavar="N",
                   help="notebooks run at once, each in its own kernel (default: 2)")
    p.add_argument("--hide-code", action="store_true", help="leave the code cells out of the HTML pages")
    p.add_argument("--keep-indices", action="store_true",
                   help="keep the indices the notebooks replay into on the node after the run "
                   "(default: deleted at the end)")
    p.add_argument("--list", action="store_true", help="list the notebooks and their parameters, run nothing")
    add_connection_options(p)
    add_json_option(p)
    p.set_defaults(handler="run")
