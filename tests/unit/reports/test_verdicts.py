"""Checks recorded by notebooks, their fold into a verdict, and the report parameter rules."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat
import pytest

from efklab.errors import ReportError
from efklab.reports.params import ParameterSpec, bind_parameters, coerce_value, expand_out_template, select_notebooks
from efklab.reports.verdicts import (
    CHECK_MIME,
    check_bundle,
    collect_checks,
    error_check,
    exit_code,
    summarize_checks,
)

NOW = dt.datetime(2024, 5, 1, 6, 30, 5, tzinfo=dt.UTC)


def notebook_with_outputs(*bundles: dict) -> dict:
    cell = nbformat.v4.new_code_cell("record_check(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=b) for b in bundles]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    return nb


def test_a_recorded_check_survives_the_notebook_round_trip() -> None:
    """The display bundle written by a notebook is read back as the same check."""
    nb = notebook_with_outputs(check_bundle("ties resolved", True, {"inversions": 0, "share": 0.0},
                                            measured="observed on the node"))
    again = nbformat.reads(nbformat.writes(nb), as_version=4)
    assert collect_checks(again, name="03-ordering") == [
        {"notebook": "03-ordering", "name": "ties resolved", "verdict": "pass", "measured": "observed on the node",
         "figures": {"inversions": 0, "share": 0.0}}
    ]


def test_a_check_shows_as_text_and_html_for_people() -> None:
    """Besides the efklab JSON, a check renders as one readable line (JupyterLab and HTML)."""
    bundle = check_bundle("no ties", False, {"tie_groups": 3, "share_out_of_place": 0.45261966364812417},
                          measured="observed on the node")
    assert bundle["text/plain"] == "[FAIL] no ties (observed on the node): tie groups 3; share out of place 45.3 %"
    assert "FAIL" in bundle["text/html"] and CHECK_MIME in bundle
    assert "0.4526" not in bundle["text/html"] and "observed on the node" in bundle["text/html"]


def test_a_notebook_that_stopped_is_not_labelled_as_having_run_to_completion() -> None:
    """The error verdict names what happened (stopped at a cell, the exception), never a success-sounding name."""
    check = error_check("01-replay", ename="TypeError", evalue="bad", cell=6)
    assert check["verdict"] == "error"
    assert check["name"] == "notebook stopped at cell [6]: TypeError"
    assert "completion" not in check["name"] and "did not run" in check["measured"]


def test_numpy_figures_and_booleans_become_json() -> None:
    """pandas/numpy values are accepted as figures and verdicts."""
    numpy = pytest.importorskip("numpy")
    bundle = check_bundle("n", numpy.bool_(True), {"count": numpy.int64(4), "share": numpy.float64(0.5)})
    assert bundle[CHECK_MIME] == {"name": "n", "verdict": "pass", "measured": "",
                                  "figures": {"count": 4, "share": 0.5}, "order": ["count", "share"]}


@pytest.mark.parametrize(("passed", "error"), [("yes", TypeError), (None, TypeError)])
def test_a_verdict_must_be_a_boolean(passed: object, error: type) -> None:
    """A truthy string is not a verdict: silently passing checks are refused."""
    with pytest.raises(error):
        check_bundle("x", passed, {})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("verdicts", "overall", "code"),
    [([], "pass", 0), (["pass", "pass"], "pass", 0), (["pass", "fail"], "fail", 1), (["fail", "error"], "error", 1)],
)
def test_overall_verdict_and_exit_code(verdicts: list[str], overall: str, code: int) -> None:
    """error beats fail beats pass; anything but pass exits 1."""
    checks = [{"notebook": "n", "name": str(i), "verdict": v, "figures": {}} for i, v in enumerate(verdicts)]
    summary = summarize_checks(checks)  # type: ignore[arg-type]
    assert summary["verdict"] == overall and exit_code(summary) == code


PATHS = [Path("notebooks/01-replay.ipynb"), Path("notebooks/03-ordering.ipynb"), Path("notebooks/05-retention.ipynb")]


@pytest.mark.parametrize(
    ("only", "chosen"),
    [([], ["01-replay", "03-ordering", "05-retention"]), (["ordering"], ["03-ordering"]),
     (["5", "01-replay"], ["01-replay", "05-retention"]), (["03"], ["03-ordering"])],
)
def test_notebooks_are_selected_by_name_number_or_stem(only: list[str], chosen: list[str]) -> None:
    """--only accepts the stem, the name without its number, or the number; order stays the folder's."""
    assert [p.stem for p in select_notebooks(PATHS, only)] == chosen


def test_an_unknown_notebook_name_lists_the_available_ones() -> None:
    """--only with a typo fails naming what exists."""
    with pytest.raises(ReportError,
                       match="no notebook named 'orderin'; available: 01-replay, 03-ordering, 05-retention"):
        select_notebooks(PATHS, ["orderin"])


DECLARED = {
    "01-replay": {"events": ParameterSpec("events", "int", "2000", "")},
    "03-ordering": {"events": ParameterSpec("events", "int", "2000", ""),
                    "max_out_of_place": ParameterSpec("max_out_of_place", "float", "0.0", "")},
}


def test_parameters_go_only_to_the_notebooks_that_declare_them() -> None:
    """A supplied value reaches every notebook declaring it, converted to its type;
    optional ones only where declared."""
    bound = bind_parameters(DECLARED, {"max_out_of_place": "0.01", "events": "50"}, optional={"opensearch_url": "http://x"})
    assert bound == {"01-replay": {"events": 50}, "03-ordering": {"events": 50, "max_out_of_place": 0.01}}


def test_a_parameter_used_only_by_the_output_template_is_accepted() -> None:
    """``-p date 2024-01-01`` with ``--out reports/{date}`` is not an unknown parameter."""
    assert (bind_parameters(DECLARED, {"date": "2024-01-01"}, template_fields=frozenset({"date"}))
            == {"01-replay": {}, "03-ordering": {}})


@pytest.mark.parametrize(
    ("type_", "raw", "value"),
    [("int", "42", 42), ("float", "0.5", 0.5), ("bool", "no", False), ("bool", "TRUE", True), ("str", "007", "007"),
     ("None", "7", 7), ("None", "abc", "abc")],
)
def test_values_are_converted_to_the_declared_type(type_: str, raw: str, value: object) -> None:
    """Declared types decide; undeclared ones are guessed as papermill's CLI would."""
    assert coerce_value(raw, ParameterSpec("x", type_, "", ""), notebook="n") == value


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        ("reports/{date}", {}, "reports/2024-05-01"),
        ("reports/{date}", {"date": "2024-04-30"}, "reports/2024-04-30"),
        ("r/{datetime}", {}, "r/2024-05-01T063005"),
        ("r/{index_pattern}", {"index_pattern": "mydata-*"}, "r/mydata"),
    ],
)
def test_output_path_templates(template: str, params: dict, expected: str) -> None:
    """Fields come from the run time and the parameters; unsafe characters in values are replaced."""
    assert expand_out_template(template, params, NOW) == Path(expected)


def test_an_unknown_template_field_is_an_error() -> None:
    """``{dat}`` is neither a time field nor a parameter."""
    with pytest.raises(ReportError, match="uses dat"):
        expand_out_template("reports/{dat}", {}, NOW)


def test_figures_keep_the_order_the_notebook_gave_them() -> None:
    """nbformat sorts JSON keys when it writes a notebook; the check's figures come back in the given order."""
    nb = notebook_with_outputs(check_bundle("c", True, {"share_out_of_place": 0.4, "inversions": 3, "causes": []}))
    again = nbformat.reads(nbformat.writes(nb), as_version=4)
    (check,) = collect_checks(again, name="03-ordering")
    assert list(check["figures"]) == ["share_out_of_place", "inversions", "causes"]
