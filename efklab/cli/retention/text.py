"""Text and JSON renderings of ``efklab retention``: policies described, simulations as tables."""
from __future__ import annotations

from typing import Any

from efklab.retention.forecast import Finding, Generation, status_at
from efklab.retention.policy import Policy
from efklab.retention.schedule import JobSettings
from efklab.units import DAY_MS, format_time


def describe_policy(policy: Policy) -> list[str]:
    """A few lines that say what the policy does."""
    lines = [f"policy {policy.policy_id}: {policy.description}"]
    for state in policy.states:
        actions = ", ".join(a.type for a in state.actions) or "no actions"
        moves = "; ".join(
            f"-> {t.state_name}" + (f" when {t.condition.kind} {t.condition.text}" if t.condition else " at once")
            for t in state.transitions) or "final"
        lines.append(f"  state {state.name}{' (default)' if state.name == policy.default_state else ''}: {actions}; {moves}")
    for template in policy.ism_templates:
        since = format_time(template.last_updated_time) if template.last_updated_time else "the PUT"
        lines.append(f"  template {list(template.index_patterns)} priority {template.priority}: "
                     f"attaches to indices created after {since}")
    if policy.read_only_fields:
        lines.append(f"  note: {', '.join(policy.read_only_fields)} are read-only; the API ignores or resets them")
    return lines


def _window(generation: Generation) -> str:
    deletion = generation.forecast.deletion
    if deletion is None:
        return {"unmanaged": "never (no policy)", "kept": "never (policy keeps it)",
                "failed": "never (policy fails)"}.get(generation.forecast.outcome, generation.forecast.outcome)
    return f"{format_time(deletion[0])} .. {format_time(deletion[1])}"


def print_simulation(policies: list[Policy], settings: JobSettings, generations: list[Generation],
                      summary: dict[str, Any], findings: list[Finding], at: int) -> None:
    for policy in policies:
        print("\n".join(describe_policy(policy)))
    spread = settings.max_delay_ms // 60_000
    print(f"ISM job: every {settings.interval_minutes} min + up to {spread} min delay; run 1 initialises, each run one step")
    width = max([len(g.forecast.index) for g in generations] + [5])
    print(f"\n{'index':<{width}}  {'docs':>7}  {'created':<20}  {'deleted between':<42}  as of {format_time(at)}")
    for gen in sorted(generations, key=lambda g: (g.forecast.index, g.generation)):
        name = gen.forecast.index + (f" #{gen.generation}" if gen.generation > 1 else "")
        print(f"{name:<{width}}  {gen.doc_count:>7}  {format_time(gen.forecast.created):<20}  {_window(gen):<42}  "
              f"{status_at(gen.forecast, at)}")
    totals = summary["totals"]
    print(f"\nas of {format_time(at)}: " + ", ".join(
        f"{label} {totals[key]['indices']} indices ({totals[key]['docs']} docs)"
        for key, label in (("gone", "gone"), ("due", "being deleted"), ("kept", "kept"), ("not-yet", "not yet created"))))
    if summary["due_next"]:
        print(f"deleted in the next {DAY_MS // 3_600_000} h:")
        for row in summary["due_next"]:
            print(f"  {row['index']}  {row['docs']} docs  {format_time(row['earliest'])} .. {format_time(row['latest'])}")
    if findings:
        print("\ntraps:")
        for finding in findings:
            print(f"  [{finding.kind}] {finding.index}: {finding.message}")


def simulation_json(policies: list[Policy], settings: JobSettings, generations: list[Generation],
                     summary: dict[str, Any], findings: list[Finding], at: int) -> dict[str, Any]:
    return {
        "at": at,
        "policies": [p.policy_id for p in policies],
        "job": {"interval_minutes": settings.interval_minutes, "max_delay_ms": settings.max_delay_ms},
        "indices": [
            {"index": g.forecast.index, "generation": g.generation, "docs": g.doc_count, "uncertain_docs": g.uncertain_docs,
             "created": g.forecast.created, "policy_id": g.forecast.policy_id, "attached": g.forecast.attachment.how,
             "outcome": g.forecast.outcome, "reason": g.forecast.reason,
             "deletion": list(g.forecast.deletion) if g.forecast.deletion else None, "status": status_at(g.forecast, at),
             "milestones": [{"run": m.run, "earliest": m.earliest, "latest": m.latest, "state": m.state,
                             "action": m.action, "step": m.step, "detail": m.detail} for m in g.forecast.milestones]}
            for g in generations],
        "summary": summary,
        "findings": [{"kind": f.kind, "index": f.index, "message": f.message} for f in findings],
    }
