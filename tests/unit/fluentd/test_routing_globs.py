"""Which in_tail source reads a sample file: Ruby Dir.glob patterns over the path it would have on the node."""
from __future__ import annotations

import pytest

from efklab.fluentd.config.find import find_sources, parse_config_text
from efklab.fluentd.routing import glob_regex, tailed_as

SOURCES = find_sources(parse_config_text('''
<source>
  @type tail
  path /var/log/containers/*.log
  exclude_path ["/var/log/containers/fluentd*"]
  tag kubernetes.*
</source>
<source>
  @type tail
  path /var/log/kube-proxy.log,/var/log/audit/*.log
  tag host.*
</source>
''', file="fluent.conf"))


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/var/log/*.log", "/var/log/syslog.log", True),
        ("/var/log/*.log", "/var/log/containers/a.log", False),  # * stays inside one directory, as in Dir.glob
        ("/var/log/**/*.log", "/var/log/containers/a.log", True),
        ("/var/log/{kern,auth}.log", "/var/log/auth.log", True),
        ("/var/log/app-[0-9].log", "/var/log/app-7.log", True),
    ],
)
def test_glob_patterns_follow_ruby_dir_glob(pattern: str, path: str, matches: bool) -> None:
    """``*`` and ``?`` do not cross '/', ``**/`` does, classes and braces expand."""
    assert bool(glob_regex(pattern).fullmatch(path)) is matches


@pytest.mark.parametrize(
    ("local", "container_file", "expected"),
    [
        ("/tmp/sample/kube-proxy.log", False, (1, (0, "/var/log/kube-proxy.log"))),  # named exactly: read
        ("/tmp/sample/app.log", True, (0, (1, "/var/log/containers/app.log"))),
        ("/tmp/sample/kubelet.log", False, None),  # not container-shaped: the container glob does not claim it
        ("/tmp/sample/fluentd-x.log", True, None),  # exclude_path wins
        ("/tmp/sample/api.log", False, None),  # a wildcard elsewhere claims only files in a folder named like its own
        ("/tmp/sample/audit/api.log", False, (1, (2, "/var/log/audit/api.log"))),
    ],
)
def test_a_sample_file_is_read_by_the_source_whose_glob_names_it(local: str, container_file: bool,
                                                                  expected: tuple[int, object] | None) -> None:
    """Exact names first, the container directory for container-shaped files, then other wildcards by folder."""
    found = [(i, hit) for i, s in enumerate(SOURCES) if (hit := tailed_as(s, local, container_file=container_file))]
    assert (found[0] if found else None) == expected
