"""The report's index page: key figures as sentences, where each was measured, no raw JSON."""
from __future__ import annotations

import datetime as dt

from efklab.reports.page import render_index
from efklab.reports.verdicts import error_check, summarize_checks

NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def summary() -> dict:
    checks = [
        {"notebook": "03-ordering", "name": "disorder is explained", "verdict": "pass",
         "measured": "observed on the node", "figures": {"share_out_of_place": 0.45261966364812417,
                                                         "causes": ["continuation-split"], "documents": 6169.0}},
        error_check("01-replay", ename="TypeError", evalue="boom", cell=6),
    ]
    notebooks = [{"name": n, "ipynb": f"{n}.ipynb", "html": f"{n}.html", "duration_s": 1.5,
                  **summarize_checks([c for c in checks if c["notebook"] == n])} for n in ("01-replay", "03-ordering")]
    return {"efklab_version": "0", **summarize_checks(checks), "notebooks": notebooks, "checks": checks,
            "parameters": {"new": "/\\((D|E|T|I)\\)\\s\\d{2}/"}}


def test_figures_are_sentences_not_json() -> None:
    """share 45.3 %, documents 6,169: no braces, no 0.4526..., no 6169.0."""
    page = render_index(summary(), now=NOW)
    assert "share out of place 45.3 %" in page and "documents 6,169" in page
    checks = page.split("<h2>Notebooks</h2>")[1]
    assert "{" not in checks and '"' + "share_out_of_place" not in checks
    assert "0.4526" not in page and "6169.0" not in page


def test_each_check_says_where_it_was_measured_and_a_stopped_notebook_does_not_read_as_success() -> None:
    """'observed on the node' beside the verdict; the error badge says the notebook did not finish."""
    page = render_index(summary(), now=NOW)
    assert "observed on the node" in page
    assert "DID NOT FINISH" in page and "ran to completion" not in page
    assert "notebook stopped at cell [6]: TypeError" in page


def test_parameters_are_shown_as_given() -> None:
    """A regexp parameter keeps single backslashes (repr doubled them)."""
    page = render_index(summary(), now=NOW)
    assert "\\s\\d{2}" in page and "\\\\d" not in page


def test_the_notebook_row_lists_its_key_figures() -> None:
    """The notebooks table carries each notebook's first figures as text."""
    row = render_index(summary(), now=NOW).split("<h2>Checks</h2>")[0]
    assert "share out of place 45.3 %" in row


def test_a_stopped_notebook_shows_where_and_why_in_its_row() -> None:
    """Its row names the cell and the exception with the message, not '0 pass, 0 fail, 1 did not finish'."""
    row = render_index(summary(), now=NOW).split("<h2>Checks</h2>")[0]
    replay = row.split("01-replay.html")[1].split("</tr>")[0]
    assert "stopped before its end" in replay and "notebook stopped at cell [6]: TypeError: boom" in replay
    assert "0 did not finish" not in row
