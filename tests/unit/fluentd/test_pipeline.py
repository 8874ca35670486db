"""The pipeline recipe (efklab.fluentd.pipeline, efklab.fluentd.routing, efklab.fluentd.filters):
records -> filters -> concat -> payloads."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from efklab.errors import ConfigError
from efklab.fluentd.config.find import load_config, parse_config_text
from efklab.fluentd.filters import add_kubernetes_metadata, build_record_transformer, make_pod_facts, transform_record
from efklab.fluentd.pipeline import PipelineOptions, SourceRecord, run_pipeline
from efklab.fluentd.routing import matches_pattern, plan_routes
from efklab.fluentd.tail.containerlogs import fluentd_tag
from tests.conftest import ROOT

SEED_CONFIG = ROOT / "data" / "samples" / "fluentd.yaml"
AWS_CONFIG = ROOT / "data" / "samples" / "fluentd-aws-sample.yaml"
ENV = {"CLUSTER_NAME": "MyClusterName", "REGION": "ap-northeast-2"}
FILE = "order-api-7d9f8b6c5d-x2k9p_shop_order-api-" + "ab" * 32 + ".log"
T0 = 1619575744_301123456  # 2021-04-28T02:09:04.301123456Z = 11:09:04[301] KST

SEED_STORY = [  # the seed's four shapes, then a head with a stack trace, then a lone head
    "11:09:04[301] logdata~~~~~~\n",
    "(T) 11:09:04[301] logdata~~~~~~\n",
    "logdata~~~~~~\n",
    "11:09:04[301] logdata~~~~~~\n",
    "(E) 11:09:04[302] failed\n",
    "java.lang.IllegalStateException: boom\n",
    "\tat com.example.order.OrderService.process(OrderService.java:88)\n",
    "(I) 11:09:04[305] done\n",
]


def _records(lines: list[str], name: str = FILE, step_ns: int = 20_000) -> tuple[str, list[SourceRecord]]:
    path = f"containers/{name}"
    return path, [SourceRecord(path, n, T0 + (n - 1) * step_ns, {"log": text, "stream": "stdout"})
                  for n, text in enumerate(lines, start=1)]


def _run(config: Path, *files: tuple[str, list[SourceRecord]]):  # type: ignore[no-untyped-def]
    return run_pipeline(list(files), plan_routes(load_config(config), ENV), PipelineOptions(seed=3))


def _messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [json.loads(e["message"])["log"] for d in result.deliveries for e in d.payload["logEvents"]]


def test_seed_regex_groups_the_trace_under_its_head() -> None:
    """With the seed's regex: the orphan line alone, (T) with its two continuations, (E) with its trace, (I) alone."""
    result = _run(SEED_CONFIG, _records(SEED_STORY))
    assert _messages(result) == [
        SEED_STORY[0],
        "".join(SEED_STORY[1:4]),
        "".join(SEED_STORY[4:7]),
        SEED_STORY[7],
    ]


def test_aws_sample_regex_sends_every_line_alone() -> None:
    """With the AWS sample's date regex nothing starts a group: eight lines, eight events."""
    assert _messages(_run(AWS_CONFIG, _records(SEED_STORY))) == SEED_STORY


def test_grouped_event_takes_the_next_head_time_and_the_last_times_out() -> None:
    """Concat stamps a group with the time of the line that closed it; the last group with its timeout (+5 s)."""
    result = _run(SEED_CONFIG, _records(SEED_STORY))
    stamps = [e["timestamp"] for d in result.deliveries for e in d.payload["logEvents"]]
    ms = [(T0 + i * 20_000) // 10**6 for i in range(8)]
    assert stamps[:3] == [ms[0], ms[4], ms[7]]
    assert stamps[3] == (T0 + 7 * 20_000 + 5 * 10**9) // 10**6


def test_log_group_and_stream_follow_the_record_transformer() -> None:
    """group /aws/containerinsights/<cluster>/application/<ns>/<container>; stream = tag_parts[3]."""
    (delivery, *_) = _run(SEED_CONFIG, _records(SEED_STORY)).deliveries
    assert delivery.payload["logGroup"] == "/aws/containerinsights/MyClusterName/application/shop/order-api"
    assert delivery.payload["logStream"] == FILE[: -len(".log")]


def test_message_keeps_only_pod_name_and_host_of_the_metadata() -> None:
    """remove_keys strips docker and all kubernetes fields but pod_name and host;
    stream_name is removed by the output."""
    result = _run(SEED_CONFIG, _records(SEED_STORY))
    message = json.loads(result.deliveries[0].payload["logEvents"][0]["message"])
    assert list(message) == ["log", "stream", "kubernetes", "group_name"]
    assert list(message["kubernetes"]) == ["pod_name", "host"]
    assert message["kubernetes"]["pod_name"] == "order-api-7d9f8b6c5d-x2k9p"


def test_provenance_maps_every_line_to_exactly_one_event() -> None:
    """Each source line appears in exactly one provenance row; grouped events list all their lines."""
    result = _run(SEED_CONFIG, _records(SEED_STORY))
    rows = list(result.provenance())
    lines = Counter(s for row in rows for s in row["sources"])
    assert lines == Counter(f"containers/{FILE}:{n}" for n in range(1, 9))
    assert [len(r["sources"]) for r in rows] == [1, 3, 3, 1]
    assert all(len(r["id"]) == 56 for r in rows)


def test_file_without_kubernetes_name_is_rejected_by_record_transformer() -> None:
    """A file name the metadata filter cannot parse: record['kubernetes'] is nil, Ruby raises, @ERROR drops it."""
    result = _run(SEED_CONFIG, _records(SEED_STORY[:2], name="app.log"))
    assert result.deliveries == []
    assert {r.stage for r in result.rejects} == {"filter"} and len(result.rejects) == 2
    assert "undefined method" in result.rejects[0].reason and result.rejects[0].position == "1"


def test_excluded_files_are_rejected_with_the_reason() -> None:
    """fluentd's own logs are excluded from the containers source and tailed by another: efklab follows that route."""
    name = "fluentd-cloudwatch-abcde_amazon-cloudwatch_fluentd-cloudwatch-" + "cd" * 32 + ".log"
    result = _run(SEED_CONFIG, _records(["2021-04-28 02:09:04 +0000 [info]: starting\n"], name=name))
    assert result.deliveries[0].payload["logGroup"] == "/aws/containerinsights/MyClusterName/application"


def test_read_rejects_pass_through_to_the_result() -> None:
    """A line the reader could not parse stays a reject with its file and line."""
    from efklab.model import Reject

    path, records = _records(SEED_STORY[:1])
    result = run_pipeline([(path, [*records, Reject("parse", "pattern not matched", path, 2)])],
                          plan_routes(load_config(SEED_CONFIG), ENV))
    assert [r.location() for r in result.rejects] == [f"{path}:2"] and result.lines == 2


def test_same_seed_same_payloads() -> None:
    """The pipeline is deterministic for a given seed."""
    first = [d.payload for d in _run(SEED_CONFIG, _records(SEED_STORY)).deliveries]
    second = [d.payload for d in _run(SEED_CONFIG, _records(SEED_STORY)).deliveries]
    assert first == second


def test_missing_cluster_name_fails_like_fluentd_at_startup() -> None:
    """ENV.fetch('CLUSTER_NAME') without the variable: a config error naming the file and line."""
    with pytest.raises(ConfigError, match="CLUSTER_NAME"):
        plan_routes(load_config(SEED_CONFIG), {})


def test_config_without_container_source_is_refused() -> None:
    """Nothing tails /var/log/containers: nothing to emulate."""
    config = parse_config_text("<source>\n  @type forward\n</source>\n", file="x.conf")
    with pytest.raises(ConfigError, match="/var/log/containers"):
        plan_routes(config, ENV)


def test_match_without_cloudwatch_output_rejects_with_the_route() -> None:
    """Records that end in a null output are reported as not reaching CloudWatch."""
    text = (
        "<source>\n  @type tail\n  path /var/log/containers/*.log\n  tag *\n  <parse>\n    @type json\n  </parse>\n"
        "</source>\n"
        "<match **>\n  @type null\n</match>\n"
    )
    routes = plan_routes(parse_config_text(text, file="t.conf"), ENV)
    path, records = _records(SEED_STORY[:1])
    result = run_pipeline([(path, records)], routes)
    assert result.rejects[0].stage == "route" and "@type null" in result.rejects[0].reason


@pytest.mark.parametrize(
    ("pattern", "tag", "expected"),
    [("**", "var.log.containers.a.log", True), ("a.**", "a", True), ("a.**", "ab", False), ("*", "a.b", False),
     ("{a,b}.*", "b.c", True), ("fluent.**", "var.log.x", False), ("**.log", "log", True),
     ("host.** var.**", "var.x", True)],
)
def test_fluentd_match_patterns(pattern: str, tag: str, expected: bool) -> None:
    """<match>/<filter> patterns: * one part, ** any parts, {a,b}, several patterns."""
    assert matches_pattern(pattern, tag) is expected


def test_record_transformer_evaluates_env_and_record_placeholders() -> None:
    """#{ENV.fetch(...)} at config time, ${record[...]} and ${tag_parts[N]} per record, then remove_keys."""
    config = load_config(SEED_CONFIG)
    directive = next(d for d, anc in config.walk() if d.name == "filter" and d.value("@type") == "record_transformer"
                     and anc and anc[-1].arg == "@containers")
    transformer = build_record_transformer(directive, {"CLUSTER_NAME": "c1"})
    tag = fluentd_tag(FILE)
    record = add_kubernetes_metadata(tag, {"log": "x"},
                                     make_pod_facts("c1", "order-api-7d9f8b6c5d-x2k9p", "shop", "order-api"),
                                     master_url="m")
    out = transform_record(transformer, tag, record)
    assert out["group_name"] == "/aws/containerinsights/c1/application/shop/order-api"
    assert out["stream_name"] == FILE[: -len(".log")]
    assert "docker" not in out and set(out["kubernetes"]) == {"pod_name", "host"}
    assert set(record["kubernetes"]) > {"pod_name", "host", "labels"}  # the input is not mutated


def test_unsupported_ruby_in_a_placeholder_is_refused_at_build_time() -> None:
    """efklab does not guess what arbitrary Ruby would do."""
    text = ("<filter **>\n  @type record_transformer\n  enable_ruby\n  <record>\n    x ${record['a'].upcase}\n"
            "  </record>\n</filter>\n")
    directive = next(d for d, _ in parse_config_text(text, file="t.conf").walk() if d.name == "filter")
    with pytest.raises(ConfigError, match="not emulated"):
        build_record_transformer(directive, {})


def test_pod_facts_are_deterministic() -> None:
    """Made-up metadata depends only on the names."""
    assert (make_pod_facts("c", "p-abcdefghij-klmno", "ns", "app")
            == make_pod_facts("c", "p-abcdefghij-klmno", "ns", "app"))
    assert make_pod_facts("c", "p-abcdefghij-klmno", "ns", "app").host.endswith(".compute.internal")


_LINE = st.one_of(
    st.sampled_from(SEED_STORY),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30).map(lambda t: t + "\n"),
    st.just("x" * 400_000 + "\n"),  # three of them under one head pass the 1 MiB event limit
)
_NAME = st.sampled_from([FILE, "cart-api-65n27kpvbg-tk5b4_shop_cart-api-" + "cd" * 32 + ".log", "no-metadata.log"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_NAME, st.lists(st.tuples(_LINE, st.integers(0, 8 * 10**9)), max_size=25)),
                min_size=1, max_size=3))
def test_every_line_ends_in_exactly_one_event_or_reject(files: list[tuple[str, list[tuple[str, int]]]]) -> None:
    """Conservation over any lines, gaps and file names: each source line is in one provenance row."""
    inputs, expected = [], Counter()
    for k, (name, lines) in enumerate(files):
        path, t = f"containers/{k}/{name}", T0
        records = []
        for n, (text, gap) in enumerate(lines, start=1):
            t += gap
            records.append(SourceRecord(path, n, t, {"log": text, "stream": "stderr" if n % 3 else "stdout"}))
            expected[f"{path}:{n}"] += 1
        inputs.append((path, records))
    settings_ = plan_routes(load_config(SEED_CONFIG), ENV)
    result = run_pipeline(inputs, settings_, PipelineOptions(seed=1))
    assert Counter(s for row in result.provenance() for s in row["sources"]) == expected
