"""Execute the book's chapters in place and store their outputs reproducibly.

Usage: ``python scripts/execute_notebooks.py [DIR_OR_NOTEBOOK ...] [--output-dir OUT]``

Each notebook runs with ``book/`` as working directory, ``PYTHONHASHSEED=0`` and the matplotlib
settings of ``book/matplotlibrc``; execution timings and other volatile metadata are removed and
PNG figures carry no software stamp, so two runs give byte-identical files. A chapter that raises
(outside cells tagged ``raises-exception``) stops the run with its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor, ExecutePreprocessor

# Kernel options: PNG figures without the "Software" stamp (version strings would churn the files).
KERNEL_ARGS = ["--InlineBackend.print_figure_kwargs={'metadata': {'Software': None}, 'bbox_inches': 'tight'}"]
TIMEOUT = 300


def find_notebooks(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.glob("*.ipynb") if not q.name.startswith("."))
        elif p.suffix == ".ipynb":
            found.append(p)
        else:
            raise SystemExit(f"not a notebook or folder: {p}")
    return found


def coalesce_streams(cell) -> None:
    """Merge consecutive stdout (or stderr) outputs: how the kernel splits a stream into messages
    depends on timing, the text does not."""
    merged = []
    for output in cell.get("outputs", []):
        if (output.output_type == "stream" and merged and merged[-1].output_type == "stream"
                and merged[-1].name == output.name):
            merged[-1].text += output.text
        else:
            merged.append(output)
    cell.outputs = merged


def execute(path: Path, out: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    clear = ClearMetadataPreprocessor(
        preserve_cell_metadata_mask={"tags", "mystnb"},
        preserve_nb_metadata_mask={("kernelspec",), ("language_info", "name"), ("jupytext",), ("mystnb",), ("myst",), ("mlopt",)},
    )
    nb, _ = clear.preprocess(nb, {})
    ep = ExecutePreprocessor(
        timeout=TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        extra_arguments=KERNEL_ARGS,
    )
    ep.preprocess(nb, {"metadata": {"path": str(path.parent.resolve())}})
    # An error stored in an output (e.g. raised while a figure was drawn) fails the run too,
    # unless the cell is tagged raises-exception; there the stored traceback is cut to its last
    # line ("ValueError: ..."): the frames name files and line numbers of this machine's checkout,
    # which would make the stored outputs depend on where the book was executed.
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if "raises-exception" in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            raise SystemExit(f"{path}: cell {i} produced {errors[0].get('ename')}: {errors[0].get('evalue')}")
    # Execution adds language_info details (versions); keep only the name.
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            coalesce_streams(cell)
        cell.pop("id", None)
        cell["id"] = f"cell-{i}"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["book"])
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="write executed copies here instead of overwriting the chapters")
    args = parser.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Set before the kernel starts so that hashing (and set order) is the same every run.
        os.environ["PYTHONHASHSEED"] = "0"
    os.environ.pop("MPLBACKEND", None)  # the kernel chooses its inline backend itself
    notebooks = find_notebooks(args.paths)
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    for nb_path in notebooks:
        out = nb_path if args.output_dir is None else args.output_dir / nb_path.name
        print(f"executing {nb_path} -> {out}", flush=True)
        execute(nb_path, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
