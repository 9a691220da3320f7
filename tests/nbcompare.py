"""Compare a chapter's committed outputs with a fresh execution, as any machine can reproduce them.

Two notebooks match when they have the same cells with the same sources and, cell by cell, the
same outputs:

- text (streams, ``text/plain``, ``text/html``, ``text/latex``, glued values, errors) is equal
  after the rules of ``book/sanitize.cfg`` (the same rules nbval applies);
- PNG figures are decoded and compared as images: the same size, and at most
  ``MAX_CHANGED_FRACTION`` of the pixels differ by more than ``PIXEL_THRESHOLD`` in some colour
  channel (on a 0–1 scale). The last bits of a floating-point result move an anti-aliased edge by
  a fraction of a pixel, which changes a few pixels by a few shades; a curve moved by a few
  percent of the axes, a new line or a changed label changes hundreds of pixels completely.
- a figure *of round-off itself* (finite-difference errors at tiny steps, say) differs between CPUs
  by construction: its cell carries the tag ``figure-shows-round-off`` and is held to
  ``ROUND_OFF_FIGURE_FRACTION`` instead; its printed checks are compared as usual.
- a cell of wall-clock measurements (chapter 13's times per gradient) carries nbval's own tag
  ``nbval-ignore-output``: its outputs are not compared (by nbval nor here); its asserts still run.

PNG bytes are never compared across machines: the encoder's output changes with any pixel.
Used by ``tests/test_notebook_outputs.py`` (and so by ``make test`` and ``make check-portability``).
"""

from __future__ import annotations

import base64
import configparser
import io
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SANITIZE_FILE = ROOT / "book" / "sanitize.cfg"

#: A pixel counts as changed when one of its channels moved by more than this (0–1 scale).
PIXEL_THRESHOLD = 0.25
#: A figure matches when at most this fraction of its pixels changed (0.1 %).
MAX_CHANGED_FRACTION = 1e-3
#: The allowance for a cell tagged ``figure-shows-round-off`` (5 % of the pixels).
ROUND_OFF_FIGURE_FRACTION = 0.05
ROUND_OFF_TAG = "figure-shows-round-off"
#: A cell whose outputs are wall-clock measurements (the same tag makes nbval skip them): its
#: outputs are not compared, its asserts still run.
TIMING_TAG = "nbval-ignore-output"
#: Output keys that carry no result (execution counters, per-run metadata).
IGNORED_KEYS = {"execution_count", "metadata", "transient"}


def load_sanitizers(path: Path = SANITIZE_FILE) -> list[tuple[re.Pattern, str]]:
    """The (regex, replacement) pairs of an nbval sanitize file, in file order."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def sanitize(text: str, rules) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def decode_png(data) -> np.ndarray:
    """A base64 PNG (as stored in a notebook) as a float array (height, width, channels) in [0, 1]."""
    from PIL import Image

    raw = base64.b64decode(_text(data))
    with Image.open(io.BytesIO(raw)) as im:
        return np.asarray(im.convert("RGBA"), dtype=np.float64) / 255.0


def compare_images(a: np.ndarray, b: np.ndarray, max_fraction: float = MAX_CHANGED_FRACTION) -> str | None:
    """None when two decoded images match within the tolerance, else what differs."""
    if a.shape != b.shape:
        return f"image size {a.shape[1]}x{a.shape[0]} != {b.shape[1]}x{b.shape[0]}"
    changed = np.abs(a - b).max(axis=-1) > PIXEL_THRESHOLD
    fraction = float(changed.mean())
    if fraction > max_fraction:
        return (f"{changed.sum()} pixels ({fraction:.2%}) differ by more than {PIXEL_THRESHOLD} "
                f"(allowed: {max_fraction:.2%})")
    return None


def _first_difference(a: str, b: str, width: int = 70) -> str:
    i = next((k for k, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
    lo = max(0, i - width // 2)
    return f"committed: {a[lo:i + width // 2]!r}\n    fresh: {b[lo:i + width // 2]!r}"


def compare_outputs(committed: list, fresh: list, rules, max_fraction: float = MAX_CHANGED_FRACTION) -> list[str]:
    """Differences between two output lists of one cell (empty when they match)."""
    problems = []
    if len(committed) != len(fresh):
        kinds = lambda outs: [o.get("output_type") + (f":{o['name']}" if "name" in o else "") for o in outs]
        return [f"{len(committed)} outputs committed {kinds(committed)}, {len(fresh)} fresh {kinds(fresh)}"]
    for k, (old, new) in enumerate(zip(committed, fresh)):
        if old.get("output_type") != new.get("output_type") or old.get("name") != new.get("name"):
            problems.append(f"output {k}: {old.get('output_type')} committed, {new.get('output_type')} fresh")
            continue
        fields = {key: old[key] for key in old if key not in IGNORED_KEYS | {"data"}}
        fresh_fields = {key: new[key] for key in new if key not in IGNORED_KEYS | {"data"}}
        for key in sorted(set(fields) | set(fresh_fields)):
            a = sanitize(_text(fields.get(key, "")), rules)
            b = sanitize(_text(fresh_fields.get(key, "")), rules)
            if a != b:
                problems.append(f"output {k} ({key}) differs:\n    {_first_difference(a, b)}")
        old_data, new_data = old.get("data", {}), new.get("data", {})
        if set(old_data) != set(new_data):
            problems.append(f"output {k}: types {sorted(old_data)} committed, {sorted(new_data)} fresh")
            continue
        for mime in sorted(old_data):
            if mime == "image/png":
                why = compare_images(decode_png(old_data[mime]), decode_png(new_data[mime]), max_fraction)
                if why:
                    problems.append(f"output {k} (figure) differs: {why}")
            else:
                a, b = sanitize(_text(old_data[mime]), rules), sanitize(_text(new_data[mime]), rules)
                if a != b:
                    problems.append(f"output {k} ({mime}) differs:\n    {_first_difference(a, b)}")
    return problems


def compare_notebooks(committed: dict, fresh: dict, rules=None) -> list[str]:
    """Every difference between two notebooks (as dicts read from .ipynb JSON), by cell."""
    rules = load_sanitizers() if rules is None else rules
    old_cells, new_cells = committed["cells"], fresh["cells"]
    if len(old_cells) != len(new_cells):
        return [f"{len(old_cells)} cells committed, {len(new_cells)} fresh"]
    problems = []
    for i, (old, new) in enumerate(zip(old_cells, new_cells)):
        if _text(old["source"]) != _text(new["source"]):
            problems.append(f"cell {i}: the source differs")
            continue
        if old["cell_type"] == "code":
            tags = old.get("metadata", {}).get("tags", [])
            if TIMING_TAG in tags:   # its outputs are measured times: checked by its asserts only
                continue
            allowed = ROUND_OFF_FIGURE_FRACTION if ROUND_OFF_TAG in tags else MAX_CHANGED_FRACTION
            problems += [f"cell {i}, {p}" for p in compare_outputs(old.get("outputs", []),
                                                                     new.get("outputs", []), rules, allowed)]
    return problems
