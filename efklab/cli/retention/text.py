"""Text and JSON renderings of ``efklab retention``: policies described, simulations, apply and explain."""
from __future__ import annotations

from typing import Any

from efklab.jobs.rehearsal import RehearsalReport
from efklab.jobs.retention import Applied, Simulation
from efklab.retention.explain import ExplainRow
from efklab.retention.forecast import Generation, group_by_creation_day, group_findings
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


BY_INDEX_LIMIT = 40  # more index generations than this are printed one line per creation day


def print_simulation(simulation: Simulation, *, by_index: bool = False) -> None:
    """The policies, the ISM job, the index generations (per creation day when many), the summary, the traps."""
    policies, settings, generations = simulation.policies, simulation.settings, simulation.generations
    summary, at = simulation.summary(), simulation.at
    for policy in policies:
        print("\n".join(describe_policy(policy)))
    spread = settings.max_delay_ms // 60_000
    print(f"ISM job: every {settings.interval_minutes} min + up to {spread} min delay; "
          "run 1 initialises, each run one step")
    print(f"source: {simulation.source}")
    matched = sorted({g.forecast.attachment.matched for g in generations if g.forecast.attachment.matched})
    for how in matched:
        count = sum(g.forecast.attachment.matched == how for g in generations)
        print(f"policy match ({count} indices): {how}")
    if by_index or len(generations) <= BY_INDEX_LIMIT:
        _print_by_index(simulation)
    else:
        _print_by_day(simulation)
    totals = summary["totals"]
    print(f"\nforecast as of {format_time(at)}: " + ", ".join(
        f"{label} {totals[key]['indices']} indices ({totals[key]['docs']} docs)"
        for key, label in (("gone", "gone"), ("due", "being deleted"), ("kept", "kept"),
                           ("not-yet", "not yet created"))))
    if summary["due_next"]:
        due = summary["due_next"]
        print(f"deleted in the next {DAY_MS // 3_600_000} h: {len(due)} indices, first "
              f"{due[0]['index']} ({due[0]['docs']} docs) {format_time(due[0]['earliest'])} .. "
              f"{format_time(due[0]['latest'])}")
    groups = group_findings(simulation.findings)
    if groups:
        print("\ntraps (one line per kind):")
        for group in groups:
            more = f" and {group.count - len(group.examples)} more" if group.count > len(group.examples) else ""
            print(f"  [{group.kind}] {group.count}x: {group.meaning} (e.g. {', '.join(group.examples)}{more})")


def _print_by_index(simulation: Simulation) -> None:
    generations, at = simulation.generations, simulation.at
    observed = {r.index: r for r in simulation.observed}
    width = max([len(g.forecast.index) for g in generations] + [5])
    node = "  observed on the node" if simulation.ism_on_node else ""
    print(f"\n{'index':<{width}}  {'docs':>7}  {'created':<20}  {'forecast: deleted between':<42}  "
          f"{'forecast at ' + format_time(at):<32}{node}")
    for gen in sorted(generations, key=lambda g: (g.forecast.index, g.generation)):
        name = gen.forecast.index + (f" #{gen.generation}" if gen.generation > 1 else "")
        row = observed.get(gen.forecast.index)
        seen = ""
        if simulation.ism_on_node:
            seen = (f"  {row.policy_id}/{row.state or 'attached'}/{row.action or '-'}" if row and row.managed
                    else "  not managed")
        print(f"{name:<{width}}  {gen.doc_count:>7}  {format_time(gen.forecast.created):<20}  {_window(gen):<42}  "
              f"{simulation.status(gen):<32}{seen}")


def _print_by_day(simulation: Simulation) -> None:
    groups = group_by_creation_day(simulation.generations)
    print(f"\n{len(simulation.generations)} index generations, one line per creation day and outcome "
          "(--by-index lists each):")
    print(f"{'created on':<10}  {'indices':>7}  {'docs':>7}  {'forecast: deleted between':<42}  "
          f"forecast at {format_time(simulation.at)}")
    for group in groups:
        window = (f"{format_time(group.deletion[0])} .. {format_time(group.deletion[1])}" if group.deletion
                  else {"unmanaged": "never (no policy)", "kept": "never (policy keeps it)"}.get(group.outcome,
                                                                                                 group.outcome))
        statuses = sorted({simulation.status(g) for g in group.generations})
        label = format_time(group.day)[:10] + (" (recreated)" if group.recreated else "")
        print(f"{label:<10}  {len(group.generations):>7}  {group.docs:>7}  {window:<42}  {'/'.join(statuses)}")


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
             "status": simulation.status(g), "matched": g.forecast.attachment.matched or None,
             "milestones": [{"run": m.run, "earliest": m.earliest, "latest": m.latest, "state": m.state,
                             "action": m.action, "step": m.step, "detail": m.detail} for m in g.forecast.milestones]}
            for g in simulation.generations],
        "summary": simulation.summary(),
        "source": simulation.source,
        "observed": [r.to_json() for r in simulation.observed],
        "findings": [{"kind": f.kind, "index": f.index, "message": f.message} for f in simulation.findings],
        "trap_groups": [{"kind": g.kind, "count": g.count, "examples": list(g.examples), "meaning": g.meaning}
                        for g in group_findings(simulation.findings)],
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
    """Per index: policy/state/action/step (or -), since when, the plugin's message, what comes next; the counts."""
    width = max([len(r.index) for r in rows] + [5])
    for row in rows:
        where = f"{row.policy_id}/{row.state or '-'}/{row.action or '-'}/{row.step or '-'}" if row.managed else "-"
        since = row.action_since or row.state_since
        print(f"{row.index:<{width}}  {where:<48}  {row.next}")
        details = [f"since {format_time(since)}" if since else "", f"created {format_time(row.index_created)}"
                   if row.index_created else "", f"info: {row.info}" if row.info else ""]
        if any(details):
            print(f"{'':<{width}}  " + "; ".join(d for d in details if d))
    print(f"{sum(r.managed for r in rows)} of {len(rows)} indices managed, {sum(r.failed for r in rows)} failed "
          "(observed on the node)")


REHEARSAL_LIMITS = ("a rehearsal creates every index now: OpenSearch refuses index.creation_date at creation, so it "
                    "cannot show when back-dated indices (a backfill of old days) are deleted by the calendar; "
                    "the forecast (efklab retention simulate) does")


def _offset(ms: int | None, origin: int) -> str:
    return "-" if ms is None else f"{(ms - origin) / 1000:+.0f}s"


def print_rehearsal(report: RehearsalReport) -> None:
    """Setup in two lines, then per index generation: forecast, observed on the node, agreement."""
    settings, origin = report.settings, report.put_at
    ages = ", ".join(f"min_index_age {a} -> {b}" for a, b in report.ages) or "no min_index_age"
    print(f"rehearsal of {report.source_policy} on {report.url} as {report.policy_id}: scale {report.scale} "
          f"({ages}); ISM job every {settings.interval_minutes} min, jitter {settings.jitter:g} (not scaled)")
    print(f"times are seconds after the policy's PUT at {format_time(origin)}; a deletion agrees when it lies in "
          "the forecast window (+30 s plugin latency)")
    width = max([len(v.index) for v in report.verdicts] + [5])
    print(f"\n{'index':<{width}}  {'gen':>3}  {'role':<10}  {'created':>8}  {'forecast: deleted':<20}  "
          f"{'observed on the node':<34}  agrees")
    for v in report.verdicts:
        window = (f"{_offset(v.deletion[0], origin)}..{_offset(v.deletion[1], origin)}" if v.deletion
                  else ("kept" if "not created" not in v.predicted else "-"))
        if v.deleted_between:
            seen = f"deleted {_offset(v.deleted_between[0], origin)}..{_offset(v.deleted_between[1], origin)}"
        else:
            seen = "present" if v.observed != "-" else "-"
        managed = "managed" if v.observed.startswith("managed") else ("not managed" if v.observed != "-" else "")
        agrees = {True: "yes", False: "NO", None: "pending"}[v.agrees]
        created = _offset(v.created, origin) if v.created else "-"
        print(f"{v.index:<{width}}  {v.generation:>3}  {v.role:<10}  {created:>8}  {window:<20}  "
              f"{(managed + ', ' + seen).strip(', '):<34}  {agrees}" + (f"  ({v.note})" if v.note else ""))
    decided = [v for v in report.verdicts if v.agrees is not None]
    print(f"\nobserved on the node: {sum(v.deleted_between is not None for v in report.verdicts)} deleted by ISM, "
          f"{sum(bool(v.agrees) for v in decided)} of {len(report.verdicts)} agree with the forecast"
          + ("" if report.complete else f", {len(report.verdicts) - len(decided)} not decided (timeout)"))
    print(f"limits: {REHEARSAL_LIMITS}")


def rehearsal_json(report: RehearsalReport) -> dict[str, Any]:
    """The ``--json`` report of a rehearsal: setup, and per generation forecast beside observation."""
    return {
        "url": report.url, "policy_id": report.policy_id, "source_policy": report.source_policy,
        "scale": str(report.scale), "ages": [list(a) for a in report.ages], "put_at": report.put_at,
        "job": {"interval_minutes": report.settings.interval_minutes, "jitter": report.settings.jitter},
        "agrees": report.agrees, "complete": report.complete, "limits": REHEARSAL_LIMITS,
        "indices": [{"index": v.index, "generation": v.generation, "role": v.role, "created": v.created,
                     "forecast": v.predicted, "forecast_deletion": list(v.deletion) if v.deletion else None,
                     "observed": v.observed,
                     "observed_deleted_between": list(v.deleted_between) if v.deleted_between else None,
                     "agrees": v.agrees, "note": v.note} for v in report.verdicts],
    }
