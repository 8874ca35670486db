"""``python -m benchmarks [--quick] [--only TEXT]``: run every bench module, print one markdown table.

Rows are also written to ``benchmarks/results.json`` (with the machine and the time of the run).
A module that fails is reported and the others still run; the exit status is then 1.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COLUMNS = ("benchmark", "efklab", "baseline", "unit", "ratio", "target")


OPT_IN = ("bench_day",)  # long runs: only with --only naming them


def discover(only: str | None = None) -> list[str]:
    """Module names of benchmarks/bench_*.py, sorted, filtered by a substring (the opt-in ones only when named)."""
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if (only is None and n not in OPT_IN) or (only is not None and only in n)]


def format_value(value: Any) -> str:
    """Numbers with sensible precision for a table."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The rows as one markdown table; keys beyond the standard columns go into ``notes``."""
    lines = ["| " + " | ".join(COLUMNS) + " | notes |", "|" + "---|" * (len(COLUMNS) + 1)]
    for row in rows:
        extra = "; ".join(f"{k}={format_value(v)}" for k, v in row.items() if k not in COLUMNS and k != "module")
        cells = [format_value(row.get(c)) for c in COLUMNS]
        if isinstance(row.get("ratio"), (int, float)):
            cells[COLUMNS.index("ratio")] += "x"
        lines.append("| " + " | ".join(cells) + f" | {extra} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs, for CI and a first look")
    parser.add_argument("--only", metavar="TEXT", help="run only modules whose name contains TEXT")
    parser.add_argument("--out", default=str(HERE / "results.json"),
                        help="where to write the rows (default: benchmarks/results.json)")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("EFKLAB_BENCH_QUICK") == "1"
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for name in discover(args.only):
        print(f"benchmarks: running {name}{' (quick)' if quick else ''} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            for row in module.run(quick):
                rows.append({"module": name, **row})
        except Exception as exc:
            failed.append(name)
            traceback.print_exc(file=sys.stderr)
            print(f"benchmarks: {name} failed: {exc}", file=sys.stderr)
        print(f"benchmarks: {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print(markdown_table(rows))
    result = {
        "quick": quick,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "failed": failed,
        "rows": rows,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
