"""Old-vs-new grouping diff: what a regexp (or any concat rule) change does to real log lines.

Both rules see the same records.  ``GroupingFold`` folds one rule's emitted events into a
compact form (which event each input line landed in, a signature per event); ``StartFold``
records where the start regexps disagree; ``diff_groupings`` compares two folds:

* events before/after (and per route);
* lines regrouped: lines whose group (the set of lines they are emitted with) changed;
* groups split (an old group's lines end in several new events) and merged (a new event takes
  lines from several old groups);
* events changed: same lines, but another time, tag, route or record;
* lines that stopped / started matching the start regexp;
* the changed clusters (connected old and new events) for a side-by-side view, the most telling
  first: clusters whose membership changed (lines that join or leave a group: the stack traces a
  fix merges), largest first, before clusters of one event whose route, time or record changed.

Memory is a few integers per line and per event, so it runs on large logs; texts for the
side-by-side view are collected afterwards, only for the clusters shown.
"""
from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from efklab.errors import RegexpTimeoutError
from efklab.fluentd.concat.engine import Emitted
from efklab.fluentd.concat.rule import Matcher
from efklab.fluentd.eventtime import format_event_time


def event_signature(event: Emitted) -> int:
    """A hash of everything of an event but its lines (time, tag, route, record with key order)."""
    return hash((event.time_ns, event.tag, event.route, json.dumps(event.record, ensure_ascii=False, default=str)))


@dataclass
class GroupingFold:
    """One rule's grouping, folded: line -> event index, and per event its route and signature."""

    group_of: array[int] = field(default_factory=lambda: array("q"))
    routes: array[int] = field(default_factory=lambda: array("b"))
    signatures: array[int] = field(default_factory=lambda: array("q"))
    route_names: list[str] = field(default_factory=list)
    route_lines: Counter[str] = field(default_factory=Counter)  # input lines per route

    def add(self, event: Emitted) -> None:
        """Fold one emitted event in."""
        index = len(self.signatures)
        self.signatures.append(event_signature(event))
        if event.route not in self.route_names:
            self.route_names.append(event.route)
        self.routes.append(self.route_names.index(event.route))
        self.route_lines[event.route] += len(event.lines)
        group_of = self.group_of
        for line in event.lines:
            if line >= len(group_of):
                group_of.extend([-1] * (line + 1 - len(group_of)))
            group_of[line] = index

    @property
    def events(self) -> int:
        return len(self.signatures)

    def by_route(self) -> dict[str, int]:
        counts = Counter(self.routes)
        return {name: counts[i] for i, name in enumerate(self.route_names)}

    def lines_by_route(self) -> dict[str, int]:
        return {name: self.route_lines[name] for name in self.route_names}


@dataclass
class StartFold:
    """Lines whose start-regexp match differs between the old and the new rule (first few kept)."""

    old: Matcher | None
    new: Matcher | None
    old_key: str = "log"
    new_key: str = "log"
    keep: int = 5
    stopped: int = 0
    started: int = 0
    stopped_examples: list[dict[str, Any]] = field(default_factory=list)
    started_examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        return self.old is not None or self.new is not None

    def add(self, record: dict[str, Any], where: str) -> None:
        """Check one record's text (each rule's key) against both start regexps."""
        old_text, new_text = record.get(self.old_key), record.get(self.new_key)
        try:
            was = self.old is not None and isinstance(old_text, str) and bool(self.old.search(old_text))
            now = self.new is not None and isinstance(new_text, str) and bool(self.new.search(new_text))
        except RegexpTimeoutError as exc:
            raise exc.at(where, None) from None
        if was == now:
            return
        text = old_text if was else new_text
        if was:
            self.stopped += 1
            if len(self.stopped_examples) < self.keep:
                self.stopped_examples.append({"at": where, "text": text})
        else:
            self.started += 1
            if len(self.started_examples) < self.keep:
                self.started_examples.append({"at": where, "text": text})


@dataclass(frozen=True)
class GroupingDiff:
    """The diff report (JSON-ready) and the input lines of the first changed clusters."""

    report: dict[str, Any]
    clusters: list[set[int]]

    @property
    def identical(self) -> bool:
        return bool(self.report["identical"])


def diff_groupings(old: GroupingFold, new: GroupingFold, lines: int, starts: StartFold | None = None,
                   *, clusters: int = 5) -> GroupingDiff:
    """Compare two groupings of the same ``lines`` input lines (see the module docstring)."""
    parent = list(range(old.events + new.events))  # union-find over old events, then new events

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_new: dict[int, int] = {}
    first_old: dict[int, int] = {}
    split: set[int] = set()
    merged: set[int] = set()
    og, ng = old.group_of, new.group_of
    for i in range(lines):
        o = og[i] if i < len(og) else -1
        n = ng[i] if i < len(ng) else -1
        if o < 0 or n < 0:
            continue
        if first_new.setdefault(o, n) != n:
            split.add(o)
        if first_old.setdefault(n, o) != o:
            merged.add(n)
        a, b = find(o), find(old.events + n)
        if a != b:
            parent[b] = a
    members: dict[int, list[int]] = {}
    for e in range(old.events + new.events):
        members.setdefault(find(e), []).append(e)
    changed_roots: set[int] = set()
    events_changed = 0
    for root, evs in members.items():
        olds = [e for e in evs if e < old.events]
        news = [e - old.events for e in evs if e >= old.events]
        if len(olds) == 1 and len(news) == 1:
            if old.signatures[olds[0]] != new.signatures[news[0]]:
                events_changed += 1
                changed_roots.add(root)
        else:
            changed_roots.add(root)
    regrouped = 0
    size: Counter[int] = Counter()  # lines per changed cluster
    first_line: dict[int, int] = {}
    for i in range(min(lines, len(og))):
        o = og[i]
        if o < 0:
            continue
        root = find(o)
        if root in changed_roots:
            size[root] += 1
            first_line.setdefault(root, i)
            evs = members[root]
            if not (len(evs) == 2 and evs[0] < old.events <= evs[1]):
                regrouped += 1

    def regrouping(root: int) -> bool:  # lines joined or left a group (not one old event -> one new event)
        evs = members[root]
        return not (len(evs) == 2 and evs[0] < old.events <= evs[1])

    ranked = sorted(size, key=lambda r: (not regrouping(r), -size[r] if regrouping(r) else 0, first_line[r]))
    chosen = set(ranked[:clusters])
    shown: dict[int, set[int]] = {root: set() for root in ranked[:clusters]}  # in rank order
    if chosen:
        for i in range(min(lines, len(og))):
            o = og[i]
            if o >= 0 and (root := find(o)) in chosen:
                shown[root].add(i)
    regrouping_clusters = sum(1 for r in changed_roots if regrouping(r))
    identical = not changed_roots and old.events == new.events
    report: dict[str, Any] = {
        "identical": identical,
        "lines": lines,
        "events": {"old": old.events, "new": new.events},
        "events_by_route": {"old": old.by_route(), "new": new.by_route()},
        "lines_regrouped": regrouped,
        "groups_split": len(split),
        "groups_merged": len(merged),
        "events_changed": events_changed,
        "changed_clusters": len(changed_roots),
        "regrouping_clusters": regrouping_clusters,  # clusters whose membership changed; the rest: events_changed
        "lines_by_route": {"old": old.lines_by_route(), "new": new.lines_by_route()},
        "start_regexp": None,
        "first_changed_lines": [min(c) for c in shown.values()],  # where the clusters shown begin, in rank order
    }
    if starts is not None and starts.applies:
        report["start_regexp"] = {
            "stopped_matching": starts.stopped,
            "started_matching": starts.started,
            "stopped_examples": starts.stopped_examples,
            "started_examples": starts.started_examples,
        }
    return GroupingDiff(report, list(shown.values()))


class LineNames(Protocol):
    """``file:line`` of a fed record by its feed-order number (``grouping.LineIndex`` or a list)."""

    def __getitem__(self, seq: int, /) -> str: ...


def side_by_side(clusters: Sequence[set[int]], old_events: Iterable[Emitted], new_events: Iterable[Emitted],
                 keys: tuple[str, str], where: LineNames, *, width: int = 400) -> list[dict[str, Any]]:
    """For each cluster, the old and the new events touching its lines (text cut at ``width``)."""
    result: list[dict[str, Any]] = [{"old": [], "new": []} for _ in clusters]
    for side, events, key in (("old", old_events, keys[0]), ("new", new_events, keys[1])):
        for event in events:
            for slot, lines in zip(result, clusters, strict=True):
                if lines.intersection(event.lines):
                    slot[side].append(_describe(event, key, where, width))
    return result


def _describe(event: Emitted, key: str, where: LineNames, width: int) -> dict[str, Any]:
    text = event.record.get(key)
    text = text if isinstance(text, str) else json.dumps(text)
    first, last = event.lines[0], event.lines[-1]
    span = where[first] if first == last else f"{where[first]} .. {where[last]}"
    return {"lines": span, "count": len(event.lines), "route": event.route, "time": format_event_time(event.time_ns),
            "text": text if len(text) <= width else text[:width] + f"... ({len(text)} chars)"}
