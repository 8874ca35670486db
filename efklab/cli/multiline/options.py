"""Options of ``efklab multiline group|diff|filters``: argparse only, so building the parser loads no engine."""
from __future__ import annotations

import argparse

from efklab.cli.common import add_json_option

FLUSH_TIMEOUT_MODES = ("event-time", "off")  # efklab.multiline.grouping.FLUSH_TIMEOUT_MODES


# (option, concat parameter, help); values are taken as fluentd sees them after config quoting.
RULE_OPTIONS = (
    ("--key", "key", "record field holding the line (default: log)"),
    ("--start-regexp", "multiline_start_regexp", "multiline_start_regexp as written in a config, e.g. '/^\\d{4}-/'"),
    ("--end-regexp", "multiline_end_regexp", "multiline_end_regexp, e.g. '/\\n$/'"),
    ("--continuous-line-regexp", "continuous_line_regexp", "continuous_line_regexp"),
    ("--n-lines", "n_lines", "n_lines (line mode)"),
    ("--separator", "separator",
     "separator, taken literally (default: a newline; use '' for docker logs, $'\\n' for a newline)"),
    ("--flush-interval", "flush_interval", "flush_interval in fluentd time units (default 60)"),
    ("--timeout-label", "timeout_label", "timeout_label; unset, timeout flushes take the @ERROR route"),
    ("--stream-identity-key", "stream_identity_key",
     "stream_identity_key (unset: one buffer per file, stdout and stderr shared)"),
)


RULE_FLAGS = (("--use-first-timestamp", "use_first_timestamp", "use_first_timestamp true"),)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], summary: str) -> None:
    """Add ``efklab multiline`` and its sub-commands."""
    p = sub.add_parser("multiline", help=summary, description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = p.add_subparsers(dest="multiline_command", metavar="SUBCOMMAND", parser_class=type(p))
    commands.required = True
    _register_group(commands)
    _register_diff(commands)
    _register_filters(commands)


def _add_rule_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("rule (instead of a config)")
    for option, param, help_ in RULE_OPTIONS:
        g.add_argument(option, dest=param, metavar="VALUE", help=help_)
    for option, param, help_ in RULE_FLAGS:
        g.add_argument(option, dest=param, action="store_const", const="true", help=help_)
    g.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="any other concat parameter, e.g. --param partial_key=partial_message (repeatable)")


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--flush-timeouts", choices=FLUSH_TIMEOUT_MODES, default="event-time",
                   help="event-time: a stream idle for flush_interval (event time) is flushed as the plugin's "
                   "timer would (default); off: no timeouts, as when fluentd reads a file in one go")
    p.add_argument("--format", choices=("auto", "docker", "cri", "text"), default="auto",
                   help="log file format (default: auto-detect per file)")
    p.add_argument("logfiles", nargs="+", metavar="LOGFILE",
                   help="container log files (docker json-file, CRI or plain text), or directories of *.log files")


def _register_group(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("group", help="print the events fluentd's concat filter emits for log files",
                            description="Group log lines with a concat filter from a config or with options; one JSON "
                            "object per emitted event on stdout: {time, tag, route (main|timeout|error), record}.")
    p.add_argument("--config", metavar="FILE",
                   help="fluentd config: fluent.conf, ConfigMap YAML or a bare filter body")
    p.add_argument("--filter", metavar="ID|LABEL|N",
                   help="which concat filter of --config (default: the one fluentd applies to each file)")
    _add_rule_options(p)
    _add_input_options(p)
    p.add_argument("--quiet", action="store_true", help="no notes or summary on stderr")
    p.set_defaults(handler="run_group")


def _register_diff(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("diff",
                            help="compare the grouping of two rules on the same log files (exit 1 if different)",
                            description="SPEC is a start regexp literal '/.../', a config file, or FILE@GITREV "
                            "(the file at a git revision). A '/.../' SPEC takes the rest of its rule from --config, "
                            "else from the other SPEC's config, else the plugin's defaults (stated in the output). "
                            "Exit 0 identical, 1 different, 2 error.")
    p.add_argument("--old", required=True, metavar="SPEC", help="the rule before the change")
    p.add_argument("--new", required=True, metavar="SPEC", help="the rule after the change")
    p.add_argument("--config", metavar="FILE",
                   help="the rest of the rule for /regexp/ SPECs (key, separator, flush_interval, timeout_label, ...): "
                   "its concat filter with the SPEC as start regexp (default: the other SPEC's config; without "
                   "any config the plugin's defaults apply, and the diff says so up front)")
    p.add_argument("--filter", metavar="ID|LABEL|N", help="which concat filter of config SPECs and --config")
    p.add_argument("--examples", type=int, default=5, metavar="N",
                   help="changed groups shown side by side, regroupings first and largest first (default 5)")
    _add_rule_options(p)
    _add_input_options(p)
    add_json_option(p)
    p.set_defaults(handler="run_diff")


def _register_filters(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("filters",
                            help="list the concat filters of fluentd configs (exit 1 if fluentd would refuse one)",
                            description="Every <filter> with @type concat: file, line, label, pattern, @id and "
                            "parameters as written, and whether fluentd would accept it.")
    p.add_argument("configs", nargs="+", metavar="CONFIG")
    add_json_option(p)
    p.set_defaults(handler="run_filters")
