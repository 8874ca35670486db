"""Notebook steps that need no node: config specs, sample logs, the refusal to replay outside the prefix."""
from __future__ import annotations

from pathlib import Path

import pytest

from efklab.errors import UsageError
from efklab.jobs.defaults import SEED_CONFIG, config_path
from efklab.jobs.replay import replay_fresh
from efklab.jobs.samples import container_logs, sample_logs
from tests.conftest import ROOT


def test_an_empty_config_spec_is_the_default_sample_config() -> None:
    """An empty notebook parameter means the committed config."""
    assert config_path("", SEED_CONFIG) == str(SEED_CONFIG)


def test_file_at_git_revision_is_materialised(monkeypatch: pytest.MonkeyPatch) -> None:
    """``FILE@GITREV`` gives a temporary copy of the file as committed at that revision."""
    monkeypatch.chdir(ROOT)
    copy = config_path("data/samples/fluentd.yaml@HEAD", SEED_CONFIG)
    assert Path(copy).read_text(encoding="utf-8").startswith("apiVersion") and copy != str(SEED_CONFIG)


def test_a_missing_config_is_a_usage_error() -> None:
    """A path that is neither a file nor FILE@GITREV names the problem."""
    with pytest.raises(UsageError, match="no such fluentd config"):
        config_path("/nonexistent/fluentd.yaml", SEED_CONFIG)


def test_generated_sample_logs_end_on_the_given_day(tmp_path: Path) -> None:
    """Small sample sets for tests and quick runs: N days ending on ``end``, docker json-file lines."""
    files = sample_logs(tmp_path, events=60, days=2, end="2021-04-30")
    assert files and all(Path(f).parent == tmp_path / "containers" for f in files)
    assert container_logs(str(tmp_path)) == sorted(files)
    text = "".join(Path(f).read_text(encoding="utf-8") for f in files)
    assert '"time":"2021-04-29T' in text and '"time":"2021-04-30T' in text and "2021-04-28T" not in text


def test_a_strategy_without_the_prefix_is_refused_before_anything_is_sent() -> None:
    """cwl-YYYY.MM.DD names carry no prefix: a workbench replay would write outside its own indices."""
    with pytest.raises(UsageError, match="do not start with the prefix"):
        replay_fresh(None, [], prefix="efklab-nb", index_strategy="cwl")  # type: ignore[arg-type]
