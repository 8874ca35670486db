"""Text renderings of ``efklab multiline`` results: group's closing notes, diff and filters (the JSON is the data)."""
from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from efklab.fluentd.concat.events import ROUTE_DROPPED, ROUTE_ERROR
from efklab.model import Reject


def group_summary(counts: Counter[str], lines: int, rejects: Sequence[Reject]) -> list[str]:
    """The notes after ``group``: records -> events by route, and what fluentd would not pass on."""
    by_route = ", ".join(f"{route} {n}" for route, n in sorted(counts.items()))
    out = [f"{lines} records -> {sum(counts.values()) - counts[ROUTE_DROPPED]} events ({by_route or 'none'})"]
    if counts[ROUTE_ERROR]:
        out.append(f"{counts[ROUTE_ERROR]} event(s) took the @ERROR route (timeout/shutdown flush without "
                   "timeout_label, or a record the plugin failed on): fluentd drops them unless a <label @ERROR> "
                   "handles them")
    if counts[ROUTE_DROPPED]:
        out.append(f"{counts[ROUTE_DROPPED]} record(s) discarded by buffer_overflow_method (not printed)")
    if rejects:
        first = rejects[0]
        out.append(f"{len(rejects)} line(s) the source's <parse> would not emit (fluentd drops them); "
                   f"first at {first.location()}: {first.reason}")
    return out


def render_diff(report: dict[str, Any], *, width: int | None = None) -> str:
    """Which rule each side runs, the counts (each lost-looking route explained on its line), the start-regexp
    changes, and the most telling changed clusters side by side."""
    width = width or max(80, shutil.get_terminal_size((160, 24)).columns)
    out = [f"old: {report['old']}", f"new: {report['new']}"]
    out += _regexp_rule_lines(report.get("regexp_rule"))
    out += [f"{report['lines']} lines in {len(report['files'])} file(s), flush timeouts {report['flush_timeouts']}", ""]
    ev, routes = report["events"], report["events_by_route"]
    lines_by_route = report.get("lines_by_route") or {"old": {}, "new": {}}
    notes = report.get("route_notes") or {"old": {}, "new": {}}
    rows = [("events", ev["old"], ev["new"], "")]
    for route in dict.fromkeys([*routes["old"], *routes["new"]]):
        old_n, new_n = routes["old"].get(route, 0), routes["new"].get(route, 0)
        why = ""
        if route != "main":
            old_lines, new_lines = lines_by_route["old"].get(route), lines_by_route["new"].get(route)
            lines = f"lines {old_lines or 0:,} -> {new_lines or 0:,}" if old_lines or new_lines else ""
            note = notes["new"].get(route) if new_n else notes["old"].get(route)
            grew = ("; the new rule keeps more lines waiting in groups, so more groups end by the timer"
                    if route in ("timeout", "error") and new_n > old_n else "")
            why = "  <- " + ": ".join(part for part in (lines, note) if part) + grew
        rows.append((f"  {route}", old_n, new_n, why))
    for label, old, new, why in rows:
        out.append(f"{label:<20}{old:>10,} -> {new:<10,}{why}".rstrip())
    kinds = report.get("regrouping_clusters")
    out += [f"{'lines regrouped':<20}{report['lines_regrouped']:>10,}",
            f"{'groups split':<20}{report['groups_split']:>10,}",
            f"{'groups merged':<20}{report['groups_merged']:>10,}",
            f"{'events changed':<20}{report['events_changed']:>10,}  (same lines, other time/tag/route/record)"]
    starts = report.get("start_regexp")
    if starts:
        out.append(f"start regexp: {starts['stopped_matching']:,} line(s) stopped matching, "
                   f"{starts['started_matching']:,} started matching")
        for kind in ("stopped", "started"):
            for ex in starts[f"{kind}_examples"]:
                out.append(f"  {kind:<8}{ex['at']}  {_show(ex['text'], width - 30)}")
    for side in ("old", "new"):
        for warning in report.get("warnings", {}).get(side, []):
            out.append(f"warning ({side}): {warning}")
    clusters = report.get("clusters") or []
    if clusters:
        if kinds is None:
            out += ["", f"first {len(clusters)} of {report['changed_clusters']} changed group(s), old | new:"]
        else:
            out += ["", f"{len(clusters)} of {report['changed_clusters']:,} changed group(s), old | new: groups whose "
                    f"lines changed first ({kinds:,}, largest first), then events with the same lines and another "
                    f"route, time or record ({report['changed_clusters'] - kinds:,})"]
        col = (width - 3) // 2
        for n, cluster in enumerate(clusters, 1):
            first = (cluster["old"] or cluster["new"])[0]["lines"].split(" .. ")[0]
            banner = f"--- #{n} {os.path.basename(first.rpartition(':')[0])} "
            out.append(banner + "-" * max(3, width - len(banner)))
            left = _side_lines(cluster["old"], col)
            right = _side_lines(cluster["new"], col)
            for a, b in zip_longest(left, right, fillvalue=""):
                out.append(f"{a:<{col}} | {b}")
    out += ["", "RESULT: grouping identical" if report["identical"] else "RESULT: grouping differs (exit 1)"]
    return "\n".join(out) + "\n"


def _regexp_rule_lines(regexp_rule: dict[str, Any] | None) -> list[str]:
    """Up front: where the rest of a bare /regexp/ SPEC's rule comes from, or which plugin defaults it takes."""
    if not regexp_rule:
        return []
    params = regexp_rule["params"]
    shown = (f"key {params['key']}, separator {json.dumps(params['separator'])}, "
             f"flush_interval {params['flush_interval']:g}, timeout_label {params['timeout_label'] or '(none)'}")
    specs = " and ".join(regexp_rule["specs"])
    if regexp_rule["from"]:
        return [f"rule of {specs} /regexp/: rest of the rule from {regexp_rule['from']}: {shown}"]
    lines = [f"rule of {specs} /regexp/: no config given, plugin defaults apply: {shown} "
             "(give --config FILE, or options such as --timeout-label, to use your config's)"]
    lines += [f"  default: {note}" for note in regexp_rule["defaults"]]
    return lines


SIDE_EVENTS = 6  # events listed per side of a cluster before the rest are summarised


def _side_lines(events: list[dict[str, Any]], width: int) -> list[str]:
    lines = [line for e in events[:SIDE_EVENTS] for line in _event_lines(e, width)]
    rest = events[SIDE_EVENTS:]
    if rest:
        first, last = rest[0]["lines"].split(" .. ")[0], rest[-1]["lines"].split(" .. ")[-1]
        span = "-".join(dict.fromkeys(part.rpartition(":")[2] for part in (first, last)))
        sizes = {e["count"] for e in rest}
        each = f", {sizes.pop()} line(s) each" if len(sizes) == 1 else ""
        routes = ", ".join(sorted({e["route"] for e in rest}))
        lines.append(f"... {len(rest)} more event(s), line {span}{each} [{routes}]"[:width])
    return lines


def _event_lines(event: dict[str, Any], width: int) -> list[str]:
    ends = [part.rpartition(":")[2] for part in event["lines"].split(" .. ")]
    span = "line " + "-".join(dict.fromkeys(ends))
    head = f"[{event['route']}] {span} ({event['count']}) at {event['time'][11:]}"
    parts = event["text"].split("\n")
    body = [part + "⏎" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    return [head[:width]] + ["  " + _show(b, width - 2) for b in body]


def _show(text: str, width: int) -> str:
    text = text.replace("\t", "→").replace("\r", "␍").replace("\n", "⏎")
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def render_filters(items: list[dict[str, Any]]) -> str:
    """Each concat filter: where it is, its parameters as written, and fluentd's verdict."""
    if not items:
        return "no concat filters found\n"
    out = []
    for i, item in enumerate(items, 1):
        out.append(f"{i}. {item['where']}")
        for name, raw in item["params"].items():
            comment = item.get("trailing_comments", {}).get(name)
            out.append(f"     {name} {raw}" + (f"  {comment}" if comment else ""))
        if item["error"]:
            out.append(f"   REFUSED by fluentd: {item['error']}")
        else:
            out.append(f"   mode: {item['mode']}")
        for warning in item["warnings"]:
            out.append(f"   warning: {warning}")
    return "\n".join(out) + "\n"
