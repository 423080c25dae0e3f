"""Build the book (jupyter-book -W -n) and look at every page in headless Chromium.

The build runs once per session into a temporary directory. Each page of _toc.yml is then
served from 127.0.0.1 and loaded in Chromium: MathJax must have typeset the math (served
from the book itself: no network), no raw ``$$`` may be left in the text, every image must
exist in the build, and no error output may show. Screenshots go to _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from bookgen import ROOT, toc_files

BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "_build" / "screenshots"
PAGES = toc_files()
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=10000",
]


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    cmd = [str(BIN / "jupyter-book"), "build", "--all", "-W", "-n", "--keep-going",
           "--path-output", str(out), str(ROOT)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    html = out / "_build" / "html"
    if proc.returncode != 0:
        warnings = [ln for ln in log.splitlines() if "WARNING" in ln or "ERROR" in ln]
        pytest.fail("jupyter-book build failed (-W: warnings are errors):\n"
                    + "\n".join(warnings[-40:] or log.splitlines()[-40:]))
    return html


@pytest.mark.book
def test_book_builds(built_book: Path):
    for page in PAGES:
        assert (built_book / f"{page}.html").is_file(), f"{page}.html not built"
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file()


@pytest.mark.book
@pytest.mark.parametrize("page", PAGES)
def test_page_is_offline(built_book: Path, page: str):
    """No script, stylesheet or image is loaded from the network."""
    html = (built_book / f"{page}.html").read_text(encoding="utf-8")
    remote = re.findall(r'<(?:script|img|link)[^>]*(?:src|href)="(https?://[^"]+)"', html)
    assert not remote, f"{page}.html loads from the network: {remote}"


# --------------------------------------------------------------------------- browser
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = _chromium()
    if path is None:
        pytest.skip("chromium not found: `apt-get install -y chromium` (make test does this as root)")
    return path


@pytest.fixture(scope="session")
def server(built_book: Path):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102
        pass


def _run_chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LANG": "C.UTF-8"})


class _Page(HTMLParser):
    """Visible text (outside code, scripts and typeset math), images, and output blocks."""

    SKIP = {"script", "style", "pre", "code", "mjx-container", "noscript", "template"}
    VOID = {"img", "br", "hr", "meta", "link", "input", "source", "col", "area", "base", "wbr"}

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.imgs: list[str] = []
        self.classes: list[str] = []
        self.mjx = 0
        self._skip = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if tag == "mjx-container":
            self.mjx += 1
        if a.get("class"):
            self.classes.append(a["class"])
        if tag in self.VOID:
            return
        skip = tag in self.SKIP
        self._stack.append(skip)
        self._skip += skip

    def handle_endtag(self, tag):
        if tag in self.VOID or not self._stack:
            return
        self._skip -= self._stack.pop()

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(built_book: Path, server: str, chromium: str, page: str, tmp_path):
    url = f"{server}/{page}.html"
    proc = _run_chromium(chromium, tmp_path / "profile-dom", "--dump-dom", url)
    assert proc.returncode == 0 and "<html" in proc.stdout, (
        f"chromium failed on {url}:\n{proc.stderr[-2000:]}"
    )
    dom = _Page()
    dom.feed(proc.stdout)
    text = " ".join(dom.text)

    source = (built_book / f"{page}.html").read_text(encoding="utf-8")
    n_math = len(re.findall(r'class="[^"]*\bmath\b', source))
    if n_math:
        assert dom.mjx > 0, f"{page}: {n_math} math elements but MathJax typeset none"
    assert "$$" not in text, f"{page}: raw $$ left in the text"
    assert "\\[" not in text and "\\(" not in text, f"{page}: untypeset math delimiters"

    for src in dom.imgs:
        assert src, f"{page}: <img> without src"
        if src.startswith("data:"):
            assert len(src) > 100, f"{page}: empty inline image"
            continue
        parsed = urlparse(src)
        assert parsed.scheme in ("", "http") and parsed.netloc in ("", urlparse(server).netloc), (
            f"{page}: image from outside the book: {src}"
        )
        target = (built_book / page).parent / unquote(parsed.path)
        if parsed.path.startswith("/"):
            target = built_book / unquote(parsed.path).lstrip("/")
        target = target.resolve()
        assert target.is_file() and target.stat().st_size > 0, f"{page}: missing image {src}"

    assert "Traceback (most recent call last)" not in text, f"{page}: shows a traceback"
    bad = [c for c in dom.classes if re.search(r"\b(traceback|output_error|stderr)\b", c)]
    assert not bad, f"{page}: error/stderr output blocks: {bad[:5]}"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / (page.replace("/", "__") + ".png")
    shot.unlink(missing_ok=True)
    proc = _run_chromium(chromium, tmp_path / "profile-shot", "--window-size=1280,2000",
                         "--hide-scrollbars", f"--screenshot={shot}", url)
    assert shot.is_file() and shot.stat().st_size > 10_000, (
        f"no screenshot of {page}:\n{proc.stderr[-2000:]}"
    )


_LAYOUT_PROBE = """<!doctype html><html><body>
<iframe id="page" src="{src}" width="{width}" height="900"></iframe>
<script>
document.getElementById("page").addEventListener("load", function () {{
  const doc = this.contentDocument, width = doc.documentElement.clientWidth, cut = [];
  let cells = 0;
  for (const table of doc.querySelectorAll("table")) {{
    const head = [...table.querySelectorAll("thead th")].map(th => th.textContent.trim());
    const col = head.indexOf("Verdict");
    if (col < 0) continue;
    for (const row of table.querySelectorAll("tbody tr")) {{
      const box = row.children[col].getBoundingClientRect();
      cells += 1;
      if (box.left < 0 || box.right > width + 1) cut.push(row.children[col].textContent.trim());
    }}
  }}
  document.body.setAttribute("data-layout", JSON.stringify({{width: width, cells: cells, cut: cut}}));
}});
</script></body></html>
"""


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_reproduction_table_verdicts_are_visible_at_1366_px(built_book: Path, server: str, chromium: str,
                                                             tmp_path):
    """At a 1366-px-wide window the Verdict column of the intro's table lies inside the viewport."""
    import json

    probe = built_book / "_layout_probe.html"
    probe.write_text(_LAYOUT_PROBE.format(src="book/intro.html", width=1366), encoding="utf-8")
    proc = _run_chromium(chromium, tmp_path / "profile-layout", "--window-size=1400,1000", "--dump-dom",
                         f"{server}/_layout_probe.html")
    match = re.search(r'data-layout="([^"]*)"', proc.stdout)
    assert match, f"the layout probe did not report:\n{proc.stderr[-2000:]}"
    layout = json.loads(match.group(1).replace("&quot;", '"'))
    assert layout["width"] >= 1300 and layout["cells"] >= 10, layout
    assert not layout["cut"], f"verdict cells outside the viewport at 1366 px: {layout['cut'][:5]}"


@pytest.mark.book
def test_chapter_pages_say_how_long_they_take(built_book: Path):
    """Near its top, every chapter page gives its recorded execution time (book/_ext/chapter_times.py)."""
    chapter_pages = [p for p in PAGES if p.startswith("notebooks/")]
    assert chapter_pages
    for page in chapter_pages:
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        article = html[html.find('<article class="bd-article"'):]   # the page itself, not the print-only TOC
        i = article.find("chapter-times")
        assert i > 0 and "at the full budget" in article[i:i + 400], f"{page}: no execution time near the top"
        first_h2 = article.find("<h2")
        assert 0 <= article.find("<h1") < i and (first_h2 < 0 or i < first_h2), f"{page}: not under the title"


_CODE_PROBE = """<!doctype html><html><body>
<iframe id="page" width="{width}" height="900"></iframe>
<script>
const pages = {pages}, report = {{}};
const frame = document.getElementById("page");
function next(i) {{
  if (i >= pages.length) {{ document.body.setAttribute("data-code", JSON.stringify(report)); return; }}
  frame.onload = function () {{
    const doc = frame.contentDocument, wide = [], outputs = [];
    const blocks = doc.querySelectorAll(".cell_input pre");
    for (const pre of blocks) {{
      if (pre.scrollWidth > pre.clientWidth + 1) wide.push(pre.textContent.split("\\n")[0].slice(0, 60));
    }}
    const column = doc.querySelector("main .bd-article, main article, main");
    const limit = column ? column.clientWidth + 1 : 1e9;
    const label = el => el.textContent.trim().split("\\n")[0].slice(0, 60);
    for (const pre of doc.querySelectorAll(".cell_output pre")) {{
      if (pre.scrollWidth > pre.clientWidth + 1) outputs.push("output: " + label(pre));
    }}
    for (const el of doc.querySelectorAll(".cell_output table, mjx-container[display='true'], "
                                          + ".math.notranslate, .cell_output img")) {{
      if (el.scrollWidth > limit || el.getBoundingClientRect().width > limit)
        outputs.push(el.tagName.toLowerCase() + ": " + label(el));
    }}
    report[pages[i]] = {{blocks: blocks.length, wide: wide, outputs: outputs}};
    next(i + 1);
  }};
  frame.src = pages[i];
}}
next(0);
</script></body></html>
"""


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_chapter_code_fits_the_page_at_1366_px(built_book: Path, server: str, chromium: str, tmp_path):
    """At a 1366-px-wide window no code cell, printed output, output table, figure or display
    equation of any chapter is wider than the text column (issue #30)."""
    import json

    chapter_pages = [f"{p}.html" for p in PAGES if p.startswith("notebooks/")]
    probe = built_book / "_code_probe.html"
    probe.write_text(_CODE_PROBE.format(pages=json.dumps(chapter_pages), width=1366), encoding="utf-8")
    proc = _run_chromium(chromium, tmp_path / "profile-code", "--window-size=1400,1000",
                         "--virtual-time-budget=60000", "--dump-dom", f"{server}/_code_probe.html")
    match = re.search(r'data-code="([^"]*)"', proc.stdout)
    assert match, f"the code probe did not report:\n{proc.stderr[-2000:]}"
    report = json.loads(match.group(1).replace("&quot;", '"'))
    assert sorted(report) == sorted(chapter_pages)
    assert all(r["blocks"] > 0 for r in report.values()), report
    wide = {page: r["wide"] for page, r in report.items() if r["wide"]}
    assert not wide, f"code cells wider than the page at 1366 px: {wide}"
    outputs = {page: r["outputs"] for page, r in report.items() if r["outputs"]}
    assert not outputs, f"outputs, tables or equations wider than the text column at 1366 px: {outputs}"


@pytest.mark.book
def test_chapter_settings_render_as_a_table(built_book: Path):
    """The settings cell's Markdown output (``mb.report.settings_table``) is an HTML table."""
    for page in [p for p in PAGES if p.startswith("notebooks/")]:
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        i = html.find("Settings at")
        assert i > 0, f"{page}: no settings table"
        table = html.find("<table", i)
        head = html[table:table + 2000]
        assert 0 < table < i + 2000 and "<p>setting</p></th>" in head, f"{page}: settings not a table"


@pytest.mark.book
def test_parts_of_a_book(built_book: Path):
    """One search box per page; author-year labels on the references page (as the text cites);
    every chapter opens with its key takeaways and ends with exercises; a changelog page."""
    import re

    for page in PAGES:
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        boxes = re.findall(r'class="[^"]*\bsearch-button(?:-field)?\b[^"]*"', html)
        assert len(boxes) == 1, f"{page}: {len(boxes)} search boxes"
    refs = (built_book / "book" / "references.html").read_text(encoding="utf-8")
    labels = re.findall(r'<span class="fn-bracket">\[</span>([^<]+)<', refs)
    assert "Belghazi et al. 2018" in labels and all(re.search(r" (\d{4}|n\.d\.)$", x) for x in labels), labels[:5]
    for page in [p for p in PAGES if p.startswith("notebooks/")]:
        article = (built_book / f"{page}.html").read_text(encoding="utf-8")
        article = article[article.find('<article class="bd-article"'):]
        takeaways, first_h2 = article.find("Key takeaways"), article.find("<h2")
        assert 0 < takeaways and (first_h2 < 0 or takeaways < first_h2), f"{page}: no key takeaways at the top"
        assert 'id="exercises"' in article and article.count("<li>", article.find('id="exercises"')) >= 2, (
            f"{page}: no exercises")
    assert (built_book / "book" / "changelog.html").is_file()
