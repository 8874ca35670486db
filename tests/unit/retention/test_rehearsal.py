"""The rehearsal's pure half: which indices when, polls folded into lives, and forecast-versus-node verdicts."""
from __future__ import annotations

from efklab.retention.attachment import IndexFacts, attach_policy
from efklab.retention.explain import ExplainRow
from efklab.retention.policy import parse_policy
from efklab.retention.rehearsal import ARRIVAL, BEFORE_PUT, LATE_EVENT, Watch, judge, plan_rehearsal
from efklab.retention.scaling import DEFAULT_SCALE
from efklab.retention.schedule import EXECUTION_LATENCY_MS, JobSettings, forecast_index
from efklab.units import DAY_MS

S = 1000
FAST = JobSettings(interval_minutes=1, jitter=0.0)
POLICY = parse_policy({"policy": {"description": "scaled", "default_state": "hot", "states": [
    {"name": "hot", "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "90s"}}]},
    {"name": "delete", "actions": [{"delete": {}}]}],
    "ism_template": [{"index_patterns": ["r-*"], "priority": 1000, "last_updated_time": 1_000 * S}]}},
    policy_id="p")
SETTLE = 2 * FAST.interval_ms + EXECUTION_LATENCY_MS


def _row(index: str, state: str | None = "hot") -> ExplainRow:
    return ExplainRow(index, True, "p", state, None, None, None, False, None, "")


def _forecast(name: str, created: int):  # type: ignore[no-untyped-def]
    facts = IndexFacts(name, created, doc_count=1)
    return forecast_index(facts, attach_policy(facts, [POLICY], applied_at={"p": 1_000 * S}), POLICY, FAST)


def test_plan_keeps_the_arrival_order_and_scaled_spacing_and_adds_one_index_before_the_put() -> None:
    """Four of ten daily indices, evenly spread; day 9 arrives 27 s after day 0 at 1d=3s."""
    sources = [(f"mydata-a-b-2021.06.{d + 1:02d}", d * DAY_MS, 10 + d) for d in range(10)]
    plan = plan_rehearsal(sources, DEFAULT_SCALE, prefix="r-", count=4)
    assert [p.role for p in plan] == [BEFORE_PUT, ARRIVAL, ARRIVAL, ARRIVAL, ARRIVAL]
    assert plan[0].name == "r-pre-mydata-a-b-2021.06.01" and plan[1].name == "r-mydata-a-b-2021.06.01"
    assert [p.offset_ms for p in plan[1:]] == [0, 9 * S, 18 * S, 27 * S]
    assert plan[-1].source == "mydata-a-b-2021.06.10" and plan[-1].docs == 19


def test_polls_become_lives_and_a_recreated_index_is_a_second_generation() -> None:
    """Steps are recorded when they change; gone between two polls; a new creation date starts generation 2."""
    watch = Watch({"r-a": ARRIVAL})
    watch.observe(1_001 * S, {"r-a": 1_000_500}, {"r-a": _row("r-a", None)})
    watch.observe(1_061 * S, {"r-a": 1_000_500}, {"r-a": _row("r-a")})
    watch.observe(1_183 * S, {"r-a": 1_000_500}, {"r-a": _row("r-a")})
    watch.observe(1_185 * S, {}, {})
    watch.observe(1_190 * S, {"r-a": 1_190_000}, {})
    first, second = watch.lives["r-a"]
    assert (first.policy_id, first.last_seen, first.gone_seen, len(first.steps)) == ("p", 1_183 * S, 1_185 * S, 1)
    assert (second.generation, second.role, second.created, second.deleted) == (2, LATE_EVENT, 1_190_000, False)


def test_a_deletion_inside_the_window_plus_latency_agrees_and_one_run_late_does_not() -> None:
    """Created at t: init t+60, transition t+120 (age 120 >= 90), delete t+180; seen gone at t+185 agrees."""
    created = 1_000_500
    forecast = _forecast("r-a", created)
    assert forecast.deletion == (created + 180 * S, created + 180 * S)
    watch = Watch({"r-a": ARRIVAL})
    watch.observe(created + 1 * S, {"r-a": created}, {"r-a": _row("r-a")})
    watch.observe(created + 183 * S, {"r-a": created}, {"r-a": _row("r-a")})
    watch.observe(created + 185 * S, {}, {})
    (life,) = watch.lives["r-a"]
    assert judge(life, forecast, created + 190 * S, latency_ms=EXECUTION_LATENCY_MS, settle_ms=SETTLE).agrees
    life.last_seen, life.gone_seen = created + 238 * S, created + 241 * S  # one job run later: the model is off
    late = judge(life, forecast, created + 250 * S, latency_ms=EXECUTION_LATENCY_MS, settle_ms=SETTLE)
    assert late.agrees is False and "after the window" in late.note


def test_an_open_window_is_pending_and_a_missed_one_disagrees() -> None:
    """Still there before the window's end: pending; after end + latency: NO, with the last step seen."""
    created = 1_000_500
    forecast = _forecast("r-a", created)
    watch = Watch({"r-a": ARRIVAL})
    watch.observe(created + 100 * S, {"r-a": created}, {"r-a": _row("r-a")})
    (life,) = watch.lives["r-a"]
    assert judge(life, forecast, created + 100 * S, latency_ms=EXECUTION_LATENCY_MS, settle_ms=SETTLE).agrees is None
    missed = judge(life, forecast, created + 300 * S, latency_ms=EXECUTION_LATENCY_MS, settle_ms=SETTLE)
    assert missed.agrees is False and "still present" in missed.note


def test_an_index_created_before_the_put_is_forecast_unmanaged_and_agrees_once_watched() -> None:
    """The template never reaches it: not managed and kept is what the node must show after the settle time."""
    created = 999 * S
    forecast = _forecast("r-pre-a", created)
    assert forecast.outcome == "unmanaged" and forecast.attachment.how == "pre-existing"
    watch = Watch({"r-pre-a": BEFORE_PUT})
    watch.observe(created + 5 * S, {"r-pre-a": created}, {})
    (life,) = watch.lives["r-pre-a"]
    assert judge(life, forecast, created + 5 * S, latency_ms=EXECUTION_LATENCY_MS, settle_ms=SETTLE).agrees is None
    settled = judge(life, forecast, created + SETTLE, latency_ms=EXECUTION_LATENCY_MS, settle_ms=SETTLE)
    assert settled.agrees is True and settled.observed.startswith("not managed")
    life.policy_id = "p"
    assert judge(life, forecast, created + SETTLE, latency_ms=EXECUTION_LATENCY_MS, settle_ms=SETTLE).agrees is False
