"""The shared corpus of 17 real-world fluentd configs: exactly the 60 concat filters EXPECTED.json lists.

The files are read from ../shared/fluentd-configs at test time (never copied into the project).
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from efklab.fluentd.config.find import ConcatFilter, find_concat_filters, load_config
from tests.conftest import FLUENTD_CORPUS

EXPECTED = FLUENTD_CORPUS / "EXPECTED.json"
pytestmark = pytest.mark.skipif(not EXPECTED.exists(), reason=f"shared corpus not found at {FLUENTD_CORPUS}")


def expected_files() -> list[dict[str, Any]]:
    if not EXPECTED.exists():
        return []
    return list(json.loads(EXPECTED.read_text(encoding="utf-8"))["files"])


FILES = expected_files()


def as_expected(f: ConcatFilter) -> dict[str, Any]:
    """A found filter in EXPECTED.json's conventions (raw values, trailing comments apart)."""
    out: dict[str, Any] = {"unit": f.unit, "type_line": f.line, "label": f.label, "pattern": f.pattern, "id": f.id,
                           "params": {k: p.raw for k, p in f.params.items()}}
    comments = {k: p.trailing_comment for k, p in f.params.items() if p.trailing_comment}
    if comments:
        out["trailing_comments"] = comments
    return out


@pytest.mark.parametrize("entry", FILES, ids=[f["file"][:2] for f in FILES])
def test_corpus_file_yields_exactly_its_concat_filters(entry: dict[str, Any]) -> None:
    """Every filter of the file, in order, with its raw values, id, label, pattern, unit and type line."""
    found = [as_expected(f) for f in find_concat_filters(load_config(FLUENTD_CORPUS / entry["file"]))]
    wanted = [{k: v for k, v in e.items() if k != "included_from"} for e in entry["concat_filters"]]
    assert found == wanted


def test_corpus_has_sixty_filters_in_seventeen_files() -> None:
    """The whole corpus parses: 17 files, 60 concat filters."""
    total = sum(len(find_concat_filters(load_config(FLUENTD_CORPUS / e["file"]))) for e in FILES)
    assert (len(FILES), total) == (17, 60)


def test_filter_included_from_inside_a_label_gets_that_label() -> None:
    """05: the filter in output.filter.conf is @included from <label @CONCAT> of output.conf."""
    entry = next(e for e in FILES if e["file"].startswith("05-"))
    found = find_concat_filters(load_config(FLUENTD_CORPUS / entry["file"]))
    for want, got in zip(entry["concat_filters"], found, strict=True):
        origin = want.get("included_from")
        if origin is None:
            continue
        assert got.label is None and got.effective_label == origin["label"]
        assert [(i.unit, f"@include {i.target}") for i in got.included_from] == [(origin["unit"], origin["via"])]


def test_embedded_ruby_include_is_reported_unresolved() -> None:
    """07: `@include "partial-#{ENV['CRI']}.conf"` is kept unresolved and says why."""
    entry = next(e for e in FILES if e["file"].startswith("07-"))
    config = load_config(FLUENTD_CORPUS / entry["file"])
    partial = [i for i in config.includes if i.target.startswith("partial-")]
    assert [(i.target, i.resolved, i.note) for i in partial] == [
        ("partial-#{ENV['CRI']}.conf", (), "embedded Ruby in the include path is not evaluated")]


def test_absolute_includes_resolve_under_the_configmap_mount() -> None:
    """08: with the mount directory given, /fluentd/etc/file.source.*.conf resolves to the matching keys."""
    entry = next(e for e in FILES if e["file"].startswith("08-"))
    config = load_config(FLUENTD_CORPUS / entry["file"], configmap_dir="/fluentd/etc")
    first = config.includes[0]
    assert (first.unit, first.target, first.resolved) == (
        "fluent.file.conf", "/fluentd/etc/file.source.*.conf",
        ("file.source.containers.conf", "file.source.docker.conf", "file.source.kubernetes.conf"))
    [flt] = find_concat_filters(config)
    assert [(i.unit, i.line) for i in flt.included_from] == [("fluent.file.conf", 133)]
    unresolved = load_config(FLUENTD_CORPUS / entry["file"]).includes[0]
    assert unresolved.resolved == () and "mounted" in (unresolved.note or "")
