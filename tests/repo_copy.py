"""Copies of the repository for tests that run DVC in them: the working tree copied (or cloned with
git), a small pipeline configured in it, and `dvc`/`git` run there with this interpreter."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from errata import imagenet

ROOT = Path(__file__).resolve().parents[1]
# every stage of dvc.yaml but the predict@<spec> ones, which the params decide
STAGES = {
    "prepare",
    "taxonomy",
    "cooccurrence",
    "import",
    "oov_embed",
    "oov_prompts",
    "oov",
    "classify",
    "summarize",
    "agreement",
    "report",
}
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "errata tests",
    "GIT_AUTHOR_EMAIL": "tests@errata.invalid",
    "GIT_COMMITTER_NAME": "errata tests",
    "GIT_COMMITTER_EMAIL": "tests@errata.invalid",
}


def env(repo: Path, **extra: str) -> dict[str, str]:
    """Stage commands run this interpreter (`python` first on PATH) and the copy's errata. The
    mirror this process was given is made absolute (it is relative to where the tests started);
    one in `extra` is passed as it is (see `relative_mirror`)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(repo), **GIT_IDENTITY}
    if env.get("ERRATA_MIRROR"):
        env["ERRATA_MIRROR"] = str(Path(env["ERRATA_MIRROR"]).resolve())
    return env | extra


def relative_mirror(repo: Path) -> str:
    """The README's `ERRATA_MIRROR=../shared/data` for a copy: a link beside the copy to this
    process's mirror, so the relative path holds from the copy's root and from nowhere inside it
    (not from `dvc exp run --temp`'s copy under .dvc/tmp/, nor from notebooks/)."""
    link = repo.parent / "shared" / "data"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(Path(os.environ["ERRATA_MIRROR"]).resolve(), target_is_directory=True)
    return "../shared/data"


def run(repo: Path, command: list[str], **extra: str) -> str:
    """The stdout of a command that must succeed."""
    done = subprocess.run(command, cwd=repo, env=env(repo, **extra), capture_output=True, text=True)
    assert done.returncode == 0, f"{command}:\n{done.stdout}{done.stderr}"
    return done.stdout


def dvc(repo: Path, *args: str, **extra: str) -> str:
    return run(repo, [sys.executable, "-m", "dvc", *args], **extra)


def git(repo: Path, *args: str) -> str:
    return run(repo, ["git", *args])


def changed_stages(repo: Path) -> set[str]:
    """The stages `dvc status` lists, asked in this process as the command asks (from the repository,
    which names the stages): no new interpreter importing dvc for each of the many checks."""
    from dvc.repo import Repo, lock_repo

    with contextlib.chdir(repo), Repo() as dvc_repo, lock_repo(dvc_repo):
        return set(dvc_repo.status())


def stages_run(log: str) -> set[str]:
    """The stages a `dvc repro` log says it ran (not those skipped or restored from the run-cache)."""
    return set(re.findall(r"^Running stage '(.+?)':", log, flags=re.M))


def copy_working_tree(repo: Path) -> Path:
    """Tracked and untracked, not ignored, files (what a commit of the working tree would hold) in
    `repo`, a new git repository: the code under test, not the last commit."""
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


def configure_small(repo: Path, val_folder: Path, models: list[str]) -> None:
    """A small custom label set in labels/, the superclass definitions kept outside the package,
    random-weight `models` over the generated image folder, a tiny random CLIP for the FG-OOV test."""
    rows = [f"{imagenet.val_file_name(i)},{t},{t}" for i, t in enumerate([65, 970, 230, 809, 516])]
    (repo / "labels" / "small.csv").write_text("file_name,target,labels\n" + "\n".join(rows) + "\n")
    (repo / "defs").mkdir()
    shutil.copy2(ROOT / "errata" / "data" / "superclasses.yaml", repo / "defs" / "superclasses.yaml")
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["labels"]["set"] = "custom:labels/small.csv"
    params["taxonomy"]["definitions"] = "defs/superclasses.yaml"
    params["import"]["models"] = ["resnet50.imagenetx"]
    params["images"] |= {"val": str(val_folder), "expect": "found"}
    params["predict"] |= {"models": models, "random_weights": True, "on_unreadable": "skip"}
    params["predict"]["workers"] = 0
    tiny_clip = {"model": str(ROOT / "tests" / "data" / "tiny-clip-test.json"), "pretrained": "none"}
    params["oov"] |= tiny_clip | {"random_weights": True, "templates": "simple"}
    params["oov"] |= {"workers": 0, "device": "cpu"}
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
