"""fluentd configuration parsing: values, errors, units, @include, concat filters and sources."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from efklab.errors import ConfigError, InputError
from efklab.fluentd.config.find import find_concat_filters, find_sources, load_config, parse_config_text
from tests.conftest import ROOT

CASES = Path(__file__).parent / "cases"
SEED_YAML = ROOT / "data" / "samples" / "fluentd.yaml"
AWS_SAMPLE_YAML = ROOT / "data" / "samples" / "fluentd-aws-sample.yaml"
SEED_REGEXP = r"/\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]/"
AWS_REGEXP = r"/^(date:){0,1}\d{4}[-/]\d{1,2}[-/]\d{1,2}/"


def load_cases(name: str) -> list[dict[str, Any]]:
    cases = yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    for case in cases:
        unknown = set(case) - {"name", "text", "expect", "error", "line"}
        assert not unknown, f"{case['name']}: unknown keys {unknown}"
    return cases


VALUE_CASES = load_cases("values.yaml")
ERROR_CASES = load_cases("errors.yaml")
_EXPECT_FIELDS = {"name": "name", "value": "value", "raw": "raw", "quote": "quote",
                  "comment": "trailing_comment", "embedded": "embedded"}


@pytest.mark.parametrize("case", VALUE_CASES, ids=[c["name"] for c in VALUE_CASES])
def test_parameter_value_reads_as_fluentd_reads_it(case: dict[str, Any]) -> None:
    """Each parameter line yields fluentd's value, the raw text, its quoting and comment."""
    config = parse_config_text(f"<filter **>\n{case['text']}\n</filter>\n")
    params = config.roots[0].params
    param = params[-1]
    for key, expected in case["expect"].items():
        actual = getattr(param, _EXPECT_FIELDS[key])
        assert (list(actual) if key == "embedded" else actual) == expected, key


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_invalid_text_fails_with_fluentds_message_and_line(case: dict[str, Any]) -> None:
    """fluentd's parse errors come out as ConfigError naming file and line."""
    with pytest.raises(ConfigError) as info:
        parse_config_text(case["text"], file="fluent.conf")
    assert info.value.reason == case["error"]
    assert (info.value.source, info.value.position) == ("fluent.conf", case["line"])


def test_directives_nest_with_args_and_lines() -> None:
    """Sections nest; each keeps its name, argument (patterns with spaces too) and line."""
    text = "<source>\n  @type tail\n  <parse>\n    @type json\n  </parse>\n</source>\n<match a.** b.**>\n</match>\n"
    roots = parse_config_text(text).roots
    assert [(d.name, d.arg, d.line) for d in roots] == [("source", "", 1), ("match", "a.** b.**", 7)]
    assert [(c.name, c.value("@type"), c.line) for c in roots[0].children] == [("parse", "json", 3)]


def test_comments_tabs_crlf_and_missing_final_newline_are_read() -> None:
    """Comment lines, tab indentation, CRLF line ends and no final newline all parse."""
    text = "# top\r\n<filter **>\r\n\t@type concat # the plugin\r\n\tkey log\r\n</filter>"
    flt = find_concat_filters(parse_config_text(text))[0]
    assert (flt.line, flt.params["key"].value) == (3, "log")


def test_bare_filter_body_becomes_one_filter() -> None:
    """The lines inside a <filter> alone are read as a `<filter **>`."""
    flt = find_concat_filters(parse_config_text("@type concat\nkey log\nmultiline_start_regexp /^\\S/\n"))
    assert [(f.pattern, f.line, f.params["multiline_start_regexp"].raw) for f in flt] == [("**", 1, "/^\\S/")]


def test_seed_configmap_has_the_containers_and_cwagent_filters() -> None:
    """The seed's fluentd.yaml: the @containers filter has the seed's regex, @cwagentlogs the date regex."""
    found = find_concat_filters(load_config(SEED_YAML))
    assert [(f.unit, f.label, f.params["multiline_start_regexp"].raw) for f in found] == [
        ("containers.conf", "@containers", SEED_REGEXP), ("containers.conf", "@cwagentlogs", AWS_REGEXP)]
    lines = SEED_YAML.read_text(encoding="utf-8").splitlines()
    assert all(lines[f.line - 1].strip() == "@type concat" for f in found)


def test_aws_sample_configmap_uses_the_date_regex_for_containers() -> None:
    """fluentd-aws-sample.yaml is the seed with the @containers regex before the fix."""
    found = find_concat_filters(load_config(AWS_SAMPLE_YAML))
    assert [f.params["multiline_start_regexp"].raw for f in found] == [AWS_REGEXP, AWS_REGEXP]


def test_configmap_includes_resolve_to_data_keys() -> None:
    """`@include containers.conf` in fluent.conf resolves to the ConfigMap key of that name."""
    config = load_config(SEED_YAML)
    assert [(i.target, i.resolved) for i in config.includes] == [
        ("containers.conf", ("containers.conf",)), ("systemd.conf", ("systemd.conf",)), ("host.conf", ("host.conf",))]
    assert find_concat_filters(config)[0].included_from[0].unit == "fluent.conf"


def test_seed_source_reads_docker_json_with_nanosecond_format() -> None:
    """find_sources gives the container source's <parse>: json with %NZ, tag *, label @containers."""
    src = find_sources(load_config(SEED_YAML))[0]
    assert (src.id, src.label, src.tag, src.path) == ("in_tail_container_logs", "@containers", "*",
                                                      "/var/log/containers/*.log")
    assert src.parse is not None and (src.parse.type, src.parse.time_format) == ("json", "%Y-%m-%dT%H:%M:%S.%NZ")


def test_regexp_parser_type_shorthand_is_an_expression() -> None:
    """`@type /.../` in <parse> is a regexp parser with that expression."""
    text = "<source>\n  @type tail\n  <parse>\n    @type /^(?<log>.*)$/\n  </parse>\n</source>\n"
    parse = find_sources(parse_config_text(text))[0].parse
    assert parse is not None and (parse.type, parse.expression) == ("regexp", "^(?<log>.*)$")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_plain_includes_follow_sibling_files_and_globs(tmp_path: Path) -> None:
    """@include of sibling files and globs (sorted) is followed; filters keep their own file and line."""
    main = write(tmp_path / "fluent.conf", "@include conf.d/*.conf\n<label @A>\n  @include inner.conf\n</label>\n")
    write(tmp_path / "conf.d" / "b.conf", "<filter b>\n  @type concat\n  key log\n</filter>\n")
    write(tmp_path / "conf.d" / "a.conf", "<filter a>\n  @type concat\n  key log\n</filter>\n")
    write(tmp_path / "inner.conf", "<filter i>\n  @type concat\n  key log\n</filter>\n")
    found = find_concat_filters(load_config(main))
    assert [(Path(f.file).name, f.pattern, f.line, f.label, f.effective_label) for f in found] == [
        ("a.conf", "a", 2, None, None), ("b.conf", "b", 2, None, None), ("inner.conf", "i", 2, None, "@A")]


def test_unresolvable_includes_are_reported_not_fatal(tmp_path: Path) -> None:
    """Missing files and embedded-Ruby include paths are notes, as fluentd includes nothing there."""
    main = write(tmp_path / "fluent.conf", "@include missing/*.conf\n@include \"partial-#{ENV['CRI']}.conf\"\n")
    config = load_config(main)
    assert [i.note for i in config.includes] == ["no file matches: fluentd includes nothing",
                                                 "embedded Ruby in the include path is not evaluated"]
    assert len(config.notes) == 2


def test_double_quoted_yaml_scalar_maps_back_to_physical_lines(tmp_path: Path) -> None:
    """A ConfigMap key written as a folded double-quoted YAML string still names the file's lines."""
    text = ('apiVersion: v1\nkind: ConfigMap\ndata:\n  out.conf: "<filter **>\\n\n    \\   @type concat\\n'
            '    key\n    log\\n</filter>\\n"\n')
    found = find_concat_filters(load_config(write(tmp_path / "cm.yaml", text)))
    assert [(f.unit, f.line, f.params["key"].value) for f in found] == [("out.conf", 5, "log")]


def test_helm_template_is_read_without_rendering(tmp_path: Path) -> None:
    """A Helm template (not YAML yet) is read line by line; template-only lines are skipped."""
    text = ("data:\n{{- if .Values.on }}\n  containers.input.conf: |-\n    <filter **>\n      @id filter_concat\n"
            "      @type concat\n      key message\n    </filter>\n{{- end }}\n  name: {{ .Release.Name }}\n")
    config = load_config(write(tmp_path / "configmaps.yaml", text))
    found = find_concat_filters(config)
    assert [(f.unit, f.line, f.id) for f in found] == [("containers.input.conf", 6, "filter_concat")]
    assert any("Helm template" in n for n in config.notes)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """A config path that does not exist is an InputError naming it."""
    with pytest.raises(InputError) as info:
        load_config(tmp_path / "nope.conf")
    assert info.value.source == str(tmp_path / "nope.conf")


def test_error_in_configmap_key_names_the_key_and_file_line(tmp_path: Path) -> None:
    """A parse error inside a data key names the key and the YAML file's line."""
    text = "kind: ConfigMap\ndata:\n  a.conf: |\n    <filter **>\n      key \"x\n"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path / "cm.yaml", text))
    assert "in 'a.conf'" in info.value.reason and info.value.position == 5


def test_legacy_type_parameter_still_names_the_plugin() -> None:
    """fluentd v1 still accepts v0.12's `type` (with a warning): such a filter is a concat filter too."""
    found = find_concat_filters(parse_config_text("<filter **>\n  type concat\n  key log\n</filter>\n"))
    assert [(f.line, list(f.params)) for f in found] == [(2, ["key"])]
