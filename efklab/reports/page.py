"""The report's ``index.html``: the overall verdict, one row per check, links to each notebook.

Pure text rendering of the summary the runner folds; self-contained (no scripts, no external
styles), so it opens from a file, a bucket or a CI artefact alike.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping
from typing import Any

_COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "error": "#9a6700"}

_STYLE = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2rem auto;max-width:72rem;\
color:#1f2328;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} .meta{color:#59636e;margin-top:0}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff;font-weight:600;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:1rem 0} \
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d1d9e0;vertical-align:top}
th{background:#f6f8fa} code{font-size:.85rem} \
.figures{font-family:ui-monospace,monospace;font-size:.8rem;color:#59636e;white-space:pre-wrap}
"""


def render_index(summary: Mapping[str, Any], *, now: dt.datetime) -> str:
    """The landing page of a report from its summary (the dict written to ``summary.json``)."""
    verdict = str(summary["verdict"])
    counts = summary["counts"]
    rows_nb = "".join(_notebook_row(entry) for entry in summary["notebooks"])
    rows_checks = "".join(_check_row(check) for check in summary["checks"]) or (
        '<tr><td colspan="4">No notebook recorded a check.</td></tr>'
    )
    params = summary.get("parameters") or {}
    params_text = ", ".join(f"{k} = {v!r}" for k, v in params.items()) or "defaults"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">\
<title>efklab report {html.escape(now.date().isoformat())}: {verdict}</title>
<style>{_STYLE}</style></head>
<body>
<h1>efklab report {_badge(verdict)}</h1>
<p class="meta">Run {html.escape(now.isoformat(timespec="seconds"))} \
with efklab {html.escape(str(summary.get("efklab_version", "")))};
parameters: {html.escape(params_text)}.
{counts["pass"]} passed, {counts["fail"]} failed, {counts["error"]} errors.</p>
<h2>Notebooks</h2>
<table><tr><th>notebook</th><th>verdict</th><th>checks</th><th>duration</th><th>files</th></tr>{rows_nb}</table>
<h2>Checks</h2>
<table><tr><th>notebook</th><th>check</th><th>verdict</th><th>figures</th></tr>{rows_checks}</table>
<p class="meta">Machine-readable: <a href="summary.json">summary.json</a>.</p>
</body></html>
"""


def _badge(verdict: str) -> str:
    colour = _COLOURS.get(verdict, "#59636e")
    return f'<span class="badge" style="background:{colour}">{html.escape(verdict.upper())}</span>'


def _notebook_row(entry: Mapping[str, Any]) -> str:
    name = html.escape(str(entry["name"]))
    counts = entry["counts"]
    duration = entry.get("duration_s")
    took = f"{duration:.1f} s" if isinstance(duration, (int, float)) else "-"
    html_link = html.escape(str(entry["html"]), quote=True)
    nb_link = html.escape(str(entry["ipynb"]), quote=True)
    return (
        f'<tr><td><a href="{html_link}">{name}</a></td><td>{_badge(str(entry["verdict"]))}</td>'
        f"<td>{counts['pass']} pass, {counts['fail']} fail, {counts['error']} error</td><td>{took}</td>"
        f'<td><a href="{html_link}">HTML</a> &middot; <a href="{nb_link}">notebook</a></td></tr>'
    )


def _check_row(check: Mapping[str, Any]) -> str:
    figures = json.dumps(check.get("figures") or {}, indent=1, ensure_ascii=False, default=str)
    return (
        f"<tr><td>{html.escape(str(check['notebook']))}</td><td><code>{html.escape(str(check['name']))}</code></td>"
        f"<td>{_badge(str(check['verdict']))}</td><td class=\"figures\">{html.escape(figures)}</td></tr>"
    )
