"""An executed notebook as a report page: nbconvert's HTML, held within a 1,400 px page.

nbconvert's lab template lets a wide DataFrame or a long log line push the page to thousands of
pixels; the rules added here wrap text in tables and outputs, align text left (numbers right),
scale figures down to the page and style the cards and check lines of ``efklab.reports``.  With
``hide_code`` the code cells and the ``In``/``Out`` prompts both go, so the page reads as prose.
"""
from __future__ import annotations

from collections.abc import Callable

from nbconvert import HTMLExporter
from nbformat import NotebookNode

PAGE_WIDTH_PX = 1400

# nbconvert carries no annotations: the type the page relies on.
_html_exporter: Callable[..., HTMLExporter] = HTMLExporter

PAGE_STYLE = f"""<style id="efklab-page">
body{{max-width:{PAGE_WIDTH_PX - 40}px;margin:0 auto;overflow-x:hidden}}
.jp-Notebook{{max-width:100%}}
.jp-OutputArea-output{{overflow-x:auto;max-width:100%}}
.jp-RenderedHTMLCommon table,.jp-OutputArea-output table{{table-layout:auto;max-width:100%;\
border-collapse:collapse}}
.jp-OutputArea-output.jp-RenderedHTMLCommon td,.jp-OutputArea-output.jp-RenderedHTMLCommon th{{text-align:left;\
white-space:pre-wrap;overflow-wrap:break-word;vertical-align:top;max-width:40rem}}
.jp-OutputArea-output.jp-RenderedHTMLCommon td.num,.jp-OutputArea-output.jp-RenderedHTMLCommon th.num{{\
text-align:right;white-space:nowrap}}
.jp-OutputArea-output.jp-RenderedHTMLCommon th{{overflow-wrap:normal;white-space:nowrap}}
.jp-OutputArea-output pre{{white-space:pre-wrap;overflow-wrap:anywhere}}
.jp-RenderedImage img,.jp-OutputArea-output img{{max-width:100%;height:auto}}
.efklab-empty{{color:#59636e;font-style:italic}}
.efklab-card{{border:1px solid #d1d9e0;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0;\
max-width:{PAGE_WIDTH_PX - 200}px}}
.efklab-card-title{{font-weight:600;margin:.1rem 0 .4rem}}
.efklab-card dl{{display:grid;grid-template-columns:7rem 1fr;gap:.2rem .8rem;margin:0}}
.efklab-card dt{{color:#59636e}} .efklab-card dd{{margin:0;overflow-wrap:anywhere;white-space:pre-wrap}}
.efklab-badge{{display:inline-block;padding:0 .5rem;border-radius:1rem;color:#fff;font-size:.8rem;\
background:#59636e}}
.efklab-error{{background:#cf222e}} .efklab-warning{{background:#9a6700}} .efklab-info{{background:#0969da}}
.efklab-check{{margin:.3rem 0}} .efklab-measured{{color:#59636e;font-size:.9em}}
.efklab-figures{{color:#59636e;font-size:.9em;margin-left:3rem}}
</style>
"""


def render_notebook_html(notebook: NotebookNode, *, hide_code: bool) -> str:
    """The page of one executed notebook; ``hide_code`` drops code cells and every In/Out prompt."""
    exporter = _html_exporter(exclude_input=hide_code, exclude_input_prompt=hide_code,
                              exclude_output_prompt=hide_code)
    body, _resources = exporter.from_notebook_node(notebook)
    page = str(body)
    return page.replace("</head>", PAGE_STYLE + "</head>", 1) if "</head>" in page else PAGE_STYLE + page
