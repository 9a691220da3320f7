"""The book's files as the tests need them: the documents of ``_toc.yml`` in order, and the
project's scripts and Sphinx extensions loaded as modules (they are not in a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

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


def load_module(path: Path) -> ModuleType:
    """The Python file at ``path`` (relative to the repository or absolute) as a module, named after it."""
    path = ROOT / path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
