"""Index names: OpenSearch's rules (cases/index_names.yaml), the seed's naming, strategies, templates."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from efklab.errors import IndexNameError, UsageError
from efklab.opensearch.indexnames import (
    check_index_name,
    compile_index_strategy,
    index_name_problem,
    log_group_segment,
    sanitize_name_part,
    seed_index_name,
)

NAMES = yaml.safe_load((Path(__file__).parent / "cases" / "index_names.yaml").read_text(encoding="utf-8"))
MS = 1_619_600_944_301  # 2021-04-28T09:09:04.301Z


@pytest.mark.parametrize("case", NAMES, ids=[repr(c["name"]) for c in NAMES])
def test_opensearch_index_name_rules(case: dict[str, Any]) -> None:
    """Each rule of validateIndexName, with OpenSearch's message."""
    assert set(case) == {"name", "problem"}
    assert index_name_problem(case["name"]) == case["problem"]


def test_names_longer_than_255_utf8_bytes_are_refused() -> None:
    """The limit counts UTF-8 bytes, not characters."""
    assert index_name_problem("가" * 85) is None  # 255 bytes
    assert index_name_problem("가" * 86) == f"Invalid index name [{'가' * 86}], index name is too long, (258 > 255)"


def test_check_index_name_raises_with_location() -> None:
    """check_index_name returns a good name and raises IndexNameError with source/position otherwise."""
    assert check_index_name("ok") == "ok"
    with pytest.raises(IndexNameError, match=r"^f:3: Invalid index name \[Bad\], must be lowercase$"):
        check_index_name("Bad", source="f", position=3)


@pytest.mark.parametrize(
    ("log_group", "expected"),
    [
        ("/aws/containerinsights/MyCluster/application/Shop/API", "mydata-shop-api-2021.04.28"),
        ("/aws/containerinsights/c/application/ns", "mydata-ns-undefined-2021.04.28"),
        ("/aws/lambda/echo", "mydata-undefined-undefined-2021.04.28"),
        ("", "mydata-undefined-undefined-2021.04.28"),
        ("/a/b/c/d/e/f/g/h", "mydata-e-f-2021.04.28"),
    ],
)
def test_seed_index_name(log_group: str, expected: str) -> None:
    """logGroup.toLowerCase().split('/')[5] and [6], undefined when missing."""
    assert seed_index_name(log_group, 2021, 4, 28) == expected


def test_log_group_segment_is_none_where_js_says_undefined() -> None:
    """Index 5 of a 5-part split is undefined."""
    assert log_group_segment("/a/b/c/d", 5) is None and log_group_segment("/a/b/c/d/E", 5) == "e"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("/aws/lambda/Echo", "aws-lambda-echo"), ("2019/03/13/[$LATEST]94fa", "2019-03-13-[$latest]94fa"),
     ("a b,c#d:e", "a-b-c-d-e")],
)
def test_sanitize_name_part(text: str, expected: str) -> None:
    """Lower case, forbidden characters (and # :) replaced by '-', no leading or trailing '-'."""
    assert sanitize_name_part(text) == expected


@given(st.text(max_size=40))
def test_sanitized_log_groups_make_valid_names(text: str) -> None:
    """Whatever the log group, 'logs-' + its sanitised form is a name OpenSearch accepts (if short enough)."""
    name = "logs-" + sanitize_name_part(text)
    assert index_name_problem(name) is None or "too long" in str(index_name_problem(name))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{namespace}-{pod}", "unknown field {pod}"),
        ("bogus", "unknown index strategy 'bogus'"),
        ("{date:%Y/%m}", "must not contain the following characters"),
        ("Logs-{date}", "must be lowercase"),
        ("{}-{date}", "unknown field {}"),
        ("{prefix!r}-{date}", "conversions like !r are not supported"),
        ("{prefix:>10}-{date}", "only {date} takes a format"),
        ("{date", "index template '{date'"),
    ],
)
def test_bad_strategies_are_usage_errors(spec: str, message: str) -> None:
    """Template problems fail at compile time, naming the field or the rule."""
    with pytest.raises(UsageError,
                       match=message.replace("{", r"\{").replace("}", r"\}").replace("(", r"\(").replace(")", r"\)")):
        compile_index_strategy(spec)


def test_bad_prefix_and_zone_are_usage_errors() -> None:
    """An upper-case prefix or an unknown zone is refused before any event."""
    with pytest.raises(UsageError, match="must be lowercase"):
        compile_index_strategy("seed", prefix="MyData")
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'"):
        compile_index_strategy("seed", tz="Mars/Olympus")


def test_template_fields() -> None:
    """Every documented field fills in from the log group and stream."""
    strategy = compile_index_strategy(
        "{prefix}.{namespace}.{container}.{log_group}.{log_group_name}.{log_stream}.{date}", prefix="p"
    )
    namer = strategy.for_stream("/aws/containerinsights/c/application/Shop/api", "Stream/1")
    assert namer.name(MS) == ("p.shop.api.aws-containerinsights-c-application-shop-api.api.stream-1.2021.04.28", None)


def test_missing_segments_are_a_problem_for_every_event_of_the_stream() -> None:
    """A template that needs segment 6 cannot name events of a short log group."""
    namer = compile_index_strategy("{prefix}-{container}-{date}").for_stream("/aws/lambda/x", "s")
    assert namer.problem is not None and "no segment 6 (container)" in namer.problem
    assert namer.name(MS)[1] == namer.problem


def test_dates_follow_the_time_zone() -> None:
    """--tz moves the index day: 23:30 UTC is the next morning in Seoul, the previous evening is not."""
    late = 1_619_652_600_000  # 2021-04-28T23:30:00Z
    utc = compile_index_strategy("cwl")
    seoul = compile_index_strategy("cwl", tz="Asia/Seoul")
    assert utc.for_stream("g", "s").name(late)[0] == "cwl-2021.04.28"
    assert seoul.for_stream("g", "s").name(late)[0] == "cwl-2021.04.29"
    assert seoul.for_stream("g", "s").name(late - 10 * 3_600_000)[0] == "cwl-2021.04.28"


def test_years_beyond_datetime_use_the_seeds_formatting() -> None:
    """UTC default dates print any year as the seed does; other formats report the limit."""
    assert compile_index_strategy("cwl").for_stream("g", "s").name(8_640_000_000_000_000)[0] == "cwl-275760.09.13"
    _, problem = compile_index_strategy("cwl-{date:%Y}").for_stream("g", "s").name(8_640_000_000_000_000)
    assert problem is not None and "outside the years 1-9999" in problem


def test_zone_dates_are_cached_per_minute_only_where_that_is_exact() -> None:
    """Seoul's midnight falls on a minute boundary; 1920 Amsterdam (+1:19:32) inside one."""
    seoul = compile_index_strategy("cwl", tz="Asia/Seoul").for_stream("g", "s")
    midnight = 1_619_708_400_000  # 2021-04-29T15:00:00Z = 2021-04-30 00:00 in Seoul
    assert [seoul.name(midnight + d)[0] for d in (-1, 0, 59_999)] == ["cwl-2021.04.29", "cwl-2021.04.30",
                                                                      "cwl-2021.04.30"]
    amsterdam = compile_index_strategy("cwl", tz="Europe/Amsterdam").for_stream("g", "s")
    before = -1_564_795_173_000  # 1920-05-31T22:40:27Z, 23:59:59 local
    assert [amsterdam.name(before + d)[0] for d in (0, 2_000)] == ["cwl-1920.05.31", "cwl-1920.06.01"]
