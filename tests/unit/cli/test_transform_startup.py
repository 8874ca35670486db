"""efklab transform starts light: the progress bar's library loads only for a terminal."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_transform_into_a_pipe_never_loads_tqdm(tmp_path: Path) -> None:
    """Piped or redirected, nothing shows a bar, so tqdm (a third of start-up) is not imported."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    code = ("import sys\nfrom efklab.cli import main\nrc = main(sys.argv[1:])\n"
            "print('tqdm' in sys.modules, rc, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, "transform", "--mode", "seed", str(empty)],
                          capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "False 0"
