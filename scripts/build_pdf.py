"""Build the whole book as one PDF: ``_build/latex/book.pdf``, copied to ``_build/html/mlopt-book.pdf``.

Usage: ``python scripts/build_pdf.py [--output-dir OUT]`` (``make pdf``; OUT defaults to the
repository's ``_build``; tests/test_pdf.py builds into a temporary folder).

- TeX Live comes from Debian: ``scripts/ensure_texlive.sh`` installs it when it is missing and we
  are root with apt-get, and otherwise prints the one line to run (and this script fails).
- The chapters are NOT executed: their stored outputs (checked by nbval in ``make test``) and the
  values they glue are used as they are. This is the book's own configuration (``_config.yml``,
  ``_toc.yml``) with the overrides in ``OVERRIDES`` below, applied by Jupyter Book's own build
  function: LaTeX builder, execution off, fonts and layout. Its Sphinx environment goes to
  ``OUT/.doctrees-latex``, apart from the HTML build's ``.doctrees``.
- This module is also a Sphinx extension (``setup``), loaded by that build: it gives the LaTeX the
  structure of a book (preface, parts, numbered chapters, the bibliography in its chapter) and lets
  long tables break across pages.
- LuaLaTeX (a Unicode engine: the code, outputs and docstrings hold θ, λ, ‖, ∇, ...) with TeX Gyre
  Termes and Heros for the text and DejaVu Sans Mono for code; a character a font lacks comes from
  a DejaVu font. ``lualatex()`` runs it until the cross-references are settled (three passes).
- The build fails on any Sphinx warning (as ``make book`` does), on a LaTeX error, and when the
  LaTeX log reports a missing character, an undefined reference or citation, or a missing file.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENSURE_TEXLIVE = ROOT / "scripts" / "ensure_texlive.sh"
TARGET = "book"              # latex_documents: targetname book.tex (_config.yml)
SITE_NAME = "mlopt-book.pdf"  # next to mlopt-book.zip on the site; linked from book/intro.md

# Fonts: TeX Gyre Termes/Heros (Times/Helvetica, as Sphinx's pdfLaTeX default) for the text, DejaVu
# Sans Mono for code (it has Greek and the math symbols the outputs print). A character that the
# current font lacks (superscripts, ∇, ↦ in the text fonts; ℓ in DejaVu Sans Mono) is taken from
# DejaVu Serif, Sans or Sans Mono instead: FALLBACK_CHARS (written after Sphinx, from the characters
# the book uses) makes each such character a macro that checks the font. luaotfload's own fallback
# fonts would do this too, but only in its "node" mode; the fonts here use its "base" mode
# (Renderer=Basic), which halves the time of a LuaLaTeX pass on this book.
FONTPKG = r"""
\setmainfont{TeX Gyre Termes}[Renderer=Basic]
\setsansfont{TeX Gyre Heros}[Renderer=Basic]
\setmonofont{DejaVu Sans Mono}[Renderer=Basic, Scale=MatchLowercase, HyphenChar=None]
\newfontfamily\mloptfallbackserif{DejaVu Serif}[Renderer=Basic]
\newfontfamily\mloptfallbacksans{DejaVu Sans}[Renderer=Basic]
\newfontfamily\mloptfallbackmono{DejaVu Sans Mono}[Renderer=Basic, Scale=MatchLowercase]
\makeatletter
% The fallback glyph goes in a box of its own: a font change inside a wrapped line of code, in a
% colored comment, made the comment's color leak onto later pages.
\newcommand\mloptchar[1]{% #1: a character code; the glyph from the current font or a DejaVu one
  \iffontchar\font#1 \char#1 \else
    \leavevmode\hbox{\ifx\f@family\ttdefault\mloptfallbackmono\else\ifx\f@family\sfdefault
     \mloptfallbacksans\else\mloptfallbackserif\fi\fi
     \iffontchar\font#1 \else\mloptfallbacksans\fi\char#1}\fi}
\makeatother
\usepackage{newunicodechar}
\InputIfFileExists{mloptchars.tex}{}{}
"""
FALLBACK_CHARS = "mloptchars.tex"

PREAMBLE = r"""
% The parts' chapters are numbered or not (see restructure below): \mloptsecnumdepth is the class's
% own depth of numbered headings.
\makeatletter
\edef\mloptsecnumdepth{\the\c@secnumdepth}
% The bibliography is the list in the chapter "Bibliography", not a chapter of its own.
\renewenvironment{sphinxthebibliography}[1]{\def\chapter##1##2{}\begin{thebibliography}{#1}}{\end{thebibliography}}
\makeatother
% Long lines in code and outputs wrap instead of running into the margin. Inline code breaks only at
% spaces: Sphinx's extra break points after . , ; ? ! / are discretionaries that, with fonts in
% luaotfload's base mode, make LuaLaTeX fail ("glue in discretionary") or take minutes on a table.
\sphinxsetup{verbatimwrapslines=true, inlineliteralwraps=false}
% Wide images scale down to the text width.
\setkeys{Gin}{width=\linewidth,height=0.42\textheight,keepaspectratio}
% Table cells ragged right (narrow justified columns spread their words apart): longtable columns
% (\X, as Sphinx defines it, plus \raggedright) and tabulary ones (T).
\makeatletter
\newcolumntype{\X}[2]{>{\raggedright\arraybackslash}p{\dimexpr
      (\linewidth-\spx@arrayrulewidth)*#1/#2-\tw@\tabcolsep-\spx@arrayrulewidth\relax}}
\makeatother
\newcolumntype{T}{L}
"""

OVERRIDES = {
    # the stored outputs, not a new execution
    "nb_execution_mode": "off",
    # makeindex, not xindy (not in the Debian packages above); the index has ASCII entries
    "latex_use_xindy": False,
    "latex_elements": {
        "papersize": "a4paper",
        # a PDF read on screen: no blank pages to start chapters on the right
        "extraclassoptions": "openany,oneside",
        "pointsize": "10pt",
        "fontpkg": FONTPKG,
        "fvset": r"\fvset{fontsize=\footnotesize}",
        "preamble": PREAMBLE,
        "figure_align": "htbp",
        # the contents list parts, chapters and sections; the PDF's bookmarks go one level deeper
        "tocdepth": r"\setcounter{tocdepth}{1}",
        # "Contents", not the caption of the first group in _toc.yml, which Sphinx would use
        "tableofcontents": r"\renewcommand{\contentsname}{Contents}\sphinxtableofcontents",
    },
    "latex_show_urls": "no",
    "latex_show_pagerefs": False,
}

MAX_PASSES = 5
DRAFT_PASSES = 2

#: What makes the build fail in the LaTeX log (searched with the log's lines joined: TeX wraps them
#: at 79 characters).
LOG_PROBLEMS = re.compile(
    r"Missing character: There is no .{1,2} \(U\+[0-9A-F]+\) in font [^!]*!"
    r"|(?:Reference|Citation|Hyper reference) `[^']*' on page \d+ undefined"
    r"|There were undefined references|File `[^']*' not found"
)


def log_problems(log: str) -> list[str]:
    return [m.group(0) for m in LOG_PROBLEMS.finditer(log.replace("\n", ""))]


# --- the book's structure in LaTeX (a Sphinx extension: this module, loaded by the build) ---------

def _latex_escape(text: str) -> str:
    from sphinx.util.texescape import escape

    return escape(text)


def _inside(node, cls) -> bool:
    node = node.parent
    while node is not None:
        if isinstance(node, cls):
            return True
        node = node.parent
    return False


def restructure(document, site_map, root_doc: str) -> None:
    """Give the assembled book (the root document with every chapter inlined where the root's
    table of contents sits) the structure of a printed book:

    - the root document (``book/intro.md``) becomes an unnumbered chapter "Preface", its own
      sections the preface's sections;
    - each of its table-of-contents groups becomes a ``\\part`` titled with the group's caption,
      its documents chapters: numbered when the group is (``numbered: true`` in ``_toc.yml``, as
      on the site), unnumbered otherwise;
    - the bibliography list, which Sphinx gathers at the end of the book, goes into the chapter
      that holds the ``{bibliography}`` directive (``book/bibliography.md``).
    """
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.builders.latex.nodes import thebibliography

    top = next((n for n in document.children if isinstance(n, nodes.section)), None)
    if top is None or not any(document.findall(addnodes.start_of_file)):
        return
    groups = [n for n in top.findall(nodes.compound)
              if "toctree-wrapper" in n["classes"] and not _inside(n, addnodes.start_of_file)]
    toc_groups = {}
    for tree in site_map[root_doc].subtrees if site_map is not None else []:
        for name in tree.files():
            toc_groups[name] = tree
    for group in groups:
        group.parent.remove(group)
    title = top.children[0]
    preface = nodes.section("", nodes.title("", "Preface"), ids=["mlopt-preface"])
    preface.extend(top.children[1:])
    top.children = []
    top.extend([title, nodes.raw("", r"\setcounter{secnumdepth}{-1}", format="latex"), preface])
    for group in groups:
        first = next(group.findall(addnodes.start_of_file), None)
        tree = toc_groups.get(first["docname"]) if first is not None else None
        caption = (tree.caption if tree is not None else None) or ""
        depth = r"\mloptsecnumdepth" if tree is not None and tree.numbered else "-1"
        top.append(nodes.raw("", rf"\setcounter{{secnumdepth}}{{{depth}}}"
                                  + (rf"\part{{{_latex_escape(caption)}}}" if caption else ""), format="latex"))
        top.append(group)
    for bib in list(document.findall(thebibliography)):
        docname = next((c.get("docname") for c in bib.children if c.get("docname")), None)
        home = next((f for f in document.findall(addnodes.start_of_file) if f["docname"] == docname), None)
        section = next(home.findall(nodes.section), None) if home is not None else None
        if section is not None:
            bib.parent.remove(bib)
            section.append(bib)


#: A table that may not fit on one page is set as a longtable, which breaks across pages (Sphinx's
#: default, tabulary, cannot: the checklist of chapter 7 ran into the page's footer). "May not fit":
#: 4 columns or more (narrow columns make tall rows), or about LONG_TABLE_LINES lines of text or
#: more, estimated from the text of each cell and the width of its column (a page has 55).
LONG_TABLE_LINES = 30
LINE_CHARS = 95  # characters in a line of text across the page, about


def long_tables(document) -> int:
    """Set the tables that may not fit on a page as longtables, with column widths in proportion to
    the text of each column (at least half an equal share)."""
    import math

    from docutils import nodes

    changed = 0
    for table in document.findall(nodes.table):
        group = next(table.findall(nodes.tgroup), None)
        if group is None or "longtable" in table["classes"]:
            continue
        colspecs = [c for c in group.children if isinstance(c, nodes.colspec)]
        rows = [[entry.astext() for entry in row.children[:len(colspecs)]] for row in group.findall(nodes.row)]
        text = [sum(len(row[i]) for row in rows if i < len(row)) for i in range(len(colspecs))]
        floor = 0.5 * sum(text) / max(len(text), 1)
        widths = [max(t, floor) / sum(max(t, floor) for t in text) for t in text]
        lines = sum(max((math.ceil(len(cell) / (w * LINE_CHARS)) for cell, w in zip(row, widths)), default=1) + 0.5
                    for row in rows)
        if len(colspecs) < 4 and lines < LONG_TABLE_LINES:
            continue
        for colspec, width in zip(colspecs, widths):
            colspec["colwidth"] = max(1, round(100 * width))
        table["classes"] += ["longtable", "colwidths-given"]
        changed += 1
    return changed


def _post_transform():
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class BookStructure(SphinxPostTransform):
        """``restructure`` and ``long_tables`` on the LaTeX builder's assembled book (after Sphinx
        has gathered the bibliography, priority 750)."""

        default_priority = 800
        formats = ("latex",)

        def run(self, **kwargs):
            if self.env.docname == self.config.root_doc:
                restructure(self.document, getattr(self.config, "external_site_map", None), self.config.root_doc)
                long_tables(self.document)

    return BookStructure


def setup(app):
    app.add_post_transform(_post_transform())
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- the build ------------------------------------------------------------------------------------

def declare_fallback_characters(latex_dir: Path) -> int:
    """Write FALLBACK_CHARS: each character of the book outside ASCII, Latin letters (U+00A0 to
    U+024F) and general punctuation (U+2000 to U+206F), which every font here has, becomes
    ``\\mloptchar`` (see FONTPKG)."""
    text = (latex_dir / f"{TARGET}.tex").read_text(encoding="utf-8")
    chars = sorted({c for c in text if ord(c) > 0x7F and not (0xA0 <= ord(c) <= 0x24F or 0x2000 <= ord(c) <= 0x206F)})
    lines = [f'\\newunicodechar{{{c}}}{{\\mloptchar{{"{ord(c):04X}}}}}' for c in chars]
    (latex_dir / FALLBACK_CHARS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(chars)


def ensure_texlive() -> None:
    proc = subprocess.run(["bash", str(ENSURE_TEXLIVE)])
    if proc.returncode != 0:
        raise SystemExit("build_pdf: TeX Live is missing (see the line above)")


def sphinx_build(out: Path) -> None:
    """The LaTeX sources, by Jupyter Book's build function with the book's own configuration."""
    from jupyter_book.sphinx import build_sphinx

    from jupyter_book.config import get_final_config

    overrides = dict(OVERRIDES, external_toc_path=(ROOT / "_toc.yml").as_posix(), nitpicky=True,
                     latex_individualpages=False)
    # this module is also the Sphinx extension that gives the LaTeX its book structure
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    book_config, _ = get_final_config(user_yaml=ROOT / "_config.yml", sourcedir=ROOT,
                                      cli_config=dict(overrides))  # it pops keys from cli_config
    overrides["extensions"] = [*book_config["extensions"], Path(__file__).stem]
    status = build_sphinx(ROOT, out / "latex", doctreedir=out / ".doctrees-latex", noconfig=True,
                          path_config=str(ROOT / "_config.yml"), confoverrides=overrides,
                          builder="latex", warningiserror=True, keep_going=True, freshenv=True)
    if status != 0:
        raise SystemExit(f"build_pdf: the LaTeX build failed ({status!r}); see the warnings above")


#: An empty index, for the first pass: the index chapter is then in the contents from the start.
EMPTY_INDEX = "\\begin{sphinxtheindex}\n\\end{sphinxtheindex}\n"


def _state(latex_dir: Path) -> dict[str, bytes]:
    """What one LuaLaTeX pass writes for the next to read (labels, contents, bookmarks, index),
    less the total page count (which no page shows)."""
    state = {}
    for ext in ("aux", "toc", "out", "idx"):
        path = latex_dir / f"{TARGET}.{ext}"
        if path.exists():
            state[ext] = re.sub(rb"\\gdef ?\\@abspage@last\{\d+\}", b"", path.read_bytes())
    return state


def lualatex(latex_dir: Path) -> Path:
    """Run LuaLaTeX until a pass reads (from the previous one) what it writes: labels, contents,
    bookmarks, index entries. On this book that is three passes: the first one typesets "??" for
    every reference, so the second one breaks some pages differently, and the third one confirms.

    The first two passes run in draft mode (no PDF written, no image read: a few seconds less
    each), the last ones write the PDF. The first pass sees an empty index, so the index chapter is
    in the contents from the start. The front matter has its own page numbers (roman), so the
    contents do not move the chapters' pages. (latexmk would run one pass more, for the index
    line in the contents: a minute on this book.)
    """
    tex = f"{TARGET}.tex"
    log_path = latex_dir / f"{TARGET}.log"
    if "\\printindex" in (latex_dir / tex).read_text(encoding="utf-8"):
        (latex_dir / f"{TARGET}.ind").write_text(EMPTY_INDEX, encoding="utf-8")
    previous: dict[str, bytes] | None = None
    for n in range(1, MAX_PASSES + 1):
        draft = n <= DRAFT_PASSES
        cmd = ["lualatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
        proc = subprocess.run(cmd + (["-draftmode"] if draft else []) + [tex], cwd=latex_dir,
                              capture_output=True, text=True, errors="replace")
        if proc.returncode != 0:
            tail = "\n".join(proc.stdout.splitlines()[-30:])
            raise SystemExit(f"build_pdf: LuaLaTeX failed (pass {n}, exit {proc.returncode}); "
                             f"log: {log_path}\n{tail}")
        if (latex_dir / f"{TARGET}.idx").exists():
            subprocess.run(["makeindex", "-q", "-s", "python.ist", f"{TARGET}.idx"], cwd=latex_dir, check=True)
        state = _state(latex_dir)
        if not draft and state == previous:
            break
        previous = state
    else:
        raise SystemExit(f"build_pdf: labels still change after {MAX_PASSES} LuaLaTeX passes; see {log_path}")
    print(f"LuaLaTeX: {n} passes")
    log = log_path.read_text(encoding="utf-8", errors="replace")
    problems = log_problems(log)
    if problems:
        raise SystemExit(f"build_pdf: the LaTeX log {log_path} reports problems:\n" + "\n".join(problems[:30]))
    return latex_dir / f"{TARGET}.pdf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=ROOT / "_build",
                        help="the build folder (default: _build): OUT/latex/book.pdf, OUT/html/mlopt-book.pdf")
    args = parser.parse_args(argv)
    out = args.output_dir.resolve()
    start = time.monotonic()
    ensure_texlive()
    latex_dir = out / "latex"
    shutil.rmtree(latex_dir, ignore_errors=True)
    shutil.rmtree(out / ".doctrees-latex", ignore_errors=True)
    sphinx_build(out)
    t_sphinx = time.monotonic() - start
    declare_fallback_characters(latex_dir)
    pdf = lualatex(latex_dir)
    (out / "html").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, out / "html" / SITE_NAME)
    print(f"\nThe PDF is built ({time.monotonic() - start:.0f} s, of which Sphinx {t_sphinx:.0f} s): "
          f"{pdf}\n  copied to {out / 'html' / SITE_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
