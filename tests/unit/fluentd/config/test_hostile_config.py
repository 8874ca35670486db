"""Hostile configs end in one ConfigError naming file and line, never a traceback, and cost memory
proportional to their size: @include loops (as fluentd, which recurses until 'stack level too deep'),
YAML nested past the parser's recursion, single lines of many megabytes, huge regexps."""
from __future__ import annotations

import contextlib
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.cli import main
from efklab.errors import ConfigError, RuleError
from efklab.fluentd.config.find import load_config
from efklab.fluentd.config.parser import parse_unit
from efklab.ruby.regexp import MAX_SOURCE, compile_ruby

FILTER = "<filter **>\n  @type concat\n  key log\n  multiline_start_regexp /^a/\n</filter>\n"


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


@pytest.mark.parametrize(("files", "where", "shown"), [
    ({"a.conf": "@include a.conf\n" + FILTER}, "a.conf:1", "a.conf -> a.conf"),
    ({"a.conf": "@include b.conf\n", "b.conf": "\n@include a.conf\n"}, "b.conf:2", "a.conf -> b.conf -> a.conf"),
    ({"a.conf": "@include b.conf\n@include c.conf\n", "b.conf": "@include c.conf\n", "c.conf": "@include b.conf\n"},
     "c.conf:1", "b.conf -> c.conf -> b.conf"),
    ({"a.conf": "@include *.conf\n"}, "a.conf:1", "a.conf -> a.conf"),
], ids=["itself", "two files", "through a file already read", "a glob that matches itself"])
def test_an_include_loop_is_refused_as_fluentd_fails_to_start(tmp_path: Path, files: dict[str, str], where: str,
                                                              shown: str) -> None:
    """fluentd re-reads included files without a loop check; efklab names the include that closes the loop."""
    write(tmp_path, files)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "a.conf")
    message = str(caught.value)
    assert message.startswith(str(tmp_path / where) + ": @include") and shown in message
    assert "stack level too deep" in message


def test_a_file_included_twice_without_a_loop_is_read(tmp_path: Path) -> None:
    """A diamond (a includes b and c, b includes c) is no loop."""
    write(tmp_path, {"a.conf": "@include b.conf\n@include c.conf\n", "b.conf": "@include c.conf\n", "c.conf": FILTER})
    assert len(load_config(tmp_path / "a.conf").files) == 3


def test_a_configmap_key_including_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  fluent.conf: |\n    @include fluent.conf\n")
    with pytest.raises(ConfigError, match=r"cm\.yaml:5: @include fluent\.conf loops"):
        load_config(path)


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: " + "[" * 20000 + "]" * 20000 + "\n",
    "".join("  " * i + "k:\n" for i in range(3000)) + "  " * 3000 + "k: v\n",
], ids=["flow", "block"])
def test_yaml_nested_past_the_parser_is_a_config_error(tmp_path: Path, text: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """PyYAML recurses per level; the error names the file and the deepest line, with exit 2."""
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="nesting too deep for the YAML parser"):
        load_config(path)
    assert main(["multiline", "filters", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{path}: not valid YAML" in err


@pytest.mark.parametrize("line", [
    "a" * 2_000_000, " " * 2_000_000, "#" + "a" * 2_000_000, "  key " + "a" * 2_000_000,
], ids=["one token", "spaces", "a comment", "a parameter value"])
def test_a_line_of_megabytes_costs_memory_of_its_own_size(line: str) -> None:
    """Parsing keeps no state per character (it once took about 120 bytes a character)."""
    text = "<filter **>\n" + line + "\n</filter>\n"
    assert parsing_peak(text) < 4 * len(text)


def test_a_million_empty_lines_cost_a_few_bytes_each() -> None:
    text = "\n" * 1_000_000
    assert parsing_peak(text) < 16 * len(text)


def parsing_peak(text: str) -> int:
    """Peak bytes Python allocates while the config parser reads ``text``."""
    tracemalloc.start()
    try:
        parse_unit(text, file="big.conf", notes=[])
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_regexp_longer_than_efklab_translates_is_refused_at_its_line() -> None:
    with pytest.raises(RuleError, match=f"efklab translates at most {MAX_SOURCE:,}") as caught:
        compile_ruby("a" * (MAX_SOURCE + 1), origin="fluent.conf", position=4)
    assert str(caught.value).startswith("fluent.conf:4: ")


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=list("<>/@#\"'\\ \n\t{}[]:=,abc$"), max_size=300))
def test_any_text_parses_or_is_one_config_error(text: str) -> None:
    """Whatever the bytes, the parser answers with a tree or a ConfigError, never another exception."""
    with contextlib.suppress(ConfigError):
        parse_unit(text, file="any.conf", notes=[])
