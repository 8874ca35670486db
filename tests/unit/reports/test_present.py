"""Values, paths and tables for people: the formatting every report page goes through."""
from __future__ import annotations

import pandas as pd
import pytest

from efklab.reports.present import CHECKOUT, human, shorten, table

ID = "8918eb5d18e2e03a761ae9db18435bf10a7ad4b48159d566102307b542562991"


@pytest.mark.parametrize(("value", "key", "shown"), [
    (6169.0, "documents", "6,169"),
    (6169, "documents", "6,169"),
    (0.45261966364812417, "share_out_of_place", "45.3 %"),
    (0.45261966364812417, "tau", "0.453"),
    (0.0004, "share", "<0.1 %"),
    (12.3456, "seconds", "12.35"),
    (True, "fits", "yes"),
    (None, "full_on_day", "-"),
    ([], "unmanaged", "none"),
    ({"main": 2185, "timeout": 814}, "routes", "main 2,185, timeout 814"),
])
def test_values_are_formatted_for_people(value: object, key: str, shown: str) -> None:
    """No raw floats, no 6169.000000, percent for shares, words for booleans and empty lists."""
    assert human(value, key) == shown


def test_paths_are_relative_to_the_checkout_and_container_ids_short() -> None:
    """An absolute path of this machine and a 64-hex container id become what a colleague can read."""
    text = f"{CHECKOUT}/data/samples/containers/cart-api_shop_cart-api-{ID}.log:3"
    assert shorten(text) == "data/samples/containers/cart-api_shop_cart-api-8918eb5d18e2….log:3"


def test_an_empty_table_says_none() -> None:
    """Bare column headers say nothing; the table says what empty means."""
    empty = table(pd.DataFrame(columns=["index", "reason"]), empty="none: every index name is valid")
    assert empty._repr_html_() == '<p class="efklab-empty">none: every index name is valid</p>'
    assert repr(empty) == "none: every index name is valid"


def test_table_cells_are_formatted_and_numbers_right_aligned() -> None:
    """Floats that are counts show as integers; text columns stay left, numeric columns carry the num class."""
    frame = pd.DataFrame({"index": ["mydata-shop-nginx-2021.04.30"], "docs": [1232.0], "share": [0.5]})
    shown = table(frame)._repr_html_()
    assert "1,232" in shown and "1232.0" not in shown and "50 %" in shown
    assert '<td class="num">1,232</td>' in shown and "<td>mydata-shop-nginx-2021.04.30</td>" in shown
