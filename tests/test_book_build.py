"""The book builds: Jupyter Book executes every chapter and Sphinx reports no warning.

The build goes to a temporary folder (``--path-output``), so it does not disturb ``_build``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
    return files


def chapter_notebooks() -> list[str]:
    return [f for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    cmd = [str(JUPYTER_BOOK), "build", "--all", str(ROOT), "-W", "-n", "--keep-going",
           "--path-output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=1200)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"jupyter-book build failed (exit {proc.returncode}):\n{log[-6000:]}"
    return out / "_build" / "html", log


@pytest.mark.slow
def test_build_has_no_warnings(built_site):
    _, log = built_site
    warnings = [line for line in log.splitlines() if re.search(r": (WARNING|ERROR|CRITICAL):", line)]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings[:30])


@pytest.mark.slow
def test_every_toc_page_is_built(built_site):
    html, _ = built_site
    missing = [f for f in toc_files() if not (html / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"
    assert (html / "index.html").is_file()


@pytest.mark.slow
def test_chapters_have_executed_outputs_and_figures(built_site):
    html, _ = built_site
    notebooks = chapter_notebooks()
    assert notebooks, "the table of contents lists no notebook chapters"
    for nb in notebooks:
        page = (html / f"{nb}.html").read_text(encoding="utf-8")
        n_outputs = page.count("cell_output")
        n_images = len(re.findall(r"<img [^>]*src=\"[^\"]+\.png\"", page))
        assert n_outputs >= 5, f"{nb}: only {n_outputs} code-cell outputs in the page"
        assert n_images >= 2, f"{nb}: only {n_images} figures in the page"
        assert "Traceback (most recent call last)" not in page or "raises-exception" in page, \
            f"{nb}: an unexpected traceback is shown"
        # every numbered equation reference and citation resolved (no '???' left by Sphinx)
        assert "???" not in page, f"{nb}: an unresolved reference"
