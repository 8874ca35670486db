"""The stateless filters of the seed's chain: ``kubernetes_metadata`` and ``record_transformer``.

``kubernetes_metadata`` is emulated from the tag alone (the plugin's default
``tag_to_kubernetes_name_regexp``); what it would fetch from the API server (node, pod uid,
image ids, labels) is made up deterministically from the names, or taken from ``PodFacts``
the caller knows.  ``record_transformer`` supports what fluentd configs for this pipeline use:
``<record>`` values with ``${tag}``, ``${tag_parts[N]}``, ``${record['a']['b']}`` (Ruby mode) or
``${key}`` placeholders, ``#{ENV.fetch('X')}`` embedded in double-quoted values, ``remove_keys``
with record-accessor paths, ``renew_record``.  Anything else is refused at build time.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from efklab.errors import ConfigError
from efklab.fluentd.config.find import Directive

# fluent-plugin-kubernetes_metadata_filter's default tag_to_kubernetes_name_regexp
KUBERNETES_TAG = re.compile(
    r"var\.log\.containers\.(?P<pod_name>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)"
    r"_(?P<namespace>[^_]+)_(?P<container_name>.+)-(?P<docker_id>[a-z0-9]{64})\.log$"
)
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_EMBEDDED = re.compile(r"#\{([^}]*)\}")
_ENV_CODE = re.compile(r"""\s*ENV(?:\.fetch\(\s*(['"])(\w+)\1\s*(?:,\s*(['"])(.*?)\3\s*)?\)"""  # ENV.fetch('X'[, 'd'])
                       r"""|\[\s*(['"])(\w+)\5\s*\])\s*""")  # or ENV['X']
_TAG_PART = re.compile(r"\s*tag_parts\[(-?\d+)\]\s*")
_RECORD_PATH = re.compile(r"""\s*record((?:\[\s*(['"])[^'"\]]*\2\s*\])+)\s*""")
_RECORD_KEY = re.compile(r"""\[\s*(['"])([^'"\]]*)\1\s*\]""")
_ACCESSOR_DOT = re.compile(r"^\$\.([^.\[\]]+(?:\.[^.\[\]]+)*)$")


class FilterError(Exception):
    """A record a filter fails on (a Ruby exception in fluentd): it goes to the @ERROR route."""


@dataclass(frozen=True, slots=True)
class PodFacts:
    """What the metadata filter would fetch from the API server for one container."""

    host: str
    pod_id: str
    image: str
    image_id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    namespace_id: str = ""


def make_pod_facts(cluster: str, pod: str, namespace: str, container: str) -> PodFacts:
    """Deterministic, plausible facts for a pod efklab knows only by name."""
    digest = hashlib.sha256(f"{cluster}/{namespace}/{pod}/{container}".encode()).hexdigest()
    ns_digest = hashlib.sha256(f"{cluster}/{namespace}".encode()).hexdigest()
    node = int(digest[:4], 16)
    app = re.sub(r"-[a-z0-9]{8,10}-[a-z0-9]{5}$", "", pod)
    return PodFacts(
        host=f"ip-10-0-{1 + node % 3}-{10 + node % 240}.ap-northeast-2.compute.internal",
        pod_id=_uuid(digest),
        image=f"{container}:latest",
        image_id=f"docker-pullable://{container}@sha256:{hashlib.sha256(container.encode()).hexdigest()}",
        labels={"app": app, "pod-template-hash": pod.rsplit("-", 2)[-2] if pod.count("-") >= 2 else app},
        namespace_id=_uuid(ns_digest),
    )


def _uuid(digest: str) -> str:
    return f"{digest[4:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:24]}-{digest[24:36]}"


def add_kubernetes_metadata(tag: str, record: Mapping[str, Any], facts: PodFacts | None, *,
                            master_url: str) -> dict[str, Any]:
    """``docker`` and ``kubernetes`` fields as the filter adds them; the record unchanged if the tag does not match."""
    m = KUBERNETES_TAG.search(tag)
    if m is None:
        return dict(record)
    if facts is None:
        raise ValueError("add_kubernetes_metadata needs PodFacts for a matching tag")
    kubernetes = {
        "container_name": m["container_name"],
        "namespace_name": m["namespace"],
        "pod_name": m["pod_name"],
        "container_image": facts.image,
        "container_image_id": facts.image_id,
        "pod_id": facts.pod_id,
        "host": facts.host,
        "labels": dict(facts.labels),
        "master_url": master_url,
        "namespace_id": facts.namespace_id,
    }
    return {**record, "docker": {"container_id": m["docker_id"]}, "kubernetes": kubernetes}


def pod_of_tag(tag: str) -> tuple[str, str, str] | None:
    """(pod, namespace, container) named by a container-log tag, or None."""
    m = KUBERNETES_TAG.search(tag)
    return (m["pod_name"], m["namespace"], m["container_name"]) if m else None


@dataclass(frozen=True, slots=True)
class RecordTransformer:
    """A validated ``record_transformer``: fields to set (parsed templates), keys to remove afterwards."""

    fields: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]  # name -> template parts
    remove_keys: tuple[tuple[str, ...], ...]
    renew_record: bool
    origin: str


def build_record_transformer(directive: Directive, env: Mapping[str, str]) -> RecordTransformer:
    """Compile a ``<filter>`` of ``@type record_transformer``; unsupported expressions fail here."""
    origin = f"{directive.file}:{directive.line}"
    ruby = directive.param("enable_ruby") is not None and directive.value("enable_ruby") in ("", "true")
    fields = []
    for section in directive.children:
        if section.name != "record":
            continue
        for p in section.params:
            text = _expand_embedded(p.value, env, f"{directive.file}", p.line) if p.quote == '"' else p.value
            fields.append((p.name, _parse_template(text, ruby, directive.file, p.line)))
    remove = tuple(_accessor_path(k.strip(), directive.file, directive.line)
                   for k in (directive.value("remove_keys") or "").split(",") if k.strip())
    unsupported = [p.name for p in directive.params
                   if p.name in ("keep_keys", "renew_time_key", "auto_typecast") and p.value]
    if unsupported:
        raise ConfigError(f"record_transformer option(s) {', '.join(unsupported)} are not emulated",
                          source=directive.file, position=directive.line)
    return RecordTransformer(tuple(fields), remove, directive.value("renew_record") == "true", origin)


def _expand_embedded(text: str, env: Mapping[str, str], source: str, line: int) -> str:
    """Evaluate ``#{ENV.fetch('X')}`` / ``#{ENV['X']}`` as fluentd does when it reads a double-quoted value."""

    def value(m: re.Match[str]) -> str:
        code = _ENV_CODE.fullmatch(m.group(1))
        if code is None:
            raise ConfigError(f"embedded Ruby #{{{m.group(1)}}} is not emulated (only ENV lookups are)", source=source,
                              position=line)
        name = code.group(2) or code.group(6)
        if name in env:
            return env[name]
        if code.group(4) is not None:
            return code.group(4)
        if code.group(6):  # ENV['X'] is nil -> ""
            return ""
        raise ConfigError(f"key not found: \"{name}\" (fluentd fails at startup; pass it with --env {name}=...)",
                          source=source, position=line)

    return _EMBEDDED.sub(value, text)


def _parse_template(text: str, ruby: bool, source: str, line: int) -> tuple[tuple[str, Any], ...]:
    """Literal text and placeholders: ('text', s) | ('tag', None) | ('tag_part', i) | ('record', path)."""
    parts: list[tuple[str, Any]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            parts.append(("text", text[pos : m.start()]))
        parts.append(_placeholder(m.group(1), ruby, source, line))
        pos = m.end()
    if pos < len(text):
        parts.append(("text", text[pos:]))
    return tuple(parts)


def _placeholder(expr: str, ruby: bool, source: str, line: int) -> tuple[str, Any]:
    if expr.strip() == "tag":
        return ("tag", None)
    if m := _TAG_PART.fullmatch(expr):
        return ("tag_part", int(m.group(1)))
    if ruby and (m := _RECORD_PATH.fullmatch(expr)):
        return ("record", tuple(k.group(2) for k in _RECORD_KEY.finditer(m.group(1))))
    if not ruby and re.fullmatch(r"[\w.-]+", expr):
        return ("record", (expr,))
    raise ConfigError(f"placeholder ${{{expr}}} is not emulated", source=source, position=line)


def _accessor_path(key: str, source: str, line: int) -> tuple[str, ...]:
    """``$.a.b`` / ``$['a']['b']`` / ``a`` -> ('a', 'b')."""
    if m := _ACCESSOR_DOT.match(key):
        return tuple(m.group(1).split("."))
    if key.startswith("$["):
        found = [k.group(2) for k in _RECORD_KEY.finditer(key)]
        if found and "".join(f"['{k}']" for k in found) == key[1:].replace('"', "'"):
            return tuple(found)
        raise ConfigError(f"remove_keys entry {key!r} is not a record-accessor path", source=source, position=line)
    return (key,)


def transform_record(transformer: RecordTransformer, tag: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record after ``reform`` and ``remove_keys``; FilterError where Ruby would raise.  The input is not
    changed."""
    values = {name: _render(parts, tag, record) for name, parts in transformer.fields}
    new = {} if transformer.renew_record else dict(record)
    new.update(values)
    copied: set[int] = set()
    for path in transformer.remove_keys:
        _delete_path(new, path, copied)
    return new


def _render(parts: tuple[tuple[str, Any], ...], tag: str, record: Mapping[str, Any]) -> Any:
    rendered = [_evaluate(kind, arg, tag, record) for kind, arg in parts]
    if len(rendered) == 1 and parts[0][0] != "text":
        return rendered[0]  # a lone placeholder keeps its value (hash, nil ...), as in Ruby mode
    return "".join("" if v is None else v if isinstance(v, str) else _ruby_inspect(v) for v in rendered)


def _evaluate(kind: str, arg: Any, tag: str, record: Mapping[str, Any]) -> Any:
    if kind == "text":
        return arg
    if kind == "tag":
        return tag
    if kind == "tag_part":
        parts = tag.split(".")
        return parts[arg] if -len(parts) <= arg < len(parts) else None
    value: Any = record
    for key in arg:
        if value is None:
            raise FilterError(f"undefined method `[]' for nil:NilClass (record{''.join(f'[{k!r}]' for k in arg)})")
        if not isinstance(value, Mapping):
            raise FilterError("no implicit conversion of String into Integer "
                              f"(record{''.join(f'[{k!r}]' for k in arg)})")
        value = value.get(key)
    return value


def _ruby_inspect(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _delete_path(record: dict[str, Any], path: tuple[str, ...], copied: set[int]) -> None:
    """Delete ``path`` from ``record``, copying the nested hashes on the way (once each) so the input stays whole."""
    target = record
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            return
        if id(child) not in copied:
            child = dict(child)
            target[key] = child
            copied.add(id(child))
        target = child
    target.pop(path[-1], None)
