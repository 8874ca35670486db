"""efklab's benchmarks: every ``bench_<topic>.py`` exposes ``run(quick: bool) -> list[dict]``.

Each row compares efklab with a baseline measured in the same run (``ratio``), never with a
wall-clock constant.  ``python -m benchmarks`` (``make bench``) runs them all.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

# Runs the efklab CLI and reports, from inside the process, its seconds, exit status and peak RSS.
# VmHWM is the high-water mark of this process image only: ru_maxrss (getrusage, wait4) would also
# count the benchmark runner's own memory, which the child carries between fork and exec.
_CLI_PROBE = (
    "import json, sys, time\n"
    "from efklab.cli import main\n"
    "t = time.perf_counter()\n"
    "rc = main(sys.argv[1:])\n"
    "s = time.perf_counter() - t\n"
    "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "print(json.dumps({'rc': rc, 's': s, 'rss_kib': hwm}), file=sys.stderr)\n"
)


def run_cli_measured(args: Sequence[str]) -> dict[str, float]:
    """``efklab ARGS`` in a fresh Python process (stdout discarded): ``rc``, seconds ``s``, peak ``rss_kib``."""
    done = subprocess.run([sys.executable, "-c", _CLI_PROBE, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    lines = done.stderr.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"efklab {' '.join(args)} died: {done.stderr[-500:]}")
    return json.loads(lines[-1])
