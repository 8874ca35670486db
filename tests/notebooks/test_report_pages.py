"""The report as a browser shows it: headless Chromium lays out each page at 1,400 px and reports what sticks out.

Node-free notebooks (00-doctor, 02-multiline-regression) on the committed samples: no element
wider than the page, no raw JSON figures on the index, every check's key figures as text.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from efklab.reports.htmlpage import PAGE_WIDTH_PX
from efklab.reports.runner import default_notebook_dir, run_report

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
# Run after layout (images decoded): every element whose right edge passes the window, and the page's scroll width.
PROBE = """<script>
window.addEventListener("load", () => {
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > window.innerWidth + 1 && !el.closest(".jp-OutputArea-output pre")) {
      wide.push(el.tagName + "." + el.className + " " + Math.round(box.right));
    }
  }
  const out = document.createElement("pre");
  out.id = "efklab-probe";
  out.textContent = JSON.stringify({scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 20)});
  document.body.appendChild(out);
});
</script>"""


def layout_of(page: Path, tmp_path: Path) -> dict:
    """Lay the page out in headless Chromium at the page width; what the probe found."""
    probed = tmp_path / f"probed-{page.name}"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={PAGE_WIDTH_PX},2000",
         "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=180, check=True).stdout
    found = re.search(r'<pre id="efklab-probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.skip("needs chromium (apt-get install chromium)")
    out = tmp_path_factory.mktemp("report")
    chosen = [default_notebook_dir() / f"{name}.ipynb" for name in ("00-doctor", "02-multiline-regression")]
    run_report(chosen, str(out), {}, now=NOW, environ={})
    return out


@pytest.mark.parametrize("page", ["index.html", "00-doctor.html", "02-multiline-regression.html"])
def test_every_page_fits_1400_px(report: Path, page: str, tmp_path: Path) -> None:
    """No element of the page reaches past the window (the doctor's findings table used to be ~4,000 px wide)."""
    found = layout_of(report / page, tmp_path)
    assert found["wide"] == [] and found["scrollWidth"] <= PAGE_WIDTH_PX, found


def test_the_index_lists_key_figures_as_text_and_no_raw_json(report: Path) -> None:
    """Each check: its notebook, name, where it was measured and its figures in words, never a JSON dump."""
    index = (report / "index.html").read_text(encoding="utf-8")
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    for check in summary["checks"]:
        assert check["name"] in index and check["measured"] and check["measured"] in index
    assert "error 0; info" in index or "error 0; warning" in index
    assert not re.search(r'\{\s*"', index.split("<body>")[1])


def test_pages_show_no_raw_floats_or_absolute_paths(report: Path) -> None:
    """Rendered outputs: no 6169.000000-style numbers, no paths of this machine, no 64-hex container ids."""
    for page in ("00-doctor.ipynb", "02-multiline-regression.ipynb"):
        cells = json.loads((report / page).read_text(encoding="utf-8"))["cells"]
        shown = [data for cell in cells for output in cell.get("outputs", [])
                 for mime, data in (output.get("data") or {}).items() if mime in ("text/html", "text/plain")]
        outputs = " ".join("".join(d) if isinstance(d, list) else str(d) for d in shown)
        assert outputs, page
        assert not re.search(r"\d\.\d{6}", outputs), page
        assert str(default_notebook_dir().parent) + "/" not in outputs, page
        assert not re.search(r"[0-9a-f]{64}", outputs), page
