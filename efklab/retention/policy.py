"""ISM policies as plain data: parse and validate them the way the index-management plugin does.

A policy is checked once, here, with errors that name the JSON path of the offending field
(``$.policy.states[0].transitions[0].conditions``), so `efklab retention validate` can point
into the file.  The rules follow the plugin's model classes (``Policy``, ``State``,
``Transition``/``Conditions``, ``ISMTemplate``, the action parsers) and OpenSearch's
``TimeValue``/``ByteSizeValue`` parsing; where the plugin's own message is misleading
(an empty ``conditions`` object is refused as "more than one condition") we say what is meant
and quote the plugin.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from efklab.errors import PolicyError
from efklab.opensearch.patterns import patterns_overlap, template_pattern_problem
from efklab.retention.actions import Action, parse_action
from efklab.retention.cron import parse_cron
from efklab.units import parse_byte_size, parse_time_value

CONDITION_KINDS = ("min_index_age", "min_doc_count", "min_size", "cron", "min_rollover_age")
_POLICY_FIELDS = frozenset(
    {"policy_id", "description", "last_updated_time", "schema_version", "error_notification",
     "default_state", "states", "ism_template", "user"}
)


@dataclass(frozen=True, slots=True)
class Condition:
    """The one condition of a transition; ``value`` is ms for ages, a count, bytes, or a cron expression."""

    kind: str
    value: int | str
    text: str  # as written in the policy
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """Go to ``state_name`` when ``condition`` holds (no condition: at once)."""

    state_name: str
    condition: Condition | None
    path: str


@dataclass(frozen=True, slots=True)
class State:
    """A named state: its actions run in order, then its transitions are tried each run."""

    name: str
    actions: tuple[Action, ...]
    transitions: tuple[Transition, ...]
    path: str

    @property
    def deletes(self) -> bool:
        """True when this state deletes the index."""
        return any(a.type == "delete" for a in self.actions)


@dataclass(frozen=True, slots=True)
class IsmTemplate:
    """Auto-attach rule: indices matching a pattern, created after ``last_updated_time`` (ms; None = when applied)."""

    index_patterns: tuple[str, ...]
    priority: int
    last_updated_time: int | None
    path: str


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated ISM policy."""

    policy_id: str
    description: str
    default_state: str
    states: tuple[State, ...]
    ism_templates: tuple[IsmTemplate, ...] = ()
    last_updated_time: int | None = None
    schema_version: int | None = None
    source: str | None = None
    read_only_fields: tuple[str, ...] = field(default=())

    def state(self, name: str) -> State:
        """The state called ``name`` (validation guarantees it exists for every transition)."""
        return next(s for s in self.states if s.name == name)

    @property
    def deletes(self) -> bool:
        """True when some state of the policy deletes indices."""
        return any(s.deletes for s in self.states)


def retention_days(policy: Policy) -> float | None:
    """Days until deletion (None: never by age).

    The shortest ``min_index_age`` on a transition into a deleting state.
    """
    ages = [int(t.condition.value) for s in policy.states for t in s.transitions
            if t.condition and t.condition.kind == "min_index_age" and policy.state(t.state_name).deletes]
    return min(ages) / 86_400_000 if ages else None


def templates_clash(first: IsmTemplate, second: IsmTemplate) -> bool:
    """Two templates the plugin cannot tell apart: one priority, and some index name matches both."""
    return first.priority == second.priority and patterns_overlap(first.index_patterns, second.index_patterns)


def check_policy_set(policies: Sequence[Policy]) -> None:
    """Refuse a set of policies the plugin would not hold together: one id twice, or clashing templates.

    The plugin refuses the PUT of a policy whose template overlaps another policy's at the same
    priority (it could not choose), so a set passes only if every later policy could be PUT after
    the earlier ones.  The error names the later policy's file and JSON path.
    """
    for i, first in enumerate(policies):
        for second in policies[i + 1:]:
            if first.policy_id == second.policy_id:
                raise PolicyError(f"two files define policy {first.policy_id}", source=second.source,
                                  position="$.policy.policy_id")
            for a in first.ism_templates:
                for b in second.ism_templates:
                    if templates_clash(a, b):
                        raise PolicyError(
                            f"ISM template {list(b.index_patterns)} overlaps "
                            f"{first.policy_id}'s {list(a.index_patterns)} "
                            f"at priority {a.priority}; the plugin refuses this PUT: use a different priority",
                            source=second.source, position=b.path)


def load_policy(text: str | bytes, *, source: str | None = None, policy_id: str | None = None) -> Policy:
    """Parse policy JSON text; JSON syntax errors name line and column."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"not valid JSON: {exc.msg}", source=source, position=f"{exc.lineno}:{exc.colno}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError("not UTF-8 text", source=source) from exc
    return parse_policy(document, source=source, policy_id=policy_id)


def parse_policy(document: Any, *, source: str | None = None, policy_id: str | None = None) -> Policy:
    """Validate a policy document (PUT body ``{"policy": ...}`` or a GET response) into a ``Policy``."""
    if not isinstance(document, Mapping) or "policy" not in document:
        raise PolicyError('expected an object with a "policy" field, as the _ism/policies API takes it',
                          source=source, position="$")
    extra = sorted(set(document) - {"policy", "_id", "_version", "_seq_no", "_primary_term"})
    if extra:
        raise PolicyError(f"unexpected top-level field [{extra[0]}] beside \"policy\"", source=source,
                          position=f"$.{extra[0]}")
    body = document["policy"]
    if not isinstance(body, Mapping):
        raise PolicyError("policy must be an object", source=source, position="$.policy")
    return _PolicyParser(source).parse(body, policy_id or document.get("_id") or body.get("policy_id"))


class _PolicyParser:
    """Walks one policy body; every error carries the JSON path where it was found."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, reason: str, path: str) -> PolicyError:
        return PolicyError(reason, source=self.source, position=path)

    def time_value(self, value: Any, setting: str, path: str) -> int:
        try:
            return parse_time_value(value, setting)
        except ValueError as exc:
            raise self.fail(str(exc), path) from None

    def byte_size(self, value: Any, setting: str, path: str) -> int:
        try:
            return parse_byte_size(value, setting)
        except ValueError as exc:
            raise self.fail(str(exc), path) from None

    def parse(self, body: Mapping[str, Any], policy_id: Any) -> Policy:
        base = "$.policy"
        for key in body:
            if key not in _POLICY_FIELDS:
                raise self.fail(f"Invalid field: [{key}] found in Policy", f"{base}.{key}")
        description = body.get("description")
        if not isinstance(description, str):
            raise self.fail("description is required (a string)", f"{base}.description")
        default_state = body.get("default_state")
        if not isinstance(default_state, str):
            raise self.fail("default_state is required (a state name)", f"{base}.default_state")
        raw_states = body.get("states")
        if not isinstance(raw_states, list):
            raise self.fail("states must be a list of states", f"{base}.states")
        states = tuple(self.parse_state(s, f"{base}.states[{i}]") for i, s in enumerate(raw_states))
        self.check_graph(states, default_state, base)
        templates = self.parse_templates(body.get("ism_template"), f"{base}.ism_template")
        last_updated = body.get("last_updated_time")
        schema_version = body.get("schema_version")
        if schema_version is not None and not isinstance(schema_version, int):
            raise self.fail("schema_version must be an integer", f"{base}.schema_version")
        read_only = tuple(k for k in ("policy_id", "last_updated_time", "schema_version", "user") if k in body)
        return Policy(
            policy_id=str(policy_id) if policy_id else "policy",
            description=description,
            default_state=default_state,
            states=states,
            ism_templates=templates,
            last_updated_time=self.parse_epoch(last_updated, f"{base}.last_updated_time"),
            schema_version=schema_version,
            source=self.source,
            read_only_fields=read_only,
        )

    def check_graph(self, states: tuple[State, ...], default_state: str, base: str) -> None:
        if not states:
            raise self.fail("Policy must contain at least one State", f"{base}.states")
        names = [s.name for s in states]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise self.fail(f"Policy cannot have duplicate state names ([{name}] again)",
                                f"{base}.states[{i}].name")
        for state in states:
            for transition in state.transitions:
                if transition.state_name not in names:
                    raise self.fail(
                        f"transition in state={state.name} points to a nonexistent state={transition.state_name}",
                        f"{transition.path}.state_name",
                    )
        if default_state not in names:
            raise self.fail(f"default_state [{default_state}] is not one of the states {names}",
                            f"{base}.default_state")

    def parse_state(self, raw: Any, path: str) -> State:
        if not isinstance(raw, Mapping):
            raise self.fail("a state must be an object", path)
        for key in raw:
            if key not in ("name", "actions", "transitions"):
                raise self.fail(f"Invalid field: [{key}] found in State", f"{path}.{key}")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail("State must contain a valid name", f"{path}.name")
        raw_actions = raw.get("actions", [])
        raw_transitions = raw.get("transitions", [])
        if not isinstance(raw_actions, list):
            raise self.fail("actions must be a list", f"{path}.actions")
        if not isinstance(raw_transitions, list):
            raise self.fail("transitions must be a list", f"{path}.transitions")
        actions = tuple(parse_action(a, f"{path}.actions[{i}]", self) for i, a in enumerate(raw_actions))
        transitions = tuple(self.parse_transition(t, f"{path}.transitions[{i}]") for i, t in enumerate(raw_transitions))
        deleted_at = next((i for i, a in enumerate(actions) if a.type == "delete"), None)
        if deleted_at is not None and deleted_at < len(actions) - 1:
            raise self.fail(f"State={name} must not contain an action after a delete action",
                            f"{path}.actions[{deleted_at + 1}]")
        if deleted_at is not None and transitions:
            raise self.fail(f"State={name} cannot contain transitions if using delete action", f"{path}.transitions")
        return State(name=name, actions=actions, transitions=transitions, path=path)

    def parse_transition(self, raw: Any, path: str) -> Transition:
        if not isinstance(raw, Mapping):
            raise self.fail("a transition must be an object", path)
        for key in raw:
            if key not in ("state_name", "conditions"):
                raise self.fail(f"Invalid field: [{key}] found in Transition", f"{path}.{key}")
        state_name = raw.get("state_name")
        if not isinstance(state_name, str):
            raise self.fail("Transition state name is null (state_name is required)", f"{path}.state_name")
        conditions = raw.get("conditions")
        condition = None if conditions is None else self.parse_condition(conditions, f"{path}.conditions")
        return Transition(state_name, condition, path)

    def parse_condition(self, raw: Any, path: str) -> Condition:
        if not isinstance(raw, Mapping):
            raise self.fail("conditions must be an object with exactly one condition", path)
        for key in raw:
            if key not in CONDITION_KINDS:
                raise self.fail(f"Invalid field: [{key}] found in Conditions (known: {', '.join(CONDITION_KINDS)})",
                                f"{path}.{key}")
        if len(raw) != 1:
            found = ", ".join(raw) or "none"
            raise self.fail(
                f"a transition takes exactly one condition, found {len(raw)} ({found}); OpenSearch refuses this with "
                "'Cannot provide more than one Transition condition'. For OR write one transition per condition; "
                "for AND chain two states; for none leave out \"conditions\"",
                path,
            )
        kind, value = next(iter(raw.items()))
        where = f"{path}.{kind}"
        if kind in ("min_index_age", "min_rollover_age"):
            return Condition(kind, self.time_value(value, kind, where), str(value))
        if kind == "min_doc_count":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise self.fail("Transition doc count condition must be greater than 0", where)
            return Condition(kind, value, str(value))
        if kind == "min_size":
            size = self.byte_size(value, kind, where)
            if size <= 0:
                raise self.fail("Transition size condition must be greater than 0", where)
            return Condition(kind, size, str(value))
        cron = value.get("cron") if isinstance(value, Mapping) else None
        if (not isinstance(cron, Mapping) or not isinstance(cron.get("expression"), str)
                or not isinstance(cron.get("timezone"), str)):
            raise self.fail('cron must be {"cron": {"expression": "0 0 * * *", "timezone": "UTC"}}', where)
        try:
            parse_cron(cron["expression"], cron["timezone"])
        except ValueError as exc:
            field = "timezone" if "timezone" in str(exc) else "expression"
            raise self.fail(str(exc), f"{where}.cron.{field}") from None
        return Condition(kind, cron["expression"], cron["expression"], cron["timezone"])

    def parse_templates(self, raw: Any, path: str) -> tuple[IsmTemplate, ...]:
        if raw is None:
            return ()
        items = [(raw, path)] if isinstance(raw, Mapping) else None
        if items is None:
            if not isinstance(raw, list):
                raise self.fail("ism_template must be an object or a list of objects", path)
            items = [(t, f"{path}[{i}]") for i, t in enumerate(raw)]
        templates = tuple(self.parse_template(t, p) for t, p in items)
        for i, a in enumerate(templates):
            for b in templates[i + 1 :]:
                if templates_clash(a, b):
                    raise self.fail(
                        f"ISM template with index pattern {list(b.index_patterns)} overlaps this policy's template "
                        f"{list(a.index_patterns)} at the same priority {a.priority}; use a different priority",
                        b.path,
                    )
        return templates

    def parse_template(self, raw: Any, path: str) -> IsmTemplate:
        if not isinstance(raw, Mapping):
            raise self.fail("an ism_template must be an object", path)
        for key in raw:
            if key not in ("index_patterns", "priority", "last_updated_time"):
                raise self.fail(f"Invalid field: [{key}] found in ISMTemplate", f"{path}.{key}")
        patterns = raw.get("index_patterns")
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
            raise self.fail("Requires at least one index pattern (index_patterns: a list of strings)",
                            f"{path}.index_patterns")
        for i, pattern in enumerate(patterns):
            problem = template_pattern_problem(pattern)
            if problem:
                raise self.fail(f"index_pattern [{pattern}] {problem}", f"{path}.index_patterns[{i}]")
        priority = raw.get("priority", 0)
        priority = 0 if priority is None else priority
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 0:
            raise self.fail("Requires priority to be >= 0 (an integer)", f"{path}.priority")
        updated = self.parse_epoch(raw.get("last_updated_time"), f"{path}.last_updated_time")
        return IsmTemplate(tuple(patterns), priority, updated, path)

    def parse_epoch(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self.fail("must be epoch milliseconds (an integer)", path)
