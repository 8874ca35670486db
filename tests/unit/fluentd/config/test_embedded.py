"""Embedded Ruby environment lookups in double-quoted values, evaluated as fluentd's config reader does."""
from __future__ import annotations

import pytest

from efklab.fluentd.config.embedded import DEFAULT, NotEvaluated, evaluate_code, evaluate_config
from efklab.fluentd.config.find import find_sources, parse_config_text

STOCK = '''<source>
  @type tail
  path "#{ENV['FLUENT_CONTAINER_TAIL_PATH'] || '/var/log/containers/*.log'}"
  pos_file "#{File.join('/var/log/', ENV.fetch('FLUENT_POS_EXTRA_DIR', ''), 'fluentd-containers.log.pos')}"
  tag '#{ENV["NOT_EVALUATED_IN_SINGLE_QUOTES"]}'
  exclude_path "#{ENV['FLUENT_CONTAINER_TAIL_EXCLUDE_PATH'] || use_default}"
  <parse>
    @type "#{ENV['FLUENT_CONTAINER_TAIL_PARSER_TYPE'] || 'json'}"
  </parse>
</source>
'''


@pytest.mark.parametrize(
    ("code", "env", "value"),
    [
        ("ENV['X'] || 'json'", {}, "json"),
        ("ENV['X'] || 'json'", {"X": "cri"}, "cri"),
        ("ENV['X'] || 'json'", {"X": ""}, ""),  # an empty string is a value in Ruby: || does not take the default
        ("ENV.fetch('X', 'd')", {}, "d"),
        ('ENV["X"]', {}, None),
        ("ENV['X'] || use_nil", {}, None),
        ("ENV['X'] || use_default", {}, DEFAULT),
        ("ENV['A'] || ENV['B'] || 'c'", {"B": "b"}, "b"),
    ],
)
def test_environment_lookups_take_the_first_value_that_is_not_nil(code: str, env: dict[str, str],
                                                                     value: object) -> None:
    """``||`` falls through nil only; ``use_default`` leaves the parameter to the plugin's default."""
    assert evaluate_code(code, env)[0] == value


@pytest.mark.parametrize("code", ["ENV.fetch('CLUSTER_NAME')", "Socket.gethostname", "File.join('/a', 'b')"])
def test_other_ruby_and_a_fetch_without_default_are_not_guessed(code: str) -> None:
    """What cannot be evaluated is refused for that value only (the caller keeps the parameter as written)."""
    with pytest.raises(NotEvaluated):
        evaluate_code(code, {})


def test_a_stock_daemonset_source_reads_with_the_written_defaults_and_says_what_it_assumed() -> None:
    """Evaluated per parameter: path and parser from the defaults, exclude_path dropped, pos_file kept as written."""
    config, assumed, notes = evaluate_config(parse_config_text(STOCK, file="kubernetes.conf"), {})
    (source,) = find_sources(config)
    assert source.path == "/var/log/containers/*.log" and source.parse is not None and source.parse.type == "json"
    assert "exclude_path" not in source.params
    assert source.params["tag"].value == '#{ENV["NOT_EVALUATED_IN_SINGLE_QUOTES"]}'
    assert source.params["pos_file"].value.startswith("#{File.join")
    assert {a.name: a.why for a in assumed}["@type"] == "FLUENT_CONTAINER_TAIL_PARSER_TYPE unset; default 'json'"
    assert notes == ["kubernetes.conf:4 pos_file: embedded Ruby #{File.join('/var/log/', "
                     "ENV.fetch('FLUENT_POS_EXTRA_DIR', ''), 'fluentd-containers.log.pos')} is not evaluated "
                     "(only ENV lookups with literal defaults are)"]


def test_the_environment_given_wins_over_the_written_default() -> None:
    """``--env FLUENT_CONTAINER_TAIL_PARSER_TYPE=cri`` is the value the <parse> gets."""
    config, assumed, _notes = evaluate_config(parse_config_text(STOCK, file="kubernetes.conf"),
                                              {"FLUENT_CONTAINER_TAIL_PARSER_TYPE": "cri"})
    (source,) = find_sources(config)
    assert source.parse is not None and source.parse.type == "cri"
    assert any(a.why == "FLUENT_CONTAINER_TAIL_PARSER_TYPE='cri'" for a in assumed)
