"""The report's ``index.html``: the overall verdict, each check's key figures as text, links to each notebook.

Pure text rendering of the summary the runner folds; self-contained (no scripts, no external
styles), so it opens from a file, a bucket or a CI artefact alike.  Figures are sentences for
people (``documents 6,169; share out of place 45.3 %``), never JSON; the machine-readable
figures are in ``summary.json`` beside it.
"""
from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any

from efklab.reports.present import figures_text, human

_COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "error": "#9a6700"}
_WORDS = {"pass": "PASS", "fail": "FAIL", "error": "DID NOT FINISH"}

_STYLE = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2rem auto;max-width:72rem;\
color:#1f2328;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} .meta{color:#59636e;margin-top:0}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff;font-weight:600;font-size:.85rem;\
white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:1rem 0;table-layout:auto} \
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d1d9e0;vertical-align:top;\
overflow-wrap:break-word}
th{background:#f6f8fa;overflow-wrap:normal;white-space:nowrap} td.num{text-align:right;white-space:nowrap} \
.measured{color:#59636e;font-size:.85rem} .figures{font-size:.9rem}
"""


def render_index(summary: Mapping[str, Any], *, now: dt.datetime) -> str:
    """The landing page of a report from its summary (the dict written to ``summary.json``)."""
    verdict = str(summary["verdict"])
    counts = summary["counts"]
    rows_nb = "".join(_notebook_row(entry, summary["checks"]) for entry in summary["notebooks"])
    rows_checks = "".join(_check_row(check) for check in summary["checks"]) or (
        '<tr><td colspan="3">No notebook recorded a check.</td></tr>'
    )
    params = summary.get("parameters") or {}
    params_text = ", ".join(f"{k} = {v}" for k, v in params.items()) or "defaults"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">\
<title>efklab report {html.escape(now.date().isoformat())}: {verdict}</title>
<style>{_STYLE}</style></head>
<body>
<h1>efklab report {_badge(verdict)}</h1>
<p class="meta">Run {html.escape(now.isoformat(timespec="seconds"))} \
with efklab {html.escape(str(summary.get("efklab_version", "")))};
parameters: {html.escape(params_text)}.
{counts["pass"]} passed, {counts["fail"]} failed, {counts["error"]} did not finish.</p>
<h2>Notebooks</h2>
<table><tr><th>notebook</th><th>verdict</th><th>checks</th><th>key figures</th><th>duration</th></tr>{rows_nb}</table>
<h2>Checks</h2>
<table><tr><th>check</th><th>verdict</th><th>measured, and the figures behind it</th></tr>{rows_checks}</table>
<p class="meta">Machine-readable: <a href="summary.json">summary.json</a>.</p>
</body></html>
"""


def _badge(verdict: str) -> str:
    colour = _COLOURS.get(verdict, "#59636e")
    word = _WORDS.get(verdict, verdict.upper())
    return f'<span class="badge" style="background:{colour}">{html.escape(word)}</span>'


def _notebook_row(entry: Mapping[str, Any], checks: list[Mapping[str, Any]]) -> str:
    name = html.escape(str(entry["name"]))
    counts = entry["counts"]
    duration = entry.get("duration_s")
    took = f"{duration:.1f} s" if isinstance(duration, (int, float)) else "-"
    html_link = html.escape(str(entry["html"]), quote=True)
    nb_link = html.escape(str(entry["ipynb"]), quote=True)
    own = [c for c in checks if c["notebook"] == entry["name"]]
    key = _key_figures(own)
    return (
        f'<tr><td><a href="{html_link}">{name}</a><br><span class="measured">'
        f'<a href="{nb_link}">executed notebook</a></span></td><td>{_badge(str(entry["verdict"]))}</td>'
        f"<td>{html.escape(_counts_text(counts))}</td>"
        f'<td class="figures">{html.escape(key)}</td><td class="num">{took}</td></tr>'
    )


def _counts_text(counts: Mapping[str, int]) -> str:
    """``3 pass``, ``2 pass, 1 fail``, ``stopped before its end`` added when the notebook did not finish."""
    text = f"{counts['pass']} pass" + (f", {counts['fail']} fail" if counts["fail"] else "")
    return text + ("; stopped before its end" if counts["error"] else "")


def _key_figures(checks: list[Mapping[str, Any]]) -> str:
    """The first figures of the notebook's checks, without repeats: what a reader scans the index for.

    A notebook that stopped shows where and why instead (its later checks never ran).
    """
    stopped = next((c for c in checks if c["verdict"] == "error"), None)
    if stopped is not None:
        message = " ".join(str((stopped.get("figures") or {}).get("message") or "").split())
        return f"{stopped['name']}: {message[:200]}" if message else str(stopped["name"])
    seen: dict[str, str] = {}
    for check in checks:
        for key, value in (check.get("figures") or {}).items():
            if key not in seen and not isinstance(value, (dict, list)) and key != "message":
                seen[key] = f"{key.replace('_', ' ')} {human(value, key)}"
    return "; ".join(list(seen.values())[:6])


def _check_row(check: Mapping[str, Any]) -> str:
    figures = figures_text(check.get("figures") or {})
    measured = str(check.get("measured") or "")
    where = f'<div class="measured">{html.escape(measured)}</div>' if measured else ""
    return (
        f"<tr><td>{html.escape(str(check['notebook']))}: {html.escape(str(check['name']))}</td>"
        f"<td>{_badge(str(check['verdict']))}</td>"
        f'<td>{where}<div class="figures">{html.escape(figures) or "no figures"}</div></td></tr>'
    )
