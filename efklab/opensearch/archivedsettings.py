"""What to do with ``archived.*`` cluster settings a plugin left behind: migrate or clear.  Pure.

A node that starts without a plugin cannot read that plugin's persistent settings, so it renames
them ``archived.<key>``.  When the plugin is back the archived keys stay: every later settings
update is refused (``unknown setting [archived.plugins.index_state_management.jitter]``), and the
plugin runs on its defaults (the ISM job interval silently returns to 5 minutes).  The fix is one
``PUT _cluster/settings`` that sets each archived key to null and, where that makes sense, its
value back under the live key.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

ARCHIVED_PREFIX = "archived."
# The settings of the plugins efklab installs (index-management and the job scheduler it extends),
# current and legacy names; archived settings of anything else are not efklab's to touch.
PLUGIN_SETTING_PREFIXES = (
    "plugins.index_state_management.",
    "opendistro.index_state_management.",
    "plugins.jobscheduler.",
    "opendistro.jobscheduler.",
)
SCOPES = ("persistent", "transient")


@dataclass(frozen=True, slots=True)
class ArchivedDecision:
    """One archived setting: its scope, live key, value, and whether its value moves back (``migrate``)."""

    scope: str
    key: str  # the live key, without "archived."
    value: Any
    migrate: bool
    reason: str  # why it is cleared rather than migrated ("" when migrated)


@dataclass(frozen=True, slots=True)
class ArchivedPlan:
    """The decisions and the ``PUT _cluster/settings`` body that carries them out (empty: nothing to do)."""

    decisions: tuple[ArchivedDecision, ...] = ()
    body: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the user: how many, what was migrated, what was cleared and why."""
        moved = [f"{d.key}={d.value}" for d in self.decisions if d.migrate]
        dropped = [f"{d.key} ({d.reason})" for d in self.decisions if not d.migrate]
        parts = [f"migrated {', '.join(moved)}"] if moved else []
        parts += [f"cleared {', '.join(dropped)}"] if dropped else []
        count = len(self.decisions)
        return (f"{count} archived plugin setting{'s' * (count != 1)} left by a start without the plugin: "
                + "; ".join(parts))


def plan_archived_settings(current: Mapping[str, Any], *, known: Collection[str],
                           set_by_efklab: Collection[str] = ()) -> ArchivedPlan:
    """Decide for each archived plugin setting in ``current`` (``GET _cluster/settings?flat_settings``).

    ``known``: the keys the node registers now (``include_defaults`` lists them); ``set_by_efklab``:
    keys efklab sets itself (the fast ISM interval and jitter), whose stale values must not win.
    An archived key is migrated when its live key is known, not set by efklab and not already set
    in the same scope; otherwise it is only cleared.  Keys of a plugin that is not installed (none
    of its settings is known) are left alone: they harm nothing and keep their values for its return.
    """
    decisions: list[ArchivedDecision] = []
    body: dict[str, dict[str, Any]] = {}
    for scope in SCOPES:
        values = current.get(scope)
        if not isinstance(values, Mapping):
            continue
        for archived in sorted(values):
            key = archived[len(ARCHIVED_PREFIX):] if archived.startswith(ARCHIVED_PREFIX) else ""
            if not key.startswith(PLUGIN_SETTING_PREFIXES):
                continue
            prefix = next(p for p in PLUGIN_SETTING_PREFIXES if key.startswith(p))
            if not any(k.startswith(prefix) for k in known):
                continue  # the plugin is not installed: keep the values for when it is back
            value = values[archived]
            if key in set_by_efklab:
                reason = "efklab sets it"
            elif key in values:
                reason = f"{scope} {key} is already set"
            elif key not in known:
                reason = "no longer a setting of the plugin"
            else:
                reason = ""
            decisions.append(ArchivedDecision(scope, key, value, migrate=not reason, reason=reason))
            body.setdefault(scope, {})[archived] = None
            if not reason:
                body[scope][key] = value
    return ArchivedPlan(tuple(decisions), body)


def known_settings(answer: Mapping[str, Any]) -> set[str]:
    """Every key of a ``GET _cluster/settings?include_defaults&flat_settings`` answer that is not archived."""
    keys: set[str] = set()
    for section in ("defaults", *SCOPES):
        values = answer.get(section)
        if isinstance(values, Mapping):
            keys.update(k for k in values if not k.startswith(ARCHIVED_PREFIX))
    return keys
