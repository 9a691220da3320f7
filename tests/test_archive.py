"""The downloadable archive ``mlopt-book.zip``: what it holds, and that it installs as its README says.

The site build writes it (``book/_ext/offline_site.py``); here it is written to a temporary folder,
unpacked, and built as a wheel exactly from what a reader downloads.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from bookfiles import load_module

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def offline_site():
    return load_module(ROOT / "book" / "_ext" / "offline_site.py")


@pytest.fixture(scope="module")
def unpacked(offline_site, tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive")
    archive = folder / offline_site.ARCHIVE
    offline_site.write_archive(ROOT, archive)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    return folder / "mlopt-book"


def test_the_archive_has_its_own_readme(unpacked):
    readme = (unpacked / "README.md").read_text(encoding="utf-8")
    assert readme != (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install './mlopt-book[notebooks]'" in readme
    assert "jupyter lab mlopt-book/book" in readme
    assert "make " not in readme, "the archive has no Makefile: its README must not speak of make targets"


def test_the_readme_names_only_what_the_archive_holds(unpacked):
    pyproject = tomllib.loads((unpacked / "pyproject.toml").read_text())
    assert "notebooks" in pyproject["project"]["optional-dependencies"]
    assert pyproject["project"]["readme"] == "README.md"
    chapters = sorted(p.name for p in (unpacked / "book").glob("[0-9][0-9]_*.ipynb"))
    assert chapters == sorted(p.name for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    for needed in ("book/matplotlibrc", "constraints.txt", "mlopt/__init__.py", "LICENSE"):
        assert (unpacked / needed).is_file(), f"{needed} missing from the archive"


def test_the_archive_builds_as_a_package(unpacked, tmp_path):
    """What `pip install ./mlopt-book` does first: build the wheel from the unpacked archive."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-q", "-w", str(tmp_path), str(unpacked)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheel = next(tmp_path.glob("mlopt-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "mlopt/__init__.py" in names
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "pip install './mlopt-book[notebooks]'" in metadata, "the wheel's description is the archive README"
