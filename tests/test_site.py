"""The built site: it builds without warnings, and a real browser finds every page right.

One build per test session (to a temporary folder, so ``_build`` is left alone), then:

- build checks: no Sphinx warning, every page of ``_toc.yml`` built, chapters with outputs and
  figures, no unresolved reference, no broken internal link or anchor;
- browser checks (headless Debian Chromium driven by Playwright): no uncaught page error, every
  formula typeset by the local MathJax, every image loaded, no request to any host but 127.0.0.1,
  the ``.ipynb`` download of each chapter is a notebook with outputs, the search page finds
  "ridge", and at a phone width (390 px) no page scrolls sideways. Screenshots of every page go to
  ``_build/screenshots/`` for review.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml
from bookfiles import chapter_notebooks, load_module, toc_files

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
SCREENSHOTS = ROOT / "_build" / "screenshots"
#: How long a page may take to load, typeset and go quiet: generous, because the machines that run
#: the tests are shared and a loaded one was seen to need more than 30 s for the longest chapter.
PAGE_TIMEOUT_MS = 120_000
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.slow


# --- the build -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    reuse = os.environ.get("MLOPT_SITE")
    if reuse:   # by hand only (make check-lite): test a site that `make book` already built
        html = Path(reuse)
        assert (html / "index.html").is_file(), f"MLOPT_SITE={reuse} holds no built site: run make book"
        return html, ""
    out = tmp_path_factory.mktemp("book")
    cmd = [str(JUPYTER_BOOK), "build", "--all", str(ROOT), "-W", "-n", "--keep-going",
           "--path-output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"jupyter-book build failed (exit {proc.returncode}):\n{log[-8000:]}"
    return out / "_build" / "html", log


def test_build_has_no_warnings(site):
    _, log = site
    warnings = [line for line in log.splitlines() if re.search(r": (WARNING|ERROR|CRITICAL):", line)]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings[:30])


def test_every_toc_page_is_built(site):
    html, _ = site
    missing = [f for f in toc_files() if not (html / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"
    assert (html / "index.html").is_file()


def test_chapters_have_executed_outputs_and_figures(site):
    html, _ = site
    notebooks = chapter_notebooks()
    assert len(notebooks) >= 2, f"the table of contents lists too few notebook chapters: {notebooks}"
    for nb in notebooks:
        page = (html / f"{nb}.html").read_text(encoding="utf-8")
        n_outputs = page.count("cell_output")
        n_images = len(re.findall(r"<img [^>]*src=\"[^\"]+\.png\"", page))
        assert n_outputs >= 5, f"{nb}: only {n_outputs} code-cell outputs in the page"
        assert n_images >= 2, f"{nb}: only {n_images} figures in the page"
        assert "???" not in page, f"{nb}: an unresolved reference"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("img", "script") and a.get("src"):
            self.links.append(a["src"])
        if tag == "link" and a.get("href"):
            self.links.append(a["href"])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_no_broken_internal_links_or_anchors(site):
    html, _ = site
    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)
    parsed = {p: _parse(p) for p in pages}
    broken = []
    for page, info in parsed.items():
        for link in info.links:
            url = urlparse(link)
            if url.scheme or link.startswith(("//", "mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if url.path and not target.exists():
                if (page.relative_to(html).as_posix(), link) == ("book/intro.html", "../mlopt-book.pdf"):
                    continue  # the PDF: `make pdf` puts it in the site, not this build (tests/test_pdf.py)
                broken.append(f"{page.relative_to(html)} -> {link} (no file)")
                continue
            if url.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(url.fragment) not in ids:
                    broken.append(f"{page.relative_to(html)} -> {link} (no anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:40])


def test_archive_of_all_chapters(site):
    html, _ = site
    archive = html / "mlopt-book.zip"
    assert archive.is_file(), "make book must produce mlopt-book.zip at the site root"
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        for nb in (f for f in chapter_notebooks() if Path(f).name[:2].isdigit()):
            member = f"mlopt-book/{nb}.ipynb"
            assert member in names, f"{member} missing from the archive"
            notebook = json.loads(zf.read(member))
            assert any(c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")
        for needed in ("mlopt-book/pyproject.toml", "mlopt-book/mlopt/__init__.py", "mlopt-book/book/matplotlibrc"):
            assert needed in names, f"{needed} missing from the archive"
    intro = (html / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="../mlopt-book.zip"' in intro, "the preface must link the archive"


def test_no_dead_launch_buttons_without_a_repository_url(site):
    html, _ = site
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo_url = (config.get("repository") or {}).get("url") or ""
    for nb in chapter_notebooks():
        page = (html / f"{nb}.html").read_text(encoding="utf-8")
        has_launch = bool(re.search(r"binder|colab", page, re.I) and "launch" in page.lower())
        if not repo_url:
            assert not has_launch, f"{nb}: launch buttons shown although no repository URL is set"


# --- the browser -----------------------------------------------------------------------------------

def _chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("the browser tests need Debian's Chromium: run `apt-get install -y chromium` "
                "(as root; .ci/run does this), or set CHROMIUM=/path/to/chromium")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    html, _ = site
    handler = functools.partial(_QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright: pip install -e '.[test]'")
    # The in-browser edition's test counts the requests of JupyterLite's service worker too, which
    # Playwright reports only with this switch (read when its driver starts).
    saved = os.environ.get("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS")
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            yield b
            b.close()
    finally:
        if saved is None:
            os.environ.pop("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", None)
        else:
            os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = saved


def _pages(site) -> list[str]:
    html, _ = site
    extra = [p for p in ("search.html", "genindex.html", "py-modindex.html") if (html / p).is_file()]
    return [f"{f}.html" for f in toc_files()] + extra


def _visit(browser, url, width=1280, height=900):
    """Open url; return (page, context, errors, outside_requests)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" else None)

    def route(r):
        if urlparse(r.request.url).hostname not in ("127.0.0.1",):
            outside.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    # requests in flight, for _wait_quiet (and for its message when a page never goes quiet)
    inflight: dict = {}
    page.on("request", lambda r: inflight.__setitem__(id(r), r.url))
    page.on("requestfinished", lambda r: inflight.pop(id(r), None))
    page.on("requestfailed", lambda r: inflight.pop(id(r), None))
    page.inflight = inflight
    page.goto(url, wait_until="load")
    return page, context, errors, outside


def _wait_quiet(page, quiet_ms=500):
    """Wait until no request has been in flight for ``quiet_ms`` (Playwright's "networkidle", with
    the URLs still loading in the failure message when a page never gets there)."""
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    quiet_since = None
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)   # lets the page's events arrive
        if page.inflight:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_ms / 1000:
            return
    pytest.fail(f"{page.url}: requests still in flight after {PAGE_TIMEOUT_MS / 1000:.0f} s: "
                f"{sorted(page.inflight.values())[:10]}")


def _wait_for_math(page):
    page.wait_for_function("() => !document.querySelector('.math') || "
                           "(window.MathJax && MathJax.startup && MathJax.startup.promise)", timeout=PAGE_TIMEOUT_MS)
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")


def test_every_page_in_the_browser(site, server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    totals = {"pages": 0, "formulas": 0, "images": 0, "requests_outside": 0}
    for rel in _pages(site):
        page, context, errors, outside = _visit(browser, urljoin(server, rel))
        try:
            _wait_for_math(page)
            _wait_quiet(page)
            info = page.evaluate("""() => {
                // prose only: code cells and their outputs may legitimately hold TeX source
                const main = document.querySelector('main');
                let text = '';
                if (main) {
                  const copy = main.cloneNode(true);
                  copy.querySelectorAll('pre, code, .cell, .highlight, mjx-container, dt.sig').forEach(e => e.remove());
                  text = copy.textContent;
                }
                const imgs = Array.from(document.images);
                return {
                  formulas: document.querySelectorAll('mjx-container').length,
                  mathNodes: document.querySelectorAll('.math').length,
                  merrors: document.querySelectorAll('mjx-merror').length,
                  rawTex: /\\$\\$|\\\\frac|\\\\theta|\\\\lambda/.test(text),
                  images: imgs.length,
                  broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
                };
            }""")
            page.screenshot(path=str(SCREENSHOTS / (rel.replace("/", "_") + ".png")), full_page=False)
        finally:
            context.close()
        totals["pages"] += 1
        totals["formulas"] += info["formulas"]
        totals["images"] += info["images"]
        totals["requests_outside"] += len(outside)
        if errors:
            problems.append(f"{rel}: page errors {errors[:3]}")
        if outside:
            problems.append(f"{rel}: requests outside 127.0.0.1 {outside[:3]}")
        if info["merrors"]:
            problems.append(f"{rel}: {info['merrors']} MathJax error nodes")
        if info["mathNodes"] and not info["formulas"]:
            problems.append(f"{rel}: {info['mathNodes']} formulas but none typeset")
        if info["rawTex"]:
            problems.append(f"{rel}: raw TeX left in the text")
        if info["broken"]:
            problems.append(f"{rel}: images not loaded {info['broken'][:3]}")
    print(f"\nbrowser totals: {totals}")
    (SCREENSHOTS / "totals.json").write_text(json.dumps(totals, indent=1))
    assert totals["formulas"] > 50, f"suspiciously few typeset formulas: {totals}"
    assert not problems, "\n".join(problems)


def test_chapter_pages_offer_their_notebook(site, server, browser):
    for nb in chapter_notebooks():
        page, context, errors, _ = _visit(browser, urljoin(server, f"{nb}.html"))
        try:
            hrefs = page.eval_on_selector_all("a[href$='.ipynb']", "els => els.map(e => e.href)")
            assert hrefs, f"{nb}: no .ipynb download link"
            response = context.request.get(hrefs[0])
            assert response.ok, f"{nb}: {hrefs[0]} gives HTTP {response.status}"
            notebook = json.loads(response.body())
            code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
            assert code and sum(1 for c in code if c.get("outputs")) >= len(code) // 2, \
                f"{nb}: the downloaded notebook lacks outputs"
            n_cells = page.locator("div.cell").count()
            n_outputs = page.locator("div.cell_output").count()
            assert n_cells >= 5 and n_outputs >= 5, f"{nb}: {n_cells} code cells, {n_outputs} outputs"
        finally:
            context.close()


def test_search_finds_ridge(site, server, browser):
    page, context, errors, _ = _visit(browser, urljoin(server, "search.html?q=ridge"))
    try:
        page.wait_for_selector("#search-results li", timeout=PAGE_TIMEOUT_MS)
        hits = page.locator("#search-results li").count()
        assert hits >= 1, "the search page found nothing for 'ridge'"
        assert not errors, errors
    finally:
        context.close()


def test_no_sideways_scrolling_on_a_phone(site, server, browser):
    wide = []
    for rel in _pages(site):
        page, context, _, _ = _visit(browser, urljoin(server, rel), width=390, height=844)
        try:
            _wait_for_math(page)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 1:
                wide.append(f"{rel}: {overflow}px wider than the 390px screen")
                page.screenshot(path=str(SCREENSHOTS / ("phone_" + rel.replace("/", "_") + ".png")))
        finally:
            context.close()
    assert not wide, "\n".join(wide)


# --- the in-browser edition (JupyterLite + Pyodide) ------------------------------------------------

#: Chapters the browser test runs from top to bottom in the in-browser edition (two of the quicker
#: ones under Pyodide; every chapter runs there by hand with `make check-lite`).
def _lite_run() -> list[str]:
    chosen = os.environ.get("MLOPT_LITE_CHAPTERS", "book/01_loss_to_objective,book/02_gradients")
    if chosen != "all":
        return chosen.split(",")
    return _lite_module().browser_chapters(ROOT, chapter_notebooks())
LITE_TIMEOUT_S = 900
LITE_TIMINGS = ROOT / "_build" / "screenshots" / "lite_timings.json"


def _lite_module():
    return load_module(ROOT / "book" / "_ext" / "lite_edition.py")


def _lite_or_fail(site) -> Path:
    """The built edition; when the build left it out, fail with the build's own reason, unless
    MLOPT_LITE=0 asked for a site without it (then skip, saying so)."""
    html, log = site
    lite = html / "lite"
    if os.environ.get("MLOPT_LITE", "1") == "0":
        pytest.skip("MLOPT_LITE=0: the site was built without its in-browser edition on purpose")
    if not (lite / "jupyter-lite.json").is_file():
        reason = [line for line in log.splitlines() if "in-browser edition" in line]
        pytest.fail("the in-browser edition is missing from the site: "
                    + (reason[0] if reason else "the build log does not say why"))
    return lite


def test_the_in_browser_edition_is_built_and_self_contained(site):
    lite = _lite_or_fail(site)
    le = _lite_module()
    config = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./pyodide/pyodide.js" and kernel["disablePyPIFallback"] is True
    lock = json.loads((lite / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == le.PYODIDE_VERSION
    for needed in ("numpy", "sympy", "matplotlib", "scipy", "scikit-learn", "mlopt"):
        assert needed in lock["packages"], f"the site's Pyodide lacks {needed}"
    for entry in lock["packages"].values():   # every file there, with the hash the lock gives
        le.verify(lite / "pyodide" / entry["file_name"], entry["sha256"])
    for nb in le.browser_chapters(ROOT, chapter_notebooks()):
        staged = json.loads((lite / "files" / f"{Path(nb).name}.ipynb").read_text())
        assert staged["metadata"]["kernelspec"]["name"] == "python"
        assert "myst_nb" not in json.dumps(staged), f"{nb}: the staged notebook still imports myst_nb"
    wheels = json.loads((lite / "pypi" / "all.json").read_text())
    assert "comm" in wheels, "the kernel installs comm at start: it must be on the site's own index"


def test_chapter_pages_link_the_in_browser_edition(site):
    lite = _lite_or_fail(site)
    html, _ = site
    le = _lite_module()
    for nb in chapter_notebooks():
        if not Path(nb).name[:2].isdigit():
            continue
        page = (html / f"{nb}.html").read_text(encoding="utf-8")
        if nb in le.NOT_IN_BROWSER:
            assert "mlopt-lite-link" not in page and "a browser" in page, nb
            continue
        target = f'href="../lite/notebooks/index.html?path={Path(nb).name}.ipynb"'
        assert target in page and le.LINK_TEXT in page, f"{nb}: no '{le.LINK_TEXT}' link"
        assert (lite / "files" / f"{Path(nb).name}.ipynb").is_file()


def _sanitizers():
    import configparser
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "book" / "sanitize.cfg")
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def _printed(outputs: list[dict], sanitizers) -> str:
    """What a code cell printed: stdout, results' text/plain, and error lines as `Name: message`."""
    parts = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        elif kind == "execute_result":
            text = out.get("data", {}).get("text/plain", "")
            parts.append(("".join(text) if isinstance(text, list) else text) + "\n")
        elif kind == "error":
            parts.append(f"{out['ename']}: {out['evalue']}\n")
    text = "".join(parts)
    for regex, replacement in sanitizers:
        text = regex.sub(replacement, text)
    return text


_LITE_STATE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || !w.content) return null;
  const code = w.content.widgets.filter(c => c.model.type === 'code');
  return {status: kernel.status, counts: code.map(c => c.model.executionCount),
          outputs: code.map(c => c.model.outputs.length)};
}"""


@pytest.mark.parametrize("chapter", _lite_run())
def test_a_chapter_runs_in_the_browser(site, server, browser, chapter):
    """Open the chapter page, follow its "Run in your browser" link, run every cell in Pyodide, and
    compare what the cells print with the outputs stored in the chapter."""
    _lite_or_fail(site)

    outside: list[str] = []
    errors: list[str] = []
    timings = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:

        def route(r):
            if urlparse(r.request.url).hostname != "127.0.0.1":
                outside.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        context.route("**/*", route)
        context.on("request", lambda r: outside.append(r.url) if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
                   and urlparse(r.url).hostname != "127.0.0.1" and r.url not in outside else None)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(urljoin(server, f"{chapter}.html"), wait_until="load")
        link = page.locator("a.mlopt-lite-link")
        assert link.count() == 1, f"{chapter}: no 'Run in your browser' link"
        start = time.monotonic()
        link.click()
        page.wait_for_function(f"() => {{ const s = ({_LITE_STATE})(); return s && s.status === 'idle'; }}",
                               timeout=LITE_TIMEOUT_S * 1000)
        timings["kernel_ready_s"] = round(time.monotonic() - start, 1)
        # not awaited (the command's promise settles only when every cell has run)
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        first, last, since = None, None, time.monotonic()
        deadline = time.monotonic() + LITE_TIMEOUT_S
        while True:
            page.wait_for_timeout(250)
            state = page.evaluate(_LITE_STATE)
            if os.environ.get("MLOPT_LITE_TRACE"):
                print(round(time.monotonic() - start, 1), state["status"], state["counts"])
            if first is None and any(state["outputs"]):
                first = timings["first_output_s"] = round(time.monotonic() - start, 1)
            if state["status"] == "idle" and all(c is not None for c in state["counts"]):
                break
            if state["counts"] != last:
                last, since = state["counts"], time.monotonic()
            elif state["status"] == "idle" and time.monotonic() - since > 5:
                break   # Run All stopped at an error: the comparison below names the cell
            assert time.monotonic() < deadline, f"{chapter}: not done after {LITE_TIMEOUT_S} s: {state}"
        timings["all_cells_s"] = round(time.monotonic() - start, 1)
        cells = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets"
                              ".filter(c => c.model.type === 'code').map(c => c.model.toJSON())")
        page.screenshot(path=str(SCREENSHOTS / f"lite_{Path(chapter).name}.png"))
    finally:
        context.close()
    stored = [c for c in json.loads((ROOT / f"{chapter}.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    assert len(cells) == len(stored), f"{chapter}: {len(cells)} code cells in the browser, {len(stored)} stored"
    sanitizers = _sanitizers()
    problems = []
    for i, (ran, kept) in enumerate(zip(cells, stored)):
        if ran.get("execution_count") is None:
            problems.append(f"cell {i}: not run")
            continue
        errors_out = [o for o in ran["outputs"] if o["output_type"] == "error"]
        if errors_out:
            problems.append(f"cell {i}: {errors_out[0]['ename']}: {errors_out[0]['evalue'][:300]}")
            continue
        if "nbval-ignore-output" in kept.get("metadata", {}).get("tags", []):
            continue
        want, got = _printed(kept["outputs"], sanitizers), _printed(ran["outputs"], sanitizers)
        if want != got:
            problems.append(f"cell {i} printed\n{got[:1500]}\nstored\n{want[:1500]}")
    timings["code_cells"] = len(cells)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    recorded = json.loads(LITE_TIMINGS.read_text()) if LITE_TIMINGS.is_file() else {}
    recorded[chapter] = {**timings, "requests_outside": len(outside)}
    LITE_TIMINGS.write_text(json.dumps(recorded, indent=1))
    print(f"\nin-browser run of {chapter}: {recorded[chapter]}")
    assert not outside, f"{chapter}: requests to other hosts: {outside[:5]}"
    assert not errors, f"{chapter}: page errors {errors[:3]}"
    assert not problems, f"{chapter} in the browser:\n" + "\n".join(problems[:10])
