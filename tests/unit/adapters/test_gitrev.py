"""``FILE@REV`` never lets a revision reach git as an option."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from efklab.adapters.gitrev import read_file_at_revision
from efklab.cli import main
from efklab.errors import UsageError
from efklab.multiline.rulespec import resolve_spec

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

HOSTILE = ["--output=OUT", "-p", "--no-index", "-", "--"]


def committed_config(tmp_path: Path) -> Path:
    """A git repository with one commit of a small concat config."""
    repo = tmp_path / "repo"
    repo.mkdir()
    conf = repo / "fluent.conf"
    conf.write_text("<filter **>\n  @type concat\n  key log\n  multiline_start_regexp /^\\d/\n</filter>\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "fluent.conf"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    return conf


def test_a_plain_revision_is_still_read(tmp_path: Path) -> None:
    """HEAD is read as before."""
    conf = committed_config(tmp_path)
    assert "multiline_start_regexp" in read_file_at_revision(str(conf), "HEAD")


@pytest.mark.parametrize("revision", HOSTILE)
def test_a_revision_starting_with_a_dash_is_refused_and_writes_nothing(tmp_path: Path, revision: str) -> None:
    """``@--output=PATH`` would make git write PATH; it is refused before git runs."""
    conf = committed_config(tmp_path)
    target = tmp_path / "OUT"
    with pytest.raises(UsageError, match="starts with '-'"):
        read_file_at_revision(str(conf), revision.replace("OUT", str(target)))
    assert not target.exists()


def test_an_empty_revision_is_refused(tmp_path: Path) -> None:
    """``FILE@`` names no revision."""
    with pytest.raises(UsageError, match="without a revision"):
        read_file_at_revision(str(committed_config(tmp_path)), "")


def test_resolve_spec_refuses_before_asking_for_the_file(tmp_path: Path) -> None:
    """The spec reader refuses the revision itself, whatever reader it was given."""
    asked: list[str] = []

    def reader(path: str, revision: str) -> str:
        asked.append(revision)
        return ""

    with pytest.raises(UsageError, match="must not be empty or start with '-'"):
        resolve_spec(f"{tmp_path}/fluent.conf@--output=x", params={}, choose=None, log_file=None, which="--old",
                     read_at_revision=reader)
    assert asked == []


def test_multiline_diff_with_an_option_revision_exits_2_in_one_line(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI ends with exit 2, one line, and no file written."""
    conf = committed_config(tmp_path)
    log = tmp_path / "app.log"
    log.write_text('{"log":"1 a\\n","stream":"stdout","time":"2021-04-28T11:09:04.301000000Z"}\n')
    target = tmp_path / "written"
    code = main(["multiline", "diff", "--old", f"{conf}@--output={target}", "--new", str(conf), str(log)])
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not target.exists()
