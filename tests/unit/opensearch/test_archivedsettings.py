"""Archived plugin settings: which to migrate back to their live key, which only to clear, which to leave."""
from __future__ import annotations

from typing import Any

from efklab.opensearch.archivedsettings import ArchivedPlan, known_settings, plan_archived_settings

ISM = "plugins.index_state_management."
KNOWN = {ISM + "job_interval", ISM + "jitter", ISM + "history.max_docs", "plugins.jobscheduler.jitter_limit",
         "cluster.default_number_of_replicas"}
FAST = {ISM + "job_interval", ISM + "jitter"}


def plan(persistent: dict[str, Any], *, known: set[str] = KNOWN, fast: bool = False,
         transient: dict[str, Any] | None = None) -> ArchivedPlan:
    return plan_archived_settings({"persistent": persistent, "transient": transient or {}}, known=known,
                                  set_by_efklab=FAST if fast else ())


def test_nothing_archived_means_nothing_to_do() -> None:
    done = plan({"cluster.default_number_of_replicas": "0"})
    assert done.decisions == () and done.body == {}


def test_archived_values_move_back_to_their_live_keys_in_the_same_scope() -> None:
    """The node as found after a start without ISM: every archived key set to null, its value restored."""
    done = plan({"archived." + ISM + "job_interval": "2", "archived.plugins.jobscheduler.jitter_limit": "0.5",
                 "cluster.default_number_of_replicas": "0"})
    assert done.body == {"persistent": {
        "archived." + ISM + "job_interval": None, ISM + "job_interval": "2",
        "archived.plugins.jobscheduler.jitter_limit": None, "plugins.jobscheduler.jitter_limit": "0.5"}}
    assert all(d.migrate for d in done.decisions)


def test_keys_efklab_sets_itself_are_cleared_not_migrated() -> None:
    """With the fast ISM interval, a stale archived interval must not override efklab's 1 minute."""
    done = plan({"archived." + ISM + "job_interval": "5", "archived." + ISM + "jitter": "0.6",
                 "archived." + ISM + "history.max_docs": "99"}, fast=True)
    assert done.body == {"persistent": {"archived." + ISM + "history.max_docs": None, ISM + "history.max_docs": "99",
                                        "archived." + ISM + "jitter": None, "archived." + ISM + "job_interval": None}}
    assert [d.reason for d in done.decisions if not d.migrate] == ["efklab sets it", "efklab sets it"]


def test_a_live_key_already_set_wins_over_its_archived_value() -> None:
    done = plan({"archived." + ISM + "jitter": "0.3", ISM + "jitter": "0.1"})
    assert done.body == {"persistent": {"archived." + ISM + "jitter": None}}
    assert done.decisions[0].reason == f"persistent {ISM}jitter is already set"


def test_a_key_the_installed_plugin_no_longer_has_is_cleared() -> None:
    done = plan({"archived." + ISM + "retired.option": "x"})
    assert done.body == {"persistent": {"archived." + ISM + "retired.option": None}}
    assert not done.decisions[0].migrate


def test_settings_of_a_plugin_that_is_not_installed_are_left_for_its_return() -> None:
    """Without ISM nothing of it is known: its archived values harm nothing and stay."""
    done = plan({"archived." + ISM + "job_interval": "2"}, known={"cluster.default_number_of_replicas"})
    assert done.decisions == () and done.body == {}


def test_archived_settings_of_other_plugins_are_not_ours_to_touch() -> None:
    done = plan({"archived.plugins.security.audit.type": "internal", "archived.cluster.some.removed": "1"})
    assert done.decisions == ()


def test_transient_scope_is_handled_on_its_own() -> None:
    done = plan({}, transient={"archived." + ISM + "jitter": "0.2"})
    assert done.body == {"transient": {"archived." + ISM + "jitter": None, ISM + "jitter": "0.2"}}


def test_summary_is_one_line_naming_what_moved_and_what_was_cleared() -> None:
    done = plan({"archived." + ISM + "job_interval": "5", "archived." + ISM + "history.max_docs": "99"}, fast=True)
    assert done.summary() == ("2 archived plugin settings left by a start without the plugin: migrated "
                              f"{ISM}history.max_docs=99; cleared {ISM}job_interval (efklab sets it)")


def test_known_settings_come_from_defaults_and_set_values_but_never_archived_ones() -> None:
    answer = {"defaults": {ISM + "jitter": "0.6"}, "persistent": {"archived." + ISM + "x": "1", "a.b": "2"},
              "transient": {}}
    assert known_settings(answer) == {ISM + "jitter", "a.b"}
