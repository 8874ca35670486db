"""``efklab ordering``: how far the order Discover shows is from the order the lines were written.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from efklab.errors import InputError, UsageError


def run(args: argparse.Namespace) -> int:
    """Measure, explain, recommend; exit 1 when the checked view is out of order beyond the threshold."""
    from efklab.adapters.opensearch import connection_from_env, make_client
    from efklab.jobs.ordering_views import (
        DEFAULT_TIEBREAKERS,
        check_ordering,
        measure_views,
    )

    if args.candidate_provenance and not args.candidate_index:
        raise UsageError("--candidate-provenance needs --candidate-index", source="--candidate-provenance")
    if args.candidate_index and bool(args.provenance) != bool(args.candidate_provenance):
        raise UsageError("give provenance for both replays or for neither", source="--candidate-provenance")
    tiebreakers = [_fields(t) for t in args.tiebreaker] if args.tiebreaker else list(DEFAULT_TIEBREAKERS)
    checked = _fields(args.discover_tiebreaker) if args.discover_tiebreaker else ()
    if checked and checked not in tiebreakers:
        tiebreakers.append(checked)
    url = args.opensearch_url or _local_node()
    conn = connection_from_env(url, aws_region=args.aws_region, ca_certs=args.ca_certs, verify_tls=not args.no_verify_tls)
    client = make_client(conn)
    descending = args.order == "desc"
    provenance = _provenance(args.provenance)
    views = measure_views(client, conn, args.index, grouping=args.label, provenance=provenance,
                          tiebreakers=tiebreakers, descending=descending)
    if args.candidate_index:
        views += measure_views(client, conn, args.candidate_index, grouping=args.candidate_label,
                               provenance=_provenance(args.candidate_provenance), tiebreakers=tiebreakers, descending=descending)
    truncated = None
    if provenance is not None:
        from efklab.jobs.ordering_views import read_line_times
        from efklab.ordering.diagnosis import count_truncated_ties

        times = read_line_times(provenance, args.logs or Path(args.provenance).resolve().parent)
        truncated = count_truncated_ties(views[0].report, times) if times else None
    check = check_ordering(views, current=args.label, candidate=args.candidate_label if args.candidate_index else None,
                           truncated_tie_groups=truncated)
    target = check.view(args.label, checked)
    share = float(target.measurement.totals["share_out_of_place"])
    exported = _export(args.export_dashboards, check, args.index, args.order) if args.export_dashboards else None
    if args.json:
        out = check.summary()
        out["check"] = {"sort": target.measurement.sort, "share_out_of_place": share, "max_out_of_place": args.max_out_of_place,
                        "passed": share <= args.max_out_of_place}
        out["streams"] = [_stream_row(s) for s in _worst(target, args.streams)]
        out["exported"] = exported
        print(json.dumps(out, indent=2, default=str))
    else:
        _print_text(check, target, args, share, exported)
    return 0 if share <= args.max_out_of_place else 1




def _fields(text: str) -> tuple[str, ...]:
    fields = tuple(f.strip() for f in text.split(",") if f.strip())
    if not fields:
        raise UsageError(f"empty tiebreaker {text!r}", source="--tiebreaker")
    return fields


def _local_node() -> str:
    from efklab.adapters.localnode.lifecycle import ensure_local_node

    return ensure_local_node(say=lambda line: print(line, file=sys.stderr))


def _provenance(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    from efklab.adapters.files import iter_lines
    from efklab.ordering.measure import parse_provenance

    rows = []
    for number, raw in iter_lines(path):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg}", source=path, position=number) from exc
        if isinstance(row, dict) and "id" in row:  # reject rows (lines that made no event) carry no id
            rows.append(row)
    if not rows:
        raise InputError("no event rows (id + sources) in the provenance file", source=path)
    return parse_provenance(rows, source=path)


def _export(path: str, check: Any, pattern: str, order: str) -> dict[str, Any]:
    from efklab.opensearch.dashboards import (
        check_saved_objects,
        render_ndjson,
        saved_objects,
    )

    rec = check.recommendation
    logical = rec.tiebreaker or next((v.measurement.tiebreaker for v in check.views if v.measurement.tiebreaker), ())
    fields = check.view(rec.grouping, tuple(f.removesuffix(".keyword") for f in logical)).measurement.tiebreaker
    text = render_ndjson(saved_objects(pattern, fields, direction=order))
    problems = check_saved_objects(text)
    if problems:  # a bug of ours, not the user's input
        raise RuntimeError("saved objects failed their own check: " + "; ".join(problems))
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=path) from exc
    return {"file": path, "sort": ["@timestamp", *fields]}


def _worst(view: Any, n: int) -> list[Any]:
    return sorted(view.report.streams, key=lambda s: (-s.share_out_of_place, -s.inversions, s.stream))[:n]


def _stream_row(s: Any) -> dict[str, Any]:
    return {"stream": s.stream, "documents": s.documents, "lines": s.lines, "inversions": s.inversions,
            "kendall_tau_distance": s.kendall_tau_distance, "share_out_of_place": s.share_out_of_place,
            "tie_groups": s.tie_groups, "largest_tie": s.largest_tie}


def _print_text(check: Any, target: Any, args: argparse.Namespace, share: float, exported: dict[str, Any] | None) -> None:
    write = print
    write(f"{'grouping':<20} {'sort':<34} {'docs':>7} {'lines':>7} {'inversions':>10} {'kendall':>8} {'out of place':>12} {'tie groups':>10}")
    for v in check.views:
        t = v.measurement.totals
        write(f"{v.measurement.grouping[:20]:<20} {v.measurement.sort[:34]:<34} {t['documents']:>7,} {t['lines']:>7,} "
              f"{t['inversions']:>10,} {t['kendall_tau_distance']:>8.4f} {t['share_out_of_place']:>12.2%} {t['tie_groups']:>10,}")
    t = target.measurement.totals
    if t["missing"] or t["rejected"]:
        write(f"note: measured {t['documents']:,} documents; {t['missing']:,} provenance events not returned, "
              f"{t['rejected']:,} documents not placed (see --json)")
    if check.causes:
        write("causes:")
        for cause in check.causes:
            figures = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in cause.evidence.items() if v is not None)
            write(f"  - {cause.title} ({figures}); cure: {cause.cure}")
    write(f"recommendation: {check.recommendation.fix}")
    for step in check.recommendation.steps:
        write(f"  - {step}")
    worst = [s for s in _worst(target, args.streams) if s.inversions]
    if worst:
        write(f"most disordered streams ({target.measurement.sort}):")
        for s in worst:
            write(f"  {s.stream}: {s.share_out_of_place:.1%} of {s.lines:,} lines out of place, {s.inversions:,} inversions")
    if exported:
        write(f"saved objects: {exported['file']} (sort {', '.join(exported['sort'])}); import them in Dashboards "
              "(Dashboards Management -> Saved objects -> Import)")
    verdict = "ok" if share <= args.max_out_of_place else "FAILED"
    print(f"check {verdict}: {share:.2%} of lines out of place sorted by {target.measurement.sort} "
          f"(allowed {args.max_out_of_place:.2%})", file=sys.stderr if verdict == "ok" else sys.stdout)
