"""The book's documents in the order of ``_toc.yml``: shared by the site and PDF tests."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files() -> list[str]:
    """Every document of the book (the root, then each part's chapters), without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def chapter_notebooks() -> list[str]:
    """The documents that are notebooks (the chapters)."""
    return [f for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]
