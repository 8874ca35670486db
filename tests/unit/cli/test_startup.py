"""The console script starts without loading the heavy libraries only some commands need."""
from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from efklab.cli import COMMANDS, Command, build_parser

HEAVY = ("opensearchpy", "boto3", "botocore", "tqdm", "yaml", "pandas", "matplotlib", "papermill", "regex")


@pytest.mark.parametrize("argv", [["--help"], ["multiline", "--help"], ["multiline", "group", "--help"],
                                  ["replay", "--help"], ["layout", "--help"], ["retention", "simulate", "--help"],
                                  ["doctor", "--help"]])
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    """Building the parser and printing help imports none of the adapters' libraries."""
    code = ("import sys\nfrom efklab.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_choices_named_in_the_cli_match_the_core() -> None:
    """Option choices the CLI spells out (to avoid importing the core at start) are the core's own."""
    from efklab.cli.multiline import options as multiline_cli
    from efklab.cli.samples import options as samples_cli
    from efklab.multiline import grouping as multiline
    from efklab.samples import generate as samples

    assert multiline_cli.FLUSH_TIMEOUT_MODES == multiline.FLUSH_TIMEOUT_MODES
    assert samples_cli.FORMATS == samples.FORMATS


def test_help_imports_only_the_invoked_commands_options() -> None:
    """`efklab --help` imports no command module; `efklab layout --help` only layout's options."""
    code = ("import sys\nfrom efklab.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('efklab.cli.')), file=sys.stderr)")
    for argv, expected in ((["--help"], []), (["layout", "--help"],
                                              ["efklab.cli.common", "efklab.cli.layout", "efklab.cli.layout.options"])):
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
        assert done.stderr.strip().splitlines()[-1] == repr(expected)


def _leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    return [leaf for sub in subs for child in dict.fromkeys(sub.choices.values()) for leaf in _leaf_parsers(child)]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_sub_command_names_a_handler_its_run_module_defines(command: Command) -> None:
    """Each leaf parser sets `handler`, and `efklab.cli.<package>.run` has that function."""
    parser = build_parser([command.name])
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    leaves = _leaf_parsers(sub.choices[command.name])
    assert leaves
    for leaf in leaves:
        name = leaf.get_default("handler")
        assert isinstance(name, str), f"{leaf.prog} sets no handler"
        assert callable(command.handler(name)), f"{leaf.prog}: efklab.cli.{command.package}.run has no {name}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_and_sub_command_describes_itself_in_its_help(command: Command) -> None:
    """`efklab X [Y] --help` opens with a description of what it does, not only its options."""
    parser = build_parser([command.name])
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    top = sub.choices[command.name]
    for each in dict.fromkeys([top, *_leaf_parsers(top)]):
        assert each.description and len(each.description.split()) >= 8, f"{each.prog} --help has no description"
