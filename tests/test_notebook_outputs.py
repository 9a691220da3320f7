"""The chapters' stored outputs: deterministic here, and reproduced on any machine.

Two properties, two tests per chapter:

- *determinism*: executing a chapter twice with ``make notebooks``' command on this machine gives
  byte-identical files (seeds, hashing, figure metadata and stream splitting are all fixed);
- *portability*: the committed chapter matches a fresh execution on this machine, with text equal
  after ``book/sanitize.cfg`` and figures compared as decoded images within a stated tolerance
  (:mod:`nbcompare`). The committed files may come from a machine whose CPU runs other OpenBLAS
  kernels; a chapter prints only the digits its computation determines, so this holds anywhere.

The last tests show that the comparison still catches a real change: a printed digit, a moved curve.
``make check-portability`` runs this file and nbval with OpenBLAS forced to another CPU's kernels.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import nbcompare

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.ipynb") if not p.name.startswith("."))


def test_there_are_chapters():
    assert len(CHAPTERS) >= 2, f"expected the chapters in book/, found {[p.name for p in CHAPTERS]}"


_executed: dict[tuple[str, int], Path] = {}


def execute(chapter: Path, tmp_root: Path, run: int) -> Path:
    """Execute ``chapter`` with the project's reproducible command (once per chapter and run)."""
    key = (chapter.name, run)
    if key not in _executed:
        out_dir = tmp_root / f"{chapter.stem}-run{run}"
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_notebooks.py"), str(chapter),
                               "--output-dir", str(out_dir)], capture_output=True, text=True, cwd=ROOT,
                              timeout=600)
        assert proc.returncode == 0, f"executing {chapter.name} failed:\n{(proc.stdout + proc.stderr)[-6000:]}"
        _executed[key] = out_dir / chapter.name
    return _executed[key]


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("executed")


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_committed_outputs_are_reproduced(chapter, tmp_root):
    fresh = json.loads(execute(chapter, tmp_root, 1).read_text(encoding="utf-8"))
    committed = json.loads(chapter.read_text(encoding="utf-8"))
    problems = nbcompare.compare_notebooks(committed, fresh)
    assert not problems, (f"{chapter.name}: the committed outputs differ from a fresh execution "
                          f"(run `make notebooks` if the change is intended):\n" + "\n".join(problems[:20]))


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_execution_is_deterministic(chapter, tmp_root):
    first = without_timings(execute(chapter, tmp_root, 1).read_bytes())
    second = without_timings(execute(chapter, tmp_root, 2).read_bytes())
    assert first == second, (f"{chapter.name}: two executions on this machine gave different files; "
                             "something in the chapter is not seeded or not fixed (time, hashing, order)")


def without_timings(raw: bytes) -> bytes:
    """The file's bytes, but with the outputs of cells tagged ``nbval-ignore-output`` (wall-clock
    measurements, e.g. chapter 13's times per gradient) emptied; every other byte is compared."""
    nb = json.loads(raw)
    timed = [c for c in nb["cells"] if nbcompare.TIMING_TAG in c.get("metadata", {}).get("tags", [])]
    if not timed:
        return raw
    for cell in timed:
        cell["outputs"] = []
    return json.dumps(nb, sort_keys=True).encode()


def test_only_tagged_timing_cells_escape_the_determinism_check():
    cell = {"cell_type": "code", "source": "t", "metadata": {"tags": [nbcompare.TIMING_TAG]},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "1.23 s"}]}
    plain = copy.deepcopy(cell)
    plain["metadata"] = {}
    nb = {"cells": [cell, plain]}
    other = copy.deepcopy(nb)
    other["cells"][0]["outputs"][0]["text"] = "4.56 s"
    assert without_timings(json.dumps(nb).encode()) == without_timings(json.dumps(other).encode())
    other["cells"][1]["outputs"][0]["text"] = "4.56 s"
    assert without_timings(json.dumps(nb).encode()) != without_timings(json.dumps(other).encode())


# --- the comparison itself catches real changes --------------------------------------------------

def _figure_png(shift: float = 0.0, jitter: float = 0.0) -> str:
    """A convergence-style figure as stored in a notebook (base64 PNG); ``shift`` moves the curve
    up by that fraction of the axis height, ``jitter`` perturbs the data at round-off scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    t = np.arange(200)
    curve = 0.9 ** (t / 10) * (1 + jitter * np.cos(t)) + shift
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(t, curve, linewidth=1.5)
    ax.set_ylim(0, 1.1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _display(png: str) -> dict:
    return {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure>"},
            "metadata": {}}


def test_round_off_in_a_figure_is_tolerated():
    same = nbcompare.compare_outputs([_display(_figure_png())], [_display(_figure_png(jitter=1e-9))], [])
    assert same == []


@pytest.mark.parametrize("shift", [0.03, 0.05])
def test_a_moved_curve_is_caught(shift):
    problems = nbcompare.compare_outputs([_display(_figure_png())], [_display(_figure_png(shift=shift))], [])
    assert problems and "figure" in problems[0], problems


def test_a_changed_digit_is_caught():
    chapter = CHAPTERS[0]
    committed = json.loads(chapter.read_text(encoding="utf-8"))
    changed = copy.deepcopy(committed)
    cell = next(c for c in changed["cells"] if c["cell_type"] == "code" and any(
        o.get("output_type") == "stream" and any(ch.isdigit() for ch in "".join(o["text"]))
        for o in c.get("outputs", [])))
    out = next(o for o in cell["outputs"] if o.get("output_type") == "stream")
    text = "".join(out["text"])
    i = next(k for k, ch in enumerate(text) if ch.isdigit())
    out["text"] = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
    assert nbcompare.compare_notebooks(committed, committed) == []
    problems = nbcompare.compare_notebooks(committed, changed)
    assert len(problems) == 1 and "differs" in problems[0], problems


def test_sanitized_text_is_tolerated_and_other_text_is_not():
    rules = nbcompare.load_sanitizers()
    a = [{"output_type": "stream", "name": "stdout", "text": "took 1.23 s at 0x7f00aa\n"}]
    b = [{"output_type": "stream", "name": "stdout", "text": "took 4.56 s at 0x7f00bb\n"}]
    c = [{"output_type": "stream", "name": "stdout", "text": "took 4.56 s at 0x7f00bb, J = 2\n"}]
    assert nbcompare.compare_outputs(a, b, rules) == []
    assert nbcompare.compare_outputs(a, c, rules)


def test_a_new_warning_is_caught():
    out = [{"output_type": "stream", "name": "stdout", "text": "ok\n"}]
    warned = out + [{"output_type": "stream", "name": "stderr", "text": "ConvergenceWarning: ...\n"}]
    problems = nbcompare.compare_outputs(out, warned, [])
    assert problems and "outputs" in problems[0]


def test_a_timing_cell_is_skipped_and_only_it():
    def nb(text, tags):
        return {"cells": [{"cell_type": "code", "source": "timed()", "metadata": {"tags": tags},
                           "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}]}

    assert nbcompare.compare_notebooks(nb("speed-up 1.9\n", [nbcompare.TIMING_TAG]),
                                       nb("speed-up 1.2\n", [nbcompare.TIMING_TAG])) == []
    assert nbcompare.compare_notebooks(nb("speed-up 1.9\n", []), nb("speed-up 1.2\n", []))
