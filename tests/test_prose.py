"""The chapters' prose quotes computed numbers through myst-nb's glue, never typed by hand.

- every ``{glue:...}`key``` in a chapter's text has a glued value stored in one of its code cells
  (and every glued value is used), so a build cannot show a stale or missing number;
- running prose (outside math, code, roles and links) contains no digits except references such as
  "Chapter 3", "Section 4.4" or a course number, definitions ("mean 0", "label 1"), and the few
  exact phrases a chapter lists, each with the reason it is not a result, in its notebook
  metadata ``mlopt.typed_numbers`` (``{"phrase": "reason"}``). Numbers inside formulas are not
  linted: the chapter's asserts check them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))

GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")
GLUE_DIRECTIVE = re.compile(r"```\{glue(?::\w+)?\}\s*([\w.-]+)")
GLUE_MIME = "application/papermill.record/"

#: What running prose may contain with digits: references, not results.
REFERENCE = re.compile(
    r"\b(?:Chapters?|Sections?|Part|Exercise|Figure|Table|Algorithm|Theorem|Lemma|Eq\.)\s+\d+(?:\.\d+)*"
    r"(?:\s*(?:,|and|or|–|-)\s*\d+(?:\.\d+)*)*"
    r"|\b(?:CS|EE|STAT|MATH)\s?\d+\w*|\bEE364a\b|\bCS\s?229\b|\bx86-64\b|\bfloat(?:32|64)\b|\bint64\b"
    r"|\b[Ll]\d\b|\bℓ[₁₂]\b|\bPython\s+3(?:\.\d+)?\b|\bSPEC\s+\d+\b|\b(?:19|20)\d\d\b"
    r"|\b\d+(?:st|nd|rd|th)\b|\b\d-D\b|\b\d+D\b|\b[A-Za-z]+_?\d+\b"
    r"|\(\d\)|\b\d+/[A-Za-zλμκηLn]\b|\bmean 0\b|\b(?:standard deviation|variance) 1\b|\blabels? [01]\b|\b[01] for\b")

_DISPLAY = re.compile(r"\$\$.*?\$\$(?:\s*\([\w:-]+\))?|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S)
_MATH = re.compile(r"\$[^$]+?\$", re.S)
_LIST_ITEM = re.compile(r"^\s*\d+\.\s", re.M)
_FENCE = re.compile(r"^(```|~~~|:::).*?^\1", re.S | re.M)
_CODE = re.compile(r"``[^`]*``|`[^`]*`")
_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|<[^>]+>")
_LABEL = re.compile(r"^\([\w:-]+\)=\s*$", re.M)
_HTML = re.compile(r"<[^>]+>")


def prose_of(markdown: str) -> str:
    """The running text of a markdown cell: math, code, roles, links and labels removed."""
    text = _FENCE.sub(" ", markdown)
    text = _DISPLAY.sub(" ", text)
    text = _MATH.sub(" ", text)
    text = _LIST_ITEM.sub(" ", text)
    text = _ROLE.sub(" ", text)
    text = _CODE.sub(" ", text)
    text = _LINK_TARGET.sub(" ", text)
    text = _LABEL.sub(" ", text)
    text = _HTML.sub(" ", text)
    return text


def typed_numbers(markdown: str, allowed=()) -> list[str]:
    """Snippets of running prose that contain a digit that is not a reference or an allowed fact."""
    text = prose_of(markdown)
    for phrase in allowed:
        text = text.replace(phrase, " ")
    text = REFERENCE.sub(" ", text)
    return [text[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
            for m in re.finditer(r"\d[\d.,]*(?:[eE][-+]?\d+)?", text)]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def glued_keys(nb: dict) -> set[str]:
    keys = set()
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if any(k.startswith(GLUE_MIME) for k in out.get("data", {})):
                keys.add(out.get("metadata", {}).get("scrapbook", {}).get("name"))
    return keys


def referenced_keys(nb: dict) -> set[str]:
    keys = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            src = "".join(cell["source"])
            keys |= {m.split("::")[-1].rsplit(":", 1)[0] for m in GLUE_ROLE.findall(src)}
            keys |= set(GLUE_DIRECTIVE.findall(src))
    return keys


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_glued_numbers_resolve(chapter):
    nb = _load(chapter)
    glued, used = glued_keys(nb), referenced_keys(nb)
    assert not used - glued, f"{chapter.name}: the text pastes values no cell glues: {sorted(used - glued)}"
    assert not glued - used, f"{chapter.name}: glued values the text never uses: {sorted(glued - used)}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_number_in_the_prose_is_typed(chapter):
    nb = _load(chapter)
    allowed = list(nb["metadata"].get("mlopt", {}).get("typed_numbers", {}))
    found = [(i, s) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"
             for s in typed_numbers("".join(c["source"]), allowed)]
    assert not found, (f"{chapter.name}: numbers typed in the prose (glue them from the computation, "
                       "or list the phrase with its reason in the notebook metadata mlopt.typed_numbers):\n"
                       + "\n".join(f"  cell {i}: ...{s}..." for i, s in found[:40]))


def test_the_lint_sees_typed_numbers_and_spares_the_rest():
    md = ("SGD reaches a gap of 1.4e-6 after 46 updates (Chapter 5, Section 4.4), "
          "$J(\\theta) = 0.5$, `lr=0.1`, {glue:text}`gap` and [link](page-2.md), in 2009 {cite}`x2009`.")
    found = typed_numbers(md)
    assert [s.strip() for s in found] and len(found) == 2, found
    assert typed_numbers("Newton needs {glue:text}`ch_it` steps; see Chapter 3.") == []
    assert typed_numbers("only 3 of them", allowed=["3 of them"]) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_pipe_inside_math_in_a_table(chapter):
    # In a markdown table a | inside $...$ ends the cell and leaves raw TeX on the page: write
    # \lvert x \rvert and \lVert x \rVert there.
    bad = [(i, m.group(0)) for i, c in enumerate(_load(chapter)["cells"]) if c["cell_type"] == "markdown"
           for line in "".join(c["source"]).split("\n") if line.startswith("|")
           for m in re.finditer(r"\$[^$]*\$", line) if "|" in m.group(0)]
    assert not bad, f"{chapter.name}: | inside math in a table row: {bad}"
