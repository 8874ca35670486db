"""The console script starts without loading the heavy libraries only some commands need."""
from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("opensearchpy", "boto3", "botocore", "tqdm", "yaml", "pandas", "matplotlib", "papermill", "regex")


@pytest.mark.parametrize("argv", [["--help"], ["multiline", "--help"], ["multiline", "group", "--help"]])
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    """Building the parser and printing help imports none of the adapters' libraries."""
    code = ("import sys\nfrom efklab.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_choices_named_in_the_cli_match_the_core() -> None:
    """Option choices the CLI spells out (to avoid importing the core at start) are the core's own."""
    from efklab.multiline import grouping as multiline
    from efklab.samples import generate as samples
    from efklab.cli import multiline as multiline_cli
    from efklab.cli import samples as samples_cli

    assert multiline_cli.FLUSH_TIMEOUT_MODES == multiline.FLUSH_TIMEOUT_MODES
    assert samples_cli.FORMATS == samples.FORMATS
