"""Ordering on the real node: what Discover's sort returns for ties, and the check built on it."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from efklab.adapters.discover import iter_displayed
from efklab.adapters.opensearch import delete_indices
from efklab.cli import main
from efklab.jobs.ordering import measure_views
from efklab.opensearch.dashboards import check_saved_objects
from efklab.ordering.check import check_ordering
from efklab.ordering.measure import SourceRef

pytestmark = pytest.mark.integration

PREFIX = "efklab-test-ordering"
FILE = "containers/app-7d9f_shop_app-0123456789abcdef.log"
STREAM = "app-7d9f_shop_app-0123456789abcdef"
BASE_MS = 1619575744000  # 2021-04-28T02:09:04.000Z

# The seed's app: a statement, a stack trace written within one millisecond, more statements.
LINES = [
    ("(I) 11:09:04[000] GET /orders", 0),
    ("(E) 11:09:04[001] java.lang.IllegalStateException: stock below zero", 1),
    ("\tat com.example.shop.Stock.take(Stock.java:42)", 1),
    ("\tat com.example.shop.Orders.place(Orders.java:17)", 1),
    ("\tat com.example.shop.Api.post(Api.java:88)", 1),
    ("Caused by: java.lang.ArithmeticException: negative", 1),
    ("\t... 12 more", 1),
    ("(I) 11:09:04[002] GET /health", 2),
    ("(T) 11:09:04[002] cache hit", 2),
    ("(I) 11:09:04[003] done", 3),
]


def event_id(ms: int, sequence: int) -> str:
    return f"{(ms << 144) | sequence:056d}"


def ungrouped() -> list[tuple[list[int], int]]:
    """The AWS sample regex: every line its own event, at its own time."""
    return [([number], ms) for number, (_text, ms) in enumerate(LINES, start=1)]


def grouped() -> list[tuple[list[int], int]]:
    """The seed's regex: the trace joins its first line; the group gets the next start line's time."""
    return [([1], 1), ([2, 3, 4, 5, 6, 7], 2), ([8], 2), ([9], 3), ([10], 3)]


def index_events(client: Any, index: str, events: list[tuple[list[int], int]], *, shards: int,
                 order: list[int] | None = None, mapping: bool = True) -> dict[str, tuple[SourceRef, ...]]:
    """Index one document per event (in ``order`` of indexing), return its provenance."""
    body: dict[str, Any] = {"settings": {"number_of_shards": shards, "number_of_replicas": 0}}
    if mapping:
        body["mappings"] = {"properties": {"@timestamp": {"type": "date"}, "@id": {"type": "keyword"},
                                           "@log_stream": {"type": "keyword"}, "log": {"type": "text"}}}
    client.indices.create(index=index, body=body)
    docs, provenance = [], {}
    for sequence, (lines, offset) in enumerate(events, start=1):
        ms = BASE_MS + offset
        ident = event_id(ms, sequence)
        provenance[ident] = tuple(SourceRef(FILE, n) for n in lines)
        text = "\n".join(LINES[n - 1][0] for n in lines) + "\n"
        docs.append((ident, {"@id": ident, "@timestamp": f"2021-04-28T02:09:04.{offset:03d}Z", "@log_stream": STREAM,
                             "@log_group": "/aws/containerinsights/c/application/shop/app", "log": text}))
    bulk: list[Any] = []
    for position in order or range(len(docs)):
        ident, doc = docs[position]
        bulk += [{"index": {"_index": index, "_id": ident}}, doc]
    client.bulk(body=bulk, refresh=True)
    return provenance


@pytest.fixture
def indices(opensearch_client: Any, opensearch_connection: Any) -> Iterator[str]:
    delete_indices(opensearch_client, opensearch_connection, f"{PREFIX}-*")
    yield PREFIX
    delete_indices(opensearch_client, opensearch_connection, f"{PREFIX}-*")


def test_one_shard_returns_tied_documents_in_indexing_order(opensearch_client: Any, opensearch_connection: Any,
                                                            indices: str) -> None:
    """The node fact the delivery-order cause rests on: inside one shard, ties come back as indexed,
    even newest first."""
    order = [3, 0, 2, 1]
    events = [([n], 5) for n in range(1, 5)]
    index_events(opensearch_client, f"{indices}-facts", events, shards=1, order=order)
    hits = list(iter_displayed(opensearch_client, opensearch_connection, f"{indices}-facts"))
    assert [int(h["_id"]) & 0xFFFF for h in hits] == [4, 1, 3, 2]  # the events' sequence numbers


def test_the_seed_symptom_and_its_cure_on_a_multi_shard_node(opensearch_client: Any, opensearch_connection: Any,
                                                             indices: str) -> None:
    """Ungrouped lines on 3 primaries show out of place; the seed's grouping and an @id tiebreaker each cut it,
    both to zero."""
    aws = index_events(opensearch_client, f"{indices}-aws-2021.04.28", ungrouped(), shards=3)
    seed = index_events(opensearch_client, f"{indices}-seed-2021.04.28", grouped(), shards=3)
    views = measure_views(opensearch_client, opensearch_connection, f"{indices}-aws-*", grouping="aws", provenance=aws)
    views += measure_views(opensearch_client, opensearch_connection, f"{indices}-seed-*", grouping="seed",
                           provenance=seed)
    check = check_ordering(views, current="aws", candidate="seed")
    before = check.view("aws").measurement.totals
    assert before["documents"] == 10 and before["lines"] == 10 and before["split_continuations"] == 5
    assert before["tie_groups"] == 2 and before["largest_tie"] == 6 and before["share_out_of_place"] > 0
    assert check.view("aws", ("@id",)).measurement.totals["inversions"] == 0
    assert check.view("seed").measurement.totals["split_continuations"] == 0
    assert check.view("seed", ("@id",)).measurement.totals["inversions"] == 0
    assert "continuation-split" in [c.code for c in check.causes]
    assert check.recommendation.fix in {"regex", "both"} and check.recommendation.grouping == "seed"


def test_batches_indexed_out_of_order_are_named_as_the_cause(opensearch_client: Any, opensearch_connection: Any,
                                                             indices: str) -> None:
    """One shard, tied lines indexed in a shuffled order: the delivery-order cause, cured by @id."""
    events = [([n], 7) for n in (1, 2, 8, 9, 10)]  # statements only: no continuation line among them
    provenance = index_events(opensearch_client, f"{indices}-late", events, shards=1, order=[0, 1, 3, 4, 2])
    views = measure_views(opensearch_client, opensearch_connection, f"{indices}-late", grouping="as indexed",
                          provenance=provenance)
    check = check_ordering(views, current="as indexed")
    assert "delivery-order" in [c.code for c in check.causes]
    assert check.recommendation.fix == "tiebreaker" and check.recommendation.after["inversions"] == 0


def test_dynamic_mapping_sorts_on_the_keyword_sub_field(opensearch_client: Any, opensearch_connection: Any,
                                                        indices: str) -> None:
    """Indices created by the Lambda's dynamic mapping (@id text + keyword) are sorted on @id.keyword."""
    provenance = index_events(opensearch_client, f"{indices}-dyn", ungrouped(), shards=2, mapping=False)
    views = measure_views(opensearch_client, opensearch_connection, f"{indices}-dyn", grouping="g",
                          provenance=provenance, tiebreakers=[("@id",)])
    assert views[1].measurement.tiebreaker == ("@id.keyword",)
    assert views[1].measurement.totals["inversions"] == 0


def test_cli_exit_codes_and_dashboards_export(opensearch_client: Any, opensearch_url: str, indices: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Out of place in Discover's view: exit 1 and a clean saved-objects file; with the @id view checked: exit 0."""
    provenance = index_events(opensearch_client, f"{indices}-cli", ungrouped(), shards=3)
    prov = tmp_path / "provenance.jsonl"
    prov.write_text("".join(json.dumps({"id": i, "sources": [f"{r.file}:{r.line}" for r in refs]}) + "\n"
                            for i, refs in provenance.items()))
    ndjson = tmp_path / "ordering.ndjson"
    base = ["ordering", "--opensearch-url", opensearch_url, "--index", f"{indices}-cli", "--provenance", str(prov)]
    assert main([*base, "--export-dashboards", str(ndjson)]) == 1
    text = ndjson.read_text()
    assert check_saved_objects(text) == []
    assert json.loads(text.splitlines()[1])["attributes"]["sort"][1] == ["@id", "desc"]
    assert main([*base, "--discover-tiebreaker", "@id"]) == 0
    capsys.readouterr()
    assert main([*base, "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["check"]["passed"] is False and summary["recommendation"]["fix"] in {"regex", "both"}


def test_cli_bad_provenance_is_one_line_exit_2(opensearch_client: Any, opensearch_url: str, indices: str,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Provenance from another replay places nothing: a one-line error, exit 2."""
    index_events(opensearch_client, f"{indices}-other", ungrouped(), shards=1)
    prov = tmp_path / "other.jsonl"
    prov.write_text(json.dumps({"id": "1" * 56, "sources": [f"{FILE}:1"]}) + "\n")
    assert main(["ordering", "--opensearch-url", opensearch_url, "--index", f"{indices}-other",
                 "--provenance", str(prov)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is the provenance from the replay into these indices?" in err[0]


def test_cli_per_stream_measures_a_stated_sample(opensearch_client: Any, opensearch_url: str, indices: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """--per-stream N reads the newest N documents of each stream and says which share that is."""
    index_events(opensearch_client, f"{indices}-sample", ungrouped(), shards=3)
    base = ["ordering", "--opensearch-url", opensearch_url, "--index", f"{indices}-sample"]
    main(base)
    whole = capsys.readouterr().out
    main([*base, "--per-stream", "5"])
    sample = capsys.readouterr().out
    assert "sample:" not in whole
    assert re.search(r"^sample: the newest 5 documents of each stream: \d+ of [\d,]+ \([\d.]+%\) in \d+ streams$",
                     sample, re.MULTILINE)
