"""Text and JSON renderings of ``efklab retention``: policies described, simulations, apply and explain."""
from __future__ import annotations

from typing import Any

from efklab.jobs.retention import Applied, Simulation
from efklab.retention.explain import ExplainRow
from efklab.retention.forecast import Generation, status_at
from efklab.retention.policy import Policy
from efklab.units import DAY_MS, format_time


def describe_policy(policy: Policy) -> list[str]:
    """A few lines that say what the policy does."""
    lines = [f"policy {policy.policy_id}: {policy.description}"]
    for state in policy.states:
        actions = ", ".join(a.type for a in state.actions) or "no actions"
        moves = "; ".join(
            f"-> {t.state_name}" + (f" when {t.condition.kind} {t.condition.text}" if t.condition else " at once")
            for t in state.transitions) or "final"
        default = " (default)" if state.name == policy.default_state else ""
        lines.append(f"  state {state.name}{default}: {actions}; {moves}")
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


def print_simulation(simulation: Simulation) -> None:
    """The policies, the ISM job, per index generation its deletion window and status, the summary, the traps."""
    policies, settings, generations = simulation.policies, simulation.settings, simulation.generations
    summary, findings, at = simulation.summary(), simulation.findings, simulation.at
    for policy in policies:
        print("\n".join(describe_policy(policy)))
    spread = settings.max_delay_ms // 60_000
    print(f"ISM job: every {settings.interval_minutes} min + up to {spread} min delay; "
          "run 1 initialises, each run one step")
    width = max([len(g.forecast.index) for g in generations] + [5])
    print(f"\n{'index':<{width}}  {'docs':>7}  {'created':<20}  {'deleted between':<42}  as of {format_time(at)}")
    for gen in sorted(generations, key=lambda g: (g.forecast.index, g.generation)):
        name = gen.forecast.index + (f" #{gen.generation}" if gen.generation > 1 else "")
        print(f"{name:<{width}}  {gen.doc_count:>7}  {format_time(gen.forecast.created):<20}  {_window(gen):<42}  "
              f"{status_at(gen.forecast, at)}")
    totals = summary["totals"]
    print(f"\nas of {format_time(at)}: " + ", ".join(
        f"{label} {totals[key]['indices']} indices ({totals[key]['docs']} docs)"
        for key, label in (("gone", "gone"), ("due", "being deleted"), ("kept", "kept"),
                           ("not-yet", "not yet created"))))
    if summary["due_next"]:
        print(f"deleted in the next {DAY_MS // 3_600_000} h:")
        for row in summary["due_next"]:
            print(f"  {row['index']}  {row['docs']} docs  "
                  f"{format_time(row['earliest'])} .. {format_time(row['latest'])}")
    if findings:
        print("\ntraps:")
        for finding in findings:
            print(f"  [{finding.kind}] {finding.index}: {finding.message}")


def simulation_json(simulation: Simulation) -> dict[str, Any]:
    """The ``--json`` report of a simulation: every generation with its milestones, the summary, the traps."""
    at, settings = simulation.at, simulation.settings
    return {
        "at": at,
        "policies": [p.policy_id for p in simulation.policies],
        "job": {"interval_minutes": settings.interval_minutes, "max_delay_ms": settings.max_delay_ms},
        "indices": [
            {"index": g.forecast.index, "generation": g.generation, "docs": g.doc_count,
             "uncertain_docs": g.uncertain_docs,
             "created": g.forecast.created, "policy_id": g.forecast.policy_id, "attached": g.forecast.attachment.how,
             "outcome": g.forecast.outcome, "reason": g.forecast.reason,
             "deletion": list(g.forecast.deletion) if g.forecast.deletion else None,
             "status": status_at(g.forecast, at),
             "milestones": [{"run": m.run, "earliest": m.earliest, "latest": m.latest, "state": m.state,
                             "action": m.action, "step": m.step, "detail": m.detail} for m in g.forecast.milestones]}
            for g in simulation.generations],
        "summary": simulation.summary(),
        "findings": [{"kind": f.kind, "index": f.index, "message": f.message} for f in simulation.findings],
    }


def print_apply(applied: Applied, *, opensearch_url: str | None, add: str | None, policy_file: str) -> None:
    """What was PUT and attached (or would be), and the existing indices the templates never reach."""
    result, base, patterns = applied.result, applied.base, list(applied.patterns)
    policy_id, not_attached = result["policy_id"], result["existing_not_attached"]
    if result.get("dry_run"):
        print(f"dry run: would PUT {base}/policies/{policy_id}" + ("" if result["ism_installed"] else
              f" -- but {opensearch_url or 'the cluster'} has no Index State Management plugin: it would fail"))
        if add:
            print(f"would POST {base}/add/{add}: {len(result['would_add'])} indices")
    else:
        print(f"PUT {base}/policies/{policy_id}: version {result['version']}")
        if add:
            print(f"POST {base}/add/{add}: {result['added']['updated_indices']} indices attached")
            for failure in result["added"]["failed_indices"]:
                print(f"  not attached: {failure.get('index_name')}: {failure.get('reason')}")
    if not_attached:
        verb = "would NOT get" if result.get("dry_run") else "will NOT get"
        print(f"{len(not_attached)} existing indices match {patterns} and {verb} the policy (templates only attach to "
              f"indices created after the PUT); attach them with: efklab retention apply --policy {policy_file} "
              f"--add '{patterns[0]}'")


def print_explain(rows: list[ExplainRow]) -> None:
    """One line per index: policy/state/action/step (or -), what comes next; then the counts."""
    width = max([len(r.index) for r in rows] + [5])
    for row in rows:
        where = f"{row.policy_id}/{row.state or '-'}/{row.action or '-'}/{row.step or '-'}" if row.managed else "-"
        print(f"{row.index:<{width}}  {where:<48}  {row.next}")
    print(f"{sum(r.managed for r in rows)} of {len(rows)} indices managed, {sum(r.failed for r in rows)} failed")
