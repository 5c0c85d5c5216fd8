"""A shared DVC remote, as a team uses it: two clones ("machines") each run one predict shard and
push it with its run-cache entries (the first shard holds two models of different preprocessings,
run together); a third restores both shards instead of running them and runs the rest of the
pipeline; a fresh clone of its commit pulls from a local-path remote, and another over SSH, and
rebuilds only the outputs that are not pushed."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml
from repo_copy import (
    STAGES,
    changed_stages,
    configure_small,
    copy_working_tree,
    dvc,
    git,
    run,
    stages_run,
)

MODELS = ["test_resnet.r160_in1k", "test_vit.r160_in1k", "test_efficientnet.r160_in1k"]
SHARDS = [MODELS[:2], MODELS[2:]]  # errata shards --machines 2 (three preprocessings)
PREDICTS = {f"predict@{m}" for m in MODELS}
ALL = STAGES | PREDICTS
# the output marked `push: false` in dvc.yaml is classify's data/classified; `dvc status` lists too
# the stages that read it, which `dvc repro` skips once it is back, byte for byte
REBUILT = {"classify"}
CHANGED_AFTER_PULL = {"classify", "summarize", "report"}


@dataclass
class Machines:
    root: Path
    logs: dict[str, str]  # what each machine printed
    shards_pushed: set[str]  # md5s in the remote before the third clone ran
    lock: dict  # the third clone's dvc.lock
    done: Path  # the third clone, its results committed and pushed with the run-cache


def _lock(repo: Path) -> dict:
    return yaml.safe_load((repo / "dvc.lock").read_text())["stages"]


def _remote_objects(remote: Path) -> set[str]:
    return {f"{p.parent.name}{p.name}" for p in (remote / "files" / "md5").glob("*/*")}


def _clone(source: Path, dest: Path) -> Path:
    git(source.parent, "clone", "-q", str(source), str(dest))
    return dest


@pytest.fixture(scope="module")
def machines(public_data, val_folder, tmp_path_factory) -> Machines:
    """origin: the small pipeline with three models and a local-path default remote, committed;
    over two machines (`--machines 2`), a runs shard 0 as scripts/slurm_predict.sh, b shard 1 as
    `errata shards --index 1` prints it; c, a third clone, runs `dvc repro --pull`."""
    root = tmp_path_factory.mktemp("team")
    origin = copy_working_tree(root / "origin")
    configure_small(origin, val_folder, MODELS)
    params = yaml.safe_load((origin / "params.yaml").read_text())
    params["oov"]["gate"] = "none"  # the zero-shot gate's embeddings: time, and nothing new to push
    (origin / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    dvc(origin, "remote", "add", "-d", "shared", str(root / "remote"))
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "small pipeline, three models, a shared remote")
    # a: a SLURM array task (the script's own clone is removed when it ends)
    (root / "scratch").mkdir()
    slurm = {"SLURM_SUBMIT_DIR": str(origin), "SLURM_ARRAY_TASK_ID": "0", "TMPDIR": str(root / "scratch")}
    logs = {"a": run(origin, ["bash", "scripts/slurm_predict.sh", "--machines", "2"], **slurm)}
    # b: a host in a shell loop, given the command `errata shards` prints for it
    b = _clone(origin, root / "b")
    command = run(b, [sys.executable, "-m", "errata", "shards", "--machines", "2", "--index", "1"]).strip()
    logs["b"] = run(b, ["bash", "-c", command])
    shards_pushed = _remote_objects(root / "remote")
    done = _clone(origin, root / "c")
    logs["c"] = dvc(done, "repro", "--pull")
    git(done, "add", "-A")
    git(done, "commit", "-qm", "results")
    dvc(done, "push", "--run-cache")
    return Machines(root, logs, shards_pushed, _lock(done), done)


@pytest.mark.slow
def test_each_machine_runs_only_its_shard_its_models_together(machines):
    for log, models in zip((machines.logs["a"], machines.logs["b"]), SHARDS, strict=True):
        assert stages_run(log) == {f"predict@{m}" for m in models}
        for m in models:  # computed in one pass of the shard's models, so each image decoded once
            with np.load(machines.done / "data" / "inference" / f"{m}.npz") as z:
                assert json.loads(str(z["meta"]))["models_together"] == len(models)


@pytest.mark.slow
def test_a_third_clone_restores_every_shard_and_runs_the_rest(machines):
    log = machines.logs["c"]
    assert stages_run(log) == ALL - PREDICTS
    for stage in PREDICTS:
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in log
        (out,) = machines.lock[stage]["outs"]
        assert out["md5"] in machines.shards_pushed
    assert changed_stages(machines.done) == set()


def _round_trip(machines: Machines, clone: Path, remote: str | None = None, **env: str) -> None:
    """A fresh clone of the third machine's commit pulls, and `dvc repro` rebuilds exactly the stages
    whose outputs are not pushed, bit for bit (dvc.lock unchanged)."""
    chosen = ["-r", remote] if remote else []
    dvc(clone, "pull", "--allow-missing", *chosen, **env)
    pulled = {"data/oov/image_embeddings.npz", "data/oov/prompt_embeddings.npz", "data/oov/decisions.parquet"}
    assert all((clone / path).is_file() for path in pulled | {f"data/inference/{m}.npz" for m in MODELS})
    assert not (clone / "data/classified").exists()
    assert changed_stages(clone) == CHANGED_AFTER_PULL
    assert stages_run(dvc(clone, "repro")) == REBUILT
    assert _lock(clone) == machines.lock
    assert changed_stages(clone) == set()


@pytest.mark.slow
def test_round_trip_through_a_local_path_remote(machines):
    _round_trip(machines, _clone(machines.done, machines.root / "d"))


@dataclass
class SSHServer:
    url: str  # ssh://user@127.0.0.1:port
    keyfile: Path
    home: Path  # a HOME whose .ssh/known_hosts holds the server's host key


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"sshd unavailable under CI: {reason}")
    pytest.skip(f"sshd unavailable: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory):
    """Debian's sshd on a free localhost port, run as the current user with its own host key and
    config, admitting one generated key."""
    sshd = shutil.which("sshd") or shutil.which("sshd", path="/usr/sbin:/usr/local/sbin")
    if sshd is None or shutil.which("ssh-keygen") is None:
        _unavailable("no sshd or ssh-keygen (apt-get install openssh-server)")
    d = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True)
    port = _free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"AuthorizedKeysFile {d / 'user_key.pub'}\nPidFile {d / 'sshd.pid'}\nStrictModes no\n"
        "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nSubsystem sftp internal-sftp\n"
    )
    server = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 15
    while server.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    if server.poll() is not None or time.monotonic() >= deadline:
        server.kill()
        _unavailable(f"{sshd} did not start: {server.communicate()[1].strip()}")
    home = d / "home"
    (home / ".ssh").mkdir(parents=True)
    host_key = " ".join((d / "host_key.pub").read_text().split()[:2])
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key}\n")
    yield SSHServer(f"ssh://{getpass.getuser()}@127.0.0.1:{port}", d / "user_key", home)
    server.terminate()
    server.wait(timeout=10)


def _add_ssh_remote(repo: Path, server: SSHServer, path: Path) -> None:
    dvc(repo, "remote", "add", "--local", "ssh", f"{server.url}{path}")
    dvc(repo, "remote", "modify", "--local", "ssh", "keyfile", str(server.keyfile))


@pytest.mark.slow
def test_round_trip_over_ssh(ssh_server, machines):
    remote = machines.root / "ssh-remote"
    _add_ssh_remote(machines.done, ssh_server, remote)
    dvc(machines.done, "push", "-r", "ssh", "--run-cache", HOME=str(ssh_server.home))
    assert (remote / "files" / "md5").is_dir() and (remote / "runs").is_dir()
    clone = _clone(machines.done, machines.root / "e")
    _add_ssh_remote(clone, ssh_server, remote)
    _round_trip(machines, clone, "ssh", HOME=str(ssh_server.home))
