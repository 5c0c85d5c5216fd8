"""Run many models over the validation images, built for thousands of models:

- models are grouped by preprocessing; each image is decoded and transformed once per group and
  fed to every model of the group;
- DataLoader workers and pinned memory; on GPU `inference_mode`, bfloat16 autocast, channels-last;
- work is done in chunks of images, each written as soon as it is finished, so an interrupted run
  resumes without redoing finished models or finished chunks;
- each model's result is the project's `.npz` (top-5 classes and probabilities, logits on request)
  with its metadata: library and version, weights, resolved preprocessing, device, images/s, time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from errata import __version__, imagefolder, imagenet, inputs, modelspec
from errata.atomic import write_json, write_npz
from errata.errors import ErrataError
from errata.inference import images as val_images
from errata.inference import models
from errata.modelspec import ModelSpec

TOP_K = 5
ON_UNREADABLE = ("stop", "skip")
PARTIAL_DIR = ".partial"


@dataclass(frozen=True)
class RunConfig:
    batch_size: int = 64
    workers: int = 4
    chunk_size: int = 2048
    on_unreadable: str = "stop"
    device: str = "auto"
    save_logits: bool = False
    random_weights: bool = False
    clip_templates: str = "openai"

    def check(self) -> None:
        if self.on_unreadable not in ON_UNREADABLE:
            raise ErrataError(f"on_unreadable must be one of {ON_UNREADABLE}, got {self.on_unreadable!r}")
        if min(self.batch_size, self.chunk_size) < 1 or self.workers < 0:
            raise ErrataError("batch size and chunk size must be at least 1, workers at least 0")


def output_path(out: Path, spec: ModelSpec) -> Path:
    return Path(out) / spec.file_name


def _partial_dir(out: Path, spec: ModelSpec) -> Path:
    return Path(out) / PARTIAL_DIR / spec.spec


def _fingerprint(spec: ModelSpec, positions: Sequence[int], config: RunConfig) -> str:
    """What a model's result depends on: a finished result or chunk with another one is redone."""
    key = {
        "spec": spec.spec,
        "positions": hashlib.sha256(np.asarray(positions, dtype=np.int64).tobytes()).hexdigest(),
        "random_weights": config.random_weights,
        "save_logits": config.save_logits,
        "clip_templates": config.clip_templates if spec.library == "open_clip" else None,
        "chunk_size": config.chunk_size,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def read_meta(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["meta"])) if "meta" in z.files else {}


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def predict(
    images_dir: Path, model_specs: Sequence[str], out: Path, expect: str, config: RunConfig
) -> list[Path]:
    """`errata predict` and the `predict` stage: check the specs, the folder and `out` before
    loading any model, then run."""
    specs = [modelspec.parse(s) for s in model_specs]
    inputs.require_out_dir(out)
    images = imagefolder.select(imagefolder.list_images(images_dir), expect, images_dir)
    return run(specs, images, out, config)


def run(specs: Sequence[ModelSpec], images: dict[int, Path], out: Path, config: RunConfig) -> list[Path]:
    """Predictions of every model over `images` (validation position -> file); returns their paths."""
    config.check()
    positions = sorted(images)
    todo = []
    for spec in specs:
        path = output_path(out, spec)
        if path.exists() and read_meta(path).get("fingerprint") == _fingerprint(spec, positions, config):
            print(f"{spec.spec}: finished earlier -> {path}")
        else:
            todo.append(spec)
    groups: dict[str, list[models.Resolved]] = {}
    for spec in todo:
        resolved = models.resolve(spec, config.random_weights, config.clip_templates)
        groups.setdefault(resolved.preprocessing, []).append(resolved)
    device = _device(config.device)
    for i, members in enumerate(groups.values(), start=1):
        label = f"group {i}/{len(groups)} ({len(members)} model{'s' * (len(members) > 1)})"
        _run_group(members, images, positions, Path(out), config, device, label)
    return [output_path(out, s) for s in specs]


def _run_group(
    members: list[models.Resolved],
    images: dict[int, Path],
    positions: list[int],
    out: Path,
    config: RunConfig,
    device: torch.device,
    label: str,
) -> None:
    chunks = [positions[i : i + config.chunk_size] for i in range(0, len(positions), config.chunk_size)]
    prints = {r.spec: _fingerprint(r.spec, positions, config) for r in members}
    for r in members:
        _reset_partial_unless(_partial_dir(out, r.spec), prints[r.spec])
    nets = {r.spec: _prepare(r.build(), device) for r in members}
    start = time.perf_counter()
    with tqdm(total=len(positions), unit="img", desc=label) as bar:
        for c, chunk in enumerate(chunks):
            need = [r for r in members if not _chunk_path(out, r.spec, c).exists()]
            if need:
                _run_chunk(need, nets, chunk, images, out, c, config, device)
            bar.update(len(chunk))
    wall = time.perf_counter() - start
    for r in members:
        _merge(r, chunks, out, config, device, wall, prints[r.spec])


def _prepare(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    net = net.to(device)
    return net.to(memory_format=torch.channels_last) if device.type == "cuda" else net


def _reset_partial_unless(partial: Path, fingerprint: str) -> None:
    stamp = partial / "fingerprint.json"
    if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
        return
    shutil.rmtree(partial, ignore_errors=True)
    write_json(stamp, {"fingerprint": fingerprint})


def _chunk_path(out: Path, spec: ModelSpec, c: int) -> Path:
    return _partial_dir(out, spec) / f"chunk_{c:06d}.npz"


def _run_chunk(
    need: list[models.Resolved],
    nets: dict[ModelSpec, torch.nn.Module],
    chunk: list[int],
    images: dict[int, Path],
    out: Path,
    c: int,
    config: RunConfig,
    device: torch.device,
) -> None:
    dataset = val_images.ValImages([(p, images[p]) for p in chunk], need[0].transform)
    loader = DataLoader(
        dataset,
        batch_size=config.batch_size,
        num_workers=config.workers,
        pin_memory=device.type == "cuda",
        collate_fn=val_images.collate,
    )
    parts: dict[ModelSpec, dict[str, list[np.ndarray]]] = {
        r.spec: {"positions": [], "topk": [], "probs": [], "logits": []} for r in need
    }
    skipped: list[int] = []
    for batch, batch_positions, bad in loader:
        if bad and config.on_unreadable == "stop":
            raise ErrataError(
                f"{bad[0][1]}: cannot decode this image. Finished work is kept: rerun to resume after "
                f"fixing or removing it, or skip and record such files (--on-unreadable skip; "
                f"predict.on_unreadable: skip)"
            )
        skipped += [pos for pos, _ in bad]
        if not batch_positions:
            continue
        batch = batch.to(device, non_blocking=True)
        if device.type == "cuda":
            batch = batch.contiguous(memory_format=torch.channels_last)
        for r in need:
            logits = _forward(nets[r.spec], batch, device)
            probs = logits.softmax(dim=-1)
            top = probs.topk(TOP_K, dim=-1)
            part = parts[r.spec]
            part["positions"].append(np.asarray(batch_positions, dtype=np.int64))
            part["topk"].append(top.indices.cpu().numpy().astype(np.int16))
            part["probs"].append(top.values.cpu().numpy().astype(np.float32))
            if config.save_logits:
                part["logits"].append(logits.cpu().numpy().astype(np.float16))
    empty = {
        "positions": np.zeros(0, np.int64),
        "topk": np.zeros((0, TOP_K), np.int16),
        "probs": np.zeros((0, TOP_K), np.float32),
        "logits": np.zeros((0, imagenet.NUM_CLASSES), np.float16),
    }
    keys = [*empty][: 4 if config.save_logits else 3]
    for r in need:
        arrays = {k: np.concatenate(parts[r.spec][k]) if parts[r.spec][k] else empty[k] for k in keys}
        write_npz(_chunk_path(out, r.spec, c), skipped=np.asarray(skipped, dtype=np.int64), **arrays)


def _forward(net: torch.nn.Module, batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    on_gpu = device.type == "cuda"
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=on_gpu):
        logits = net(batch)
    if logits.shape[-1] != imagenet.NUM_CLASSES:
        raise ErrataError(f"a model returned {logits.shape[-1]} logits, expected {imagenet.NUM_CLASSES}")
    return logits.float()


def _merge(
    r: models.Resolved,
    chunks: list[list[int]],
    out: Path,
    config: RunConfig,
    device: torch.device,
    wall: float,
    fingerprint: str,
) -> None:
    loaded = []
    for c in range(len(chunks)):
        with np.load(_chunk_path(out, r.spec, c), allow_pickle=False) as z:
            loaded.append({k: z[k] for k in z.files})
    arrays = {k: np.concatenate([part[k] for part in loaded]) for k in loaded[0]}
    positions, skipped = arrays.pop("positions").astype(np.int64), arrays.pop("skipped")
    n_images = sum(len(c) for c in chunks)
    meta = {
        **r.meta,
        "errata_version": __version__,
        "fingerprint": fingerprint,
        "config": asdict(config),
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "n_images": n_images,
        "n_skipped_unreadable": int(len(skipped)),
        "group_wall_s": round(wall, 3),
        "group_images_per_s": round(n_images / wall, 2) if wall > 0 else None,
    }
    names = np.array([imagenet.val_file_name(p) for p in positions], dtype=str)
    skipped_names = np.array([imagenet.val_file_name(p) for p in skipped], dtype=str)
    write_npz(
        output_path(out, r.spec),
        file_names=names,
        skipped_files=skipped_names,
        meta=np.array(json.dumps(meta)),
        **arrays,
    )
    shutil.rmtree(_partial_dir(out, r.spec))
    partial_root = Path(out) / PARTIAL_DIR
    for folder in sorted(partial_root.rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if partial_root.exists() and not any(partial_root.iterdir()):
        partial_root.rmdir()
