"""The stored outputs of every chapter are exactly what `make notebooks` produces.

Each chapter is re-executed with the project's reproducible command into a temporary folder and
compared byte for byte (figures included) with the committed file. A failing chapter shows its
traceback here.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_chapters():
    assert len(CHAPTERS) >= 2, f"expected the chapters in book/, found {[p.name for p in CHAPTERS]}"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_stored_outputs_are_reproduced(chapter, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_notebooks.py"), str(chapter),
                           "--output-dir", str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert proc.returncode == 0, f"executing {chapter.name} failed:\n{(proc.stdout + proc.stderr)[-6000:]}"
    fresh = (tmp_path / chapter.name).read_text(encoding="utf-8")
    stored = chapter.read_text(encoding="utf-8")
    if fresh != stored:
        diff = "".join(list(difflib.unified_diff(stored.splitlines(True), fresh.splitlines(True),
                                                 "committed", "re-executed", n=1))[:80])
        pytest.fail(f"{chapter.name}: committed outputs differ from a fresh execution; run "
                    f"`make notebooks` and commit.\n{diff}")
