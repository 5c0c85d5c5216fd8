"""A copy of the working tree to run DVC in, and DVC run with this interpreter and the copy's errata:
shared by the tests that reproduce the pipeline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_worktree(repo: Path) -> Path:
    """Copy the files git would track (committed or not, ignored ones left out) into `repo`, a new
    git repository: the code under test, not the last commit."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def env(repo: Path) -> dict[str, str]:
    """Stage commands run this interpreter (`python` first on PATH) and the copy's errata."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    environ = {**os.environ, "PATH": path, "PYTHONPATH": str(repo)}
    if environ.get("ERRATA_MIRROR"):  # the stages run in the copy: a relative mirror would miss
        environ["ERRATA_MIRROR"] = str(Path(environ["ERRATA_MIRROR"]).resolve())
    return environ


def dvc(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=repo, env=env(repo), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
