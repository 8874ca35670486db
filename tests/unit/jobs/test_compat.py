"""efklab compat before any node: which template, which versions, and the one table it prints."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from efklab.cli.compat.text import compat_table
from efklab.errors import UsageError
from efklab.jobs.compat import CompatReport, run_compat, template_choice
from efklab.opensearch.engines import parse_engine_version
from efklab.opensearch.upgrade import VersionOutcome, compare

REFUSAL = ("request_failed: HTTP 400: illegal_argument_exception: Action/metadata line [1] contains an unknown "
           "parameter [_type]")


def test_auto_template_is_none_in_seed_mode_and_the_replay_template_otherwise(tmp_path: Path) -> None:
    """The seed ran without a template; on 7.x/1.x a template's _doc mapping would refuse every _type."""
    assert template_choice("auto", "seed") == "none"
    assert template_choice("auto", "opensearch") == "replay"
    own = tmp_path / "template.json"
    own.write_text(json.dumps({"index_patterns": ["x-*"]}))
    assert template_choice(str(own), "seed") == str(own)
    with pytest.raises(UsageError, match="--template"):
        template_choice("no-such-file.json", "seed")


def test_the_same_version_twice_is_refused_before_any_node_starts() -> None:
    with pytest.raises(UsageError, match=r"--from and --to are both OpenSearch 2\.19\.4"):
        run_compat(current="2.19.4", target="os-2.19.4")


def test_the_table_has_a_column_per_version_and_says_what_to_change() -> None:
    old = VersionOutcome(parse_engine_version("1.3.20"), "http://a", 5, 5, {}, {}, "none", "not applied", False)
    new = VersionOutcome(parse_engine_version("2.19.4"), "http://b", 5, 0, {REFUSAL: 5}, {REFUSAL: REFUSAL}, "none",
                         "policy efklab-compat under /_plugins/_ism", True)
    report = CompatReport("seed", "none", "samples", (old, new), tuple(compare(old, new)))
    text = compat_table(report)
    header = next(line for line in text.splitlines() if "OpenSearch 1.3.20" in line)
    assert header.index("OpenSearch 1.3.20") < header.index("OpenSearch 2.19.4")
    assert "5 of 5 documents" in text and "0 of 5 documents" in text
    assert "BREAKS (refused): 5 documents refused by OpenSearch 2.19.4" in text
    assert "change: remove _type" in text
    assert report.exit_code == 1 and report.to_json()["breaks"] == 1
