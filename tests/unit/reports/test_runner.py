"""The report runner: verdicts, exit codes, parameter rules, templated paths and the secret scan.

Notebooks here are tiny ones built in each test and executed with papermill and a real kernel.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import nbformat
import pytest

from efklab.cli import main
from efklab.errors import ReportError
from efklab.reports.runner import run_report

NOW = dt.datetime(2024, 5, 1, 6, 30, tzinfo=dt.UTC)
FAKE_KEY_ID = "AKIAEFKLABTESTKEY123"  # shaped like an AWS access key id, not a real one
FAKE_TOKEN = "efklab-planted-token-7f3c9a"


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """A notebook with a title, a ``parameters`` cell and the given code cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    tagged = nbformat.v4.new_code_cell(parameters)
    tagged.metadata.tags = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), tagged, *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


CHECKS = ("from efklab.reports.runner import record_check\n"
          "record_check('under limit', count <= limit, count=count, limit=limit)")


@pytest.fixture
def threshold_notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nb" / "01-threshold.ipynb",
                          "count: int = 3  # how many\nlimit: int = 5  # most allowed", CHECKS)


def test_passing_checks_write_the_whole_report_and_exit_0(threshold_notebook: Path, tmp_path: Path) -> None:
    """All checks pass: executed notebook, its HTML, index.html and summary.json are written; exit 0."""
    result = run_report([threshold_notebook], str(tmp_path / "out"), {}, now=NOW, environ={})
    names = sorted(p.name for p in result.out_dir.iterdir())
    assert names == ["01-threshold.html", "01-threshold.ipynb", "index.html", "summary.json"]
    summary = json.loads((result.out_dir / "summary.json").read_text())
    assert summary["verdict"] == "pass" and result.exit_code == 0
    assert summary["checks"] == [
        {"notebook": "01-threshold", "name": "under limit", "verdict": "pass", "measured": "",
         "figures": {"count": 3, "limit": 5}}
    ]
    assert "under limit" in (result.out_dir / "index.html").read_text()


def test_a_failing_check_is_a_fail_verdict_and_exit_1(threshold_notebook: Path, tmp_path: Path) -> None:
    """A parameter pushes the figure over the limit: the check fails with its figures, exit 1."""
    result = run_report([threshold_notebook], str(tmp_path / "out"), {"count": "9"}, now=NOW, environ={})
    assert [c["verdict"] for c in result.summary["checks"]] == ["fail"]
    assert result.summary["checks"][0]["figures"] == {"count": 9, "limit": 5}
    assert result.exit_code == 1


def test_a_notebook_that_raises_is_an_error_verdict_and_is_kept(tmp_path: Path) -> None:
    """An exception in a cell: error verdict naming it, checks before it kept, executed notebook written."""
    path = write_notebook(
        tmp_path / "nb" / "02-broken.ipynb",
        "limit: int = 1  # unused",
        "from efklab.reports.runner import record_check\nrecord_check('before', True)",
        "raise RuntimeError('node unreachable')",
        "record_check('never reached', True)",
    )
    result = run_report([path], str(tmp_path / "out"), {}, now=NOW, environ={})
    verdicts = [(c["name"], c["verdict"]) for c in result.summary["checks"]]
    assert verdicts == [("before", "pass"), ("notebook stopped at cell [3]: RuntimeError", "error")]
    assert result.summary["checks"][1]["figures"]["message"] == "node unreachable"
    kept = (result.out_dir / "02-broken.ipynb").read_text()
    assert "RuntimeError" in kept and result.exit_code == 1


def test_an_unknown_parameter_is_refused_naming_notebook_and_parameter(threshold_notebook: Path,
                                                                       tmp_path: Path) -> None:
    """``-p limt 3`` (a typo) is an error before anything runs, not papermill's warning."""
    with pytest.raises(ReportError) as caught:
        run_report([threshold_notebook], str(tmp_path / "out"), {"limt": "3"}, now=NOW, environ={})
    message = str(caught.value)
    assert "01-threshold" in message and "'limt'" in message and "did you mean 'limit'" in message
    assert not (tmp_path / "out").exists()


def test_a_value_of_the_wrong_type_is_refused(threshold_notebook: Path, tmp_path: Path) -> None:
    """``-p limit many`` for an ``int`` parameter names the notebook, the parameter and the type."""
    with pytest.raises(ReportError, match=r"01-threshold:limit: parameter 'limit' wants int, got 'many'"):
        run_report([threshold_notebook], str(tmp_path / "out"), {"limit": "many"}, now=NOW, environ={})


def test_output_path_is_templated_from_parameters_and_run_date(threshold_notebook: Path, tmp_path: Path) -> None:
    """``{date}`` comes from the run time unless a ``date`` parameter is given; other fields are parameters."""
    by_time = run_report([threshold_notebook], str(tmp_path / "r" / "{date}-{count}"), {"count": "4"}, now=NOW,
                         environ={})
    by_param = run_report([threshold_notebook], str(tmp_path / "r" / "{date}"), {"date": "2023-12-31"}, now=NOW,
                          environ={})
    assert by_time.out_dir == tmp_path / "r" / "2024-05-01-4"
    assert by_param.out_dir == tmp_path / "r" / "2023-12-31"
    assert (by_param.out_dir / "summary.json").exists()


def test_secret_in_a_credential_environment_variable_is_never_written(tmp_path: Path) -> None:
    """A notebook prints a credential from the environment: the report is refused and nothing is written."""
    import os

    path = write_notebook(
        tmp_path / "nb" / "03-leaky.ipynb",
        "limit: int = 1  # unused",
        "import os\nprint('connecting with', os.environ['EFKLAB_TEST_API_TOKEN'])",
    )
    environ = {**os.environ, "EFKLAB_TEST_API_TOKEN": FAKE_TOKEN}
    os.environ["EFKLAB_TEST_API_TOKEN"] = FAKE_TOKEN  # the kernel inherits our environment
    try:
        with pytest.raises(ReportError, match=r"value of \$EFKLAB_TEST_API_TOKEN") as caught:
            run_report([path], str(tmp_path / "out"), {}, now=NOW, environ=environ)
    finally:
        del os.environ["EFKLAB_TEST_API_TOKEN"]
    assert FAKE_TOKEN not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_an_aws_key_in_a_log_line_is_never_written(tmp_path: Path) -> None:
    """A container log line carrying an AWS key id shown by a notebook: refused, the key appears nowhere."""
    log = tmp_path / "app.log"
    log.write_text(json.dumps({"log": f"(E) 11:09:04[301] using key {FAKE_KEY_ID}\n", "stream": "stdout"}) + "\n")
    path = write_notebook(
        tmp_path / "nb" / "04-logs.ipynb",
        f"logfile: str = {str(log)!r}  # a container log",
        "print(open(logfile).read())",
    )
    with pytest.raises(ReportError, match="AWS access key id") as caught:
        run_report([path], str(tmp_path / "out"), {}, now=NOW, environ={})
    assert FAKE_KEY_ID not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_only_runs_the_named_notebooks(threshold_notebook: Path, tmp_path: Path) -> None:
    """``--only threshold`` selects by name without the number; the others are not run."""
    other = write_notebook(tmp_path / "nb" / "02-other.ipynb", "x: int = 1  # x", "raise SystemError('must not run')")
    result = run_report([threshold_notebook, other], str(tmp_path / "out"), {}, now=NOW, environ={}, only=["threshold"])
    assert [entry["name"] for entry in result.summary["notebooks"]] == ["01-threshold"]


def test_cli_exit_codes_follow_the_verdict(threshold_notebook: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``efklab report``: 0 when checks pass, 1 when one fails, 2 for an unknown parameter (one line)."""
    base = ["report", "--notebooks", str(threshold_notebook.parent), "--out", str(tmp_path / "o")]
    assert main(base) == 0
    assert main([*base, "-p", "count", "99"]) == 1
    capsys.readouterr()
    assert main([*base, "-p", "nope", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("efklab report: ") and "'nope'" in err[0]


def test_cli_lists_notebook_parameters(threshold_notebook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``efklab report --list`` shows each notebook's typed parameters with their help."""
    assert main(["report", "--notebooks", str(threshold_notebook.parent), "--list"]) == 0
    out = capsys.readouterr().out
    assert "01-threshold" in out and "limit: int = 5  # most allowed" in out


def test_report_files_are_readable_by_others_as_the_umask_allows(threshold_notebook: Path, tmp_path: Path) -> None:
    """Written 0666 less the umask (0644 under umask 022), not mkstemp's 0600: a web server can serve them."""
    import os

    previous = os.umask(0o022)
    try:
        result = run_report([threshold_notebook], str(tmp_path / "out"), {}, now=NOW, environ={})
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in result.out_dir.iterdir()}
    assert set(modes.values()) == {0o644}, modes


def test_a_folder_named_like_the_package_in_the_working_folder_does_not_shadow_it(
        threshold_notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``efklab report`` run next to a folder named ``efklab``: the kernel still imports the real package."""
    workdir = tmp_path / "work"
    (workdir / "efklab").mkdir(parents=True)
    monkeypatch.chdir(workdir)
    result = run_report([threshold_notebook], str(tmp_path / "out"), {}, now=NOW, environ={})
    assert [c["verdict"] for c in result.summary["checks"]] == ["pass"]


def test_hidden_code_leaves_no_prompt_and_the_page_is_held_to_its_width(tmp_path: Path) -> None:
    """--hide-code drops the In and Out prompts too; every page carries the width rules."""
    import re

    path = write_notebook(tmp_path / "nb" / "05-value.ipynb", "x: int = 41  # x", "x + 1")
    shown = run_report([path], str(tmp_path / "shown"), {}, now=NOW, environ={})
    hidden = run_report([path], str(tmp_path / "hidden"), {}, now=NOW, environ={}, hide_code=True)
    prompt = re.compile(r"(Out|In)(\[|&nbsp;\[)\d+\]")
    assert prompt.search((shown.out_dir / "05-value.html").read_text())
    page = (hidden.out_dir / "05-value.html").read_text()
    assert not prompt.search(page) and "42" in page
    assert 'id="efklab-page"' in page


def test_notebooks_run_side_by_side_and_the_report_keeps_their_order(tmp_path: Path) -> None:
    """jobs=2: the first notebook waits for a file the second writes, so it can only finish if both run at once;
    the summary still lists the notebooks, and their checks, in their order."""
    marker = tmp_path / "second-ran"
    waits = write_notebook(tmp_path / "nb" / "01-waits.ipynb", f"marker: str = {str(marker)!r}  # the file",
                           "import pathlib, time\nfor _ in range(1200):\n    if pathlib.Path(marker).exists():\n"
                           "        break\n    time.sleep(0.1)\nfrom efklab.reports.runner import record_check\n"
                           "record_check('saw the second notebook', pathlib.Path(marker).exists())")
    writes = write_notebook(tmp_path / "nb" / "02-writes.ipynb", f"marker: str = {str(marker)!r}  # the file",
                            "import pathlib\npathlib.Path(marker).touch()\n"
                            "from efklab.reports.runner import record_check\nrecord_check('wrote', True)")
    heard: list[str] = []
    result = run_report([waits, writes], str(tmp_path / "out"), {}, now=NOW, environ={}, jobs=2,
                        on_notebook=lambda run: heard.append(run.name))
    assert sorted(heard) == ["01-waits", "02-writes"]
    assert [n["name"] for n in result.summary["notebooks"]] == ["01-waits", "02-writes"]
    assert [(c["name"], c["verdict"]) for c in result.summary["checks"]] == [("saw the second notebook", "pass"),
                                                                               ("wrote", "pass")]


def test_the_progress_bar_names_the_notebook(threshold_notebook: Path, tmp_path: Path,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    """papermill's bar says which notebook it counts cells of, not just 'Executing'."""
    run_report([threshold_notebook], str(tmp_path / "out"), {}, now=NOW, environ={}, progress=True)
    err = capfd.readouterr().err
    assert "01-threshold" in err and "Executing" not in err


def test_opt_in_notebooks_run_only_when_named(capsys: pytest.CaptureFixture[str]) -> None:
    """06-upgrade starts a second node: the default report leaves it out and says how to run it."""
    assert main(["report", "--list"]) == 0
    captured = capsys.readouterr()
    assert "06-upgrade" not in captured.out and "05-retention" in captured.out
    assert "06-upgrade not run by default" in captured.err and "--only 06" in captured.err
    assert main(["report", "--list", "--only", "6"]) == 0
    assert "06-upgrade" in capsys.readouterr().out
