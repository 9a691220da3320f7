"""The PDF of the whole book (``make pdf``): one build per test session, then checks of what it holds.

The build is ``scripts/build_pdf.py`` (what ``make pdf`` runs) into a temporary folder, so
``_build`` is left alone. It needs TeX Live from Debian: as root with apt-get the script installs it
(``scripts/ensure_texlive.sh``); otherwise the tests fail with the one line to run.

- every page renders (``pdftoppm``, low resolution) and none is blank; the page count is in a range
  derived from the number of chapters and documents;
- every chapter title of ``_toc.yml``'s notebooks, the bibliography's heading and its entries are
  in the text (``pdftotext``), and no reference is left unresolved (``??``);
- every figure the chapters' stored outputs hold (PNG) is an image in the PDF (``pdfimages``),
  including the still of chapter 3's animation; no output shows up as a Python repr instead;
- the LaTeX log has no missing character, missing file, undefined reference, and no page whose
  content runs into its footer.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import bookfiles
import pytest
from bookfiles import load_module, toc_files

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "scripts" / "build_pdf.py"
INSTALL_LINE = re.compile(r"run: (sudo apt-get install .*)")
#: The shortest chapter (the benchmarks page) has 9 pages, the longest (chapter 5) 34.
MIN_PAGES_PER_CHAPTER = 8
#: Far more than any document of the book needs: a layout that runs away (a figure or an output per
#: page, blank pages) exceeds it.
MAX_PAGES_PER_DOCUMENT = 50

pytestmark = pytest.mark.slow


def chapter_notebooks() -> list[Path]:
    return [ROOT / f"{f}.ipynb" for f in bookfiles.chapter_notebooks()]


def first_heading(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{notebook.name} has no '# ' heading")


def stored_figures(notebook: Path) -> int:
    """The PNG outputs a chapter shows (cells tagged to remove their output show none)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    count = 0
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & {"remove-output", "remove-cell"}:
            continue
        count += sum(1 for o in cell.get("outputs", []) if "image/png" in o.get("data", {}))
    return count


def squeeze(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: what survives line breaks, hyphenation,
    small capitals and ligatures in pdftotext's output."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text.lower() if c.isalnum() and not unicodedata.combining(c))


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


# --- the build -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    proc = subprocess.run([sys.executable, str(BUILD), "--output-dir", str(out)], capture_output=True,
                          text=True, cwd=ROOT, timeout=1800)
    log = proc.stdout + proc.stderr
    missing = INSTALL_LINE.search(log)
    if missing:
        pytest.fail(f"the PDF needs TeX Live, which is missing here: run `{missing.group(1)}` "
                    "(as root, `make pdf` installs it itself)")
    assert proc.returncode == 0, f"scripts/build_pdf.py failed (exit {proc.returncode}):\n{log[-8000:]}"
    return out


@pytest.fixture(scope="module")
def pages(pdf):
    info = run(["pdfinfo", str(pdf / "latex" / "book.pdf")]).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture(scope="module")
def text(pdf):
    """pdftotext's text of the PDF, one string per page."""
    return run(["pdftotext", "-enc", "UTF-8", str(pdf / "latex" / "book.pdf"), "-"]).stdout.split("\f")


def test_the_pdf_is_built_and_copied_to_the_site(pdf):
    book = pdf / "latex" / "book.pdf"
    site = pdf / "html" / "mlopt-book.pdf"
    assert book.read_bytes()[:5] == b"%PDF-", f"{book} is not a PDF"
    assert site.is_file() and site.read_bytes() == book.read_bytes(), \
        "_build/html/mlopt-book.pdf (linked from the preface) must be a copy of _build/latex/book.pdf"


def test_page_count_fits_the_book(pages):
    n_chapters = len(chapter_notebooks())
    low, high = MIN_PAGES_PER_CHAPTER * n_chapters, MAX_PAGES_PER_DOCUMENT * len(toc_files())
    assert low <= pages <= high, f"{pages} pages; {n_chapters} chapters and {len(toc_files())} documents " \
                                 f"should make between {low} and {high}"


def test_every_page_renders_and_none_is_blank(pdf, pages, tmp_path):
    from matplotlib.image import imread

    run(["pdftoppm", "-r", "12", "-gray", "-png", str(pdf / "latex" / "book.pdf"), str(tmp_path / "p")])
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == pages, f"pdftoppm rendered {len(images)} of {pages} pages"
    blank = [i + 1 for i, path in enumerate(images) if imread(path).min() > 0.9]
    assert not blank, f"blank pages: {blank}"


# --- the text --------------------------------------------------------------------------------------

def test_every_chapter_title_and_the_bibliography_heading(text):
    whole = squeeze("".join(text))
    titles = [first_heading(nb) for nb in chapter_notebooks()]
    titles.append(next(line[2:] for line in (ROOT / "book" / "bibliography.md").read_text().splitlines()
                       if line.startswith("# ")))
    missing = [t for t in titles if squeeze(re.sub(r"[`*$]", "", t)) not in whole]
    assert not missing, f"headings missing from the PDF: {missing}"


def test_the_bibliography_lists_every_entry(pdf, text):
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    n_entries = len(re.findall(r"^@\w+\{", bib, re.M))
    tex = (pdf / "latex" / "book.tex").read_text(encoding="utf-8")
    assert tex.count(r"\bibitem") == n_entries, \
        f"{tex.count(chr(92) + 'bibitem')} bibliography items in the LaTeX, {n_entries} entries in references.bib"
    whole = squeeze("".join(text))
    titles = re.findall(r"^\s*title\s*=\s*\{(.+)\},?\s*$", bib, re.M)
    assert len(titles) == n_entries, f"{len(titles)} one-line titles for {n_entries} entries in references.bib"
    # the bibliography prints a title's TeX as it is ("$O(1/k^2)$"), on the site and in the PDF
    tex_titles = [t for t in titles if "$" in t or "\\" in t]
    assert not tex_titles, f"titles with TeX in references.bib (write them in plain Unicode): {tex_titles}"
    missing = [t for t in titles if squeeze(t.replace("{", "").replace("}", "")) not in whole]
    assert not missing, f"bibliography entries missing from the PDF: {missing}"


def test_no_unresolved_reference(text):
    pages = [i + 1 for i, page in enumerate(text) if "??" in page]
    assert not pages, f"'??' (an unresolved reference) on pages {pages}"


def test_no_output_shows_as_a_python_repr(text):
    # an output with no form LaTeX can show (HTML only, a widget) would print as its text/plain repr
    reprs = sorted({m for page in text for m in re.findall(r"<[\w.]+ object(?: at 0x[0-9a-f]+)?>", page)})
    assert not reprs, f"outputs printed as Python reprs in the PDF: {reprs}"


# --- figures and the LaTeX log --------------------------------------------------------------------

def test_every_stored_figure_is_in_the_pdf(pdf):
    expected = {nb.stem: stored_figures(nb) for nb in chapter_notebooks()}
    assert expected["03_gradient_descent"] >= 1 and sum(expected.values()) >= 2 * len(expected)
    listing = run(["pdfimages", "-list", str(pdf / "latex" / "book.pdf")]).stdout.splitlines()[2:]
    images = [row for row in listing if row.split()[2] == "image"]  # not the PNGs' alpha masks
    assert len(images) == sum(expected.values()), \
        f"{len(images)} images in the PDF, {sum(expected.values())} PNG outputs in the chapters: {expected}"


def test_the_latex_log_is_clean(pdf):
    log = (pdf / "latex" / "book.log").read_text(encoding="utf-8", errors="replace")
    flat = log.replace("\n", "")  # TeX wraps the log's lines at 79 characters
    problems = load_module(BUILD).log_problems(log)  # the check the build applies
    assert not problems, "the LaTeX log reports:\n" + "\n".join(problems[:20])
    # content that runs into the footer: a page taller than the page (a table that cannot break)
    spills = [float(x) for x in re.findall(r"Overfull \\vbox \(([\d.]+)pt too high\) has occurred while "
                                           r"\\output is active", flat)]
    assert not [s for s in spills if s > 5], f"pages whose content runs into the footer: {spills}"
