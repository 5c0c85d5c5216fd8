"""A real scheduler: the SLURM recipe of docs/machines.md, run as written from a committed copy of a small
pipeline (two random-weight models over generated JPEGs, a local-path default remote) against the
cluster scripts/slurm_local.sh starts on this machine. Every array task runs and pushes its shard
through scripts/slurm_predict.sh; a fresh clone then restores every shard with `dvc repro --pull`,
running no predict stage. Skipped where no slurmctld answers; under CI=true that fails instead."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from doc_pages import marked_block
from repo_copy import configure_small, copy_working_tree, dvc, env, git, stages_run

MODELS = ["test_resnet.r160_in1k", "test_vit.r160_in1k"]
PREDICTS = [f"predict@{m}" for m in MODELS]
WAIT_S = 600  # the whole array, queued and run: about 40 s here


@dataclass
class Submitted:
    origin: Path  # the submitting repository, its pipeline committed
    job: str  # the array's job id
    tasks: dict[int, dict[str, str]]  # `scontrol show job` of each array task, by task id
    logs: dict[int, str]  # each task's slurm-<job>_<task>.out


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"SLURM cluster unavailable under CI: {reason}")
    pytest.skip(f"SLURM cluster unavailable (as root: scripts/slurm_local.sh): {reason}")


def _slurm(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def _tasks(job: str) -> dict[int, dict[str, str]]:
    """`scontrol show job`'s fields for each task of array `job`, which slurmctld keeps MinJobAge after
    the job ends (16 s on scripts/slurm_local.sh's cluster, where `sbatch --wait` polls every 8 s)."""
    records = _slurm("scontrol", "show", "job", "--oneliner", job).splitlines()
    fields = [dict(re.findall(r"(\w+)=(\S*)", record)) for record in records]
    return {int(f["ArrayTaskId"]): f for f in fields}


@pytest.fixture(scope="module")
def cluster() -> None:
    if shutil.which("sbatch") is None:
        _unavailable("no sbatch on PATH")
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=60)
    if "is UP" not in ping.stdout:
        first_line = (ping.stdout + ping.stderr).strip().partition("\n")[0]
        _unavailable(f"scontrol ping: {first_line}")


@pytest.fixture(scope="module")
def submitted(cluster, val_folder, tmp_path_factory) -> Submitted:
    """The recipe of docs/machines.md, run in the committed copy; returns once every task has ended."""
    root = tmp_path_factory.mktemp("slurm")
    origin = copy_working_tree(root / "origin")
    configure_small(origin, val_folder, MODELS)
    dvc(origin, "remote", "add", "-d", "shared", str(root / "remote"))
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "small pipeline, two models, a shared remote")
    block = marked_block("tests/test_slurm.py")
    (root / "scratch").mkdir()  # TMPDIR, which the tasks clone into
    command = ["bash", "-euo", "pipefail", "-c", block]
    try:
        done = subprocess.run(
            command, cwd=origin, env=env(origin, TMPDIR=str(root / "scratch")),
            capture_output=True, text=True, timeout=WAIT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as late:
        out = late.stdout.decode() if isinstance(late.stdout, bytes) else late.stdout or ""
        job = re.search(r"Submitted batch job (\d+)", out)
        if job:
            subprocess.run(["scancel", job[1]], check=False)
        pytest.fail(f"the array did not end within {WAIT_S} s (cancelled): {out}")
    job = re.search(r"Submitted batch job (\d+)", done.stdout)
    assert job, f"sbatch submitted nothing:\n{done.stdout}{done.stderr}"
    tasks = _tasks(job[1])
    logs = {i: (origin / f"slurm-{job[1]}_{i}.out").read_text() for i in tasks}
    assert done.returncode == 0, f"{block}:\n{done.stdout}{done.stderr}\n" + "\n".join(logs.values())
    return Submitted(origin, job[1], tasks, logs)


@pytest.mark.slow
def test_every_array_task_ran_its_shard_and_succeeded(submitted):
    assert sorted(submitted.tasks) == [0, 1]  # one task per shard: `errata shards --count`
    for i, task in submitted.tasks.items():
        assert (task["JobState"], task["ExitCode"]) == ("COMPLETED", "0:0"), submitted.logs[i]
        assert task["ArrayJobId"] == submitted.job
        assert task["NumCPUs"] == "1" and "gpu" not in task.get("TresPerNode", "")
        log = submitted.logs[i]
        assert f"[slurm_predict] task {i} on " in log
        assert stages_run(log) == {PREDICTS[i]}
        assert "files pushed" in log  # the shard's output and run-cache entry, to the remote


@pytest.mark.slow
def test_a_fresh_clone_restores_every_shard_and_runs_none(submitted, tmp_path):
    clone = tmp_path / "clone"
    git(submitted.origin.parent, "clone", "-q", str(submitted.origin), str(clone))
    log = dvc(clone, "repro", "--pull", *PREDICTS)
    assert stages_run(log) == set()
    lock = yaml.safe_load((clone / "dvc.lock").read_text())["stages"]
    for stage, model in zip(PREDICTS, MODELS, strict=True):
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in log
        (out,) = lock[stage]["outs"]
        assert (clone / out["path"]) == clone / "data" / "inference" / f"{model}.npz"
        assert (clone / out["path"]).is_file()
