"""Run many models over the validation images, built for thousands of models:

- each image is decoded once per call, whatever the models' preprocessings: each library's own
  transform is applied to that one decoded image, and every model gets exactly the batches a run of
  its preprocessing alone gives it, so its results are bit-identical to a one-model run;
- DataLoader workers and pinned memory; on GPU `inference_mode`, bfloat16 autocast, channels-last;
- work is done in chunks of images, each written as soon as it is finished, so an interrupted run
  resumes without redoing (or decoding again) finished chunks or finished models; `finish=False`
  stops there and leaves each model's chunks for a later run of that model to merge (a shard's first
  step, `errata.shards`);
- each model's result is the project's `.npz` (top-5 classes and probabilities, logits on request)
  with its metadata: library and version, weights, resolved preprocessing, device, images/s, time.

Every model of a call that still has work is held on the device at once: a call should get the
models its device holds (`errata shards --machines` sizes the calls of a pipeline).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from errata import __version__, imagefolder, imagenet, inputs, lookup, modelspec
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

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RunConfig:
        """From the command line's options or params.yaml's `predict` section: the fields either
        names, the defaults for the rest (the one place the two map onto a run)."""
        return cls(**{f.name: settings[f.name] for f in fields(cls) if f.name in settings})

    def check(self) -> None:
        lookup.check_name("on_unreadable choice", self.on_unreadable, ON_UNREADABLE)
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
    images_dir: Path,
    model_specs: Sequence[str],
    out: Path,
    expect: str,
    config: RunConfig,
    finish: bool = True,
) -> list[Path]:
    """`errata predict` and the `predict` stage: check the specs, the folder and `out` before
    loading any model, then run."""
    specs = [modelspec.parse(s) for s in model_specs]
    inputs.require_out_dir(out)
    images = imagefolder.select(imagefolder.list_images(images_dir), expect, images_dir)
    return run(specs, images, out, config, finish)


def run(
    specs: Sequence[ModelSpec], images: dict[int, Path], out: Path, config: RunConfig, finish: bool = True
) -> list[Path]:
    """Predictions of every model over `images` (validation position -> file); returns their paths.
    With `finish` False, every chunk of every model and no result (see the module's docstring)."""
    config.check()
    positions = sorted(images)
    todo = []
    for spec in specs:
        path = output_path(out, spec)
        if path.exists() and read_meta(path).get("fingerprint") == _fingerprint(spec, positions, config):
            print(f"{spec.spec}: finished earlier -> {path}")
        else:
            todo.append(models.resolve(spec, config.random_weights, config.clip_templates))
    prints = {r.spec: _fingerprint(r.spec, positions, config) for r in todo}
    for r in todo:
        _reset_partial_unless(_partial_dir(out, r.spec), prints[r.spec])
    device = _device(config.device)
    chunks = [positions[i : i + config.chunk_size] for i in range(0, len(positions), config.chunk_size)]
    if todo:
        _run_chunks(todo, chunks, images, Path(out), config, device)
    if finish:
        for r in todo:
            _merge(r, len(positions), len(chunks), Path(out), config, device, prints[r.spec])
    return [output_path(out, s) for s in specs]


def _run_chunks(
    todo: list[models.Resolved],
    chunks: list[list[int]],
    images: dict[int, Path],
    out: Path,
    config: RunConfig,
    device: torch.device,
) -> None:
    """Every chunk some model lacks, for the models that lack it; a model is built when first needed
    (a run that only merges loads no weights)."""
    nets: dict[ModelSpec, torch.nn.Module] = {}
    n_groups = len({r.preprocessing for r in todo})
    label = f"{len(todo)} model{'s' * (len(todo) > 1)}, {n_groups} preprocessing{'s' * (n_groups > 1)}"
    with tqdm(total=sum(map(len, chunks)), unit="img", desc=label) as bar:
        for c, chunk in enumerate(chunks):
            need = [r for r in todo if not _chunk_path(out, r.spec, c).exists()]
            for r in need:
                if r.spec not in nets:
                    nets[r.spec] = _prepare(r.build(), device)
            if need:
                _run_chunk(need, nets, chunk, images, out, c, config, device)
            bar.update(len(chunk))


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
    """One pass over the chunk's images, each decoded once for the preprocessings of `need`."""
    start = time.perf_counter()
    groups: dict[str, list[models.Resolved]] = {}
    for r in need:
        groups.setdefault(r.preprocessing, []).append(r)
    members = list(groups.values())
    loader = val_images.batches(
        [(p, images[p]) for p in chunk],
        [group[0].transform for group in members],
        config.batch_size,
        config.workers,
        pin_memory=device.type == "cuda",
    )
    parts: dict[ModelSpec, dict[str, list[np.ndarray]]] = {
        r.spec: {"positions": [], "topk": [], "probs": [], "logits": []} for r in need
    }
    skipped: list[int] = []
    for batch in loader:
        if batch.transform == 0:  # each batch of files once, whatever the number of preprocessings
            if batch.unreadable and config.on_unreadable == "stop":
                raise ErrataError(
                    f"{batch.unreadable[0][1]}: cannot decode this image. Finished work is kept: rerun to "
                    f"resume after fixing or removing it, or skip and record such files "
                    f"(--on-unreadable skip; predict.on_unreadable: skip)"
                )
            skipped += [pos for pos, _ in batch.unreadable]
        if not batch.positions:
            continue
        pixels = batch.images.to(device, non_blocking=True)
        if device.type == "cuda":
            pixels = pixels.contiguous(memory_format=torch.channels_last)
        for r in members[batch.transform]:
            logits = _forward(nets[r.spec], pixels, device)
            probs = logits.softmax(dim=-1)
            top = probs.topk(TOP_K, dim=-1)
            part = parts[r.spec]
            part["positions"].append(np.asarray(batch.positions, dtype=np.int64))
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
    pass_info = {"wall_s": np.float64(time.perf_counter() - start), "n_models": np.int64(len(need))}
    for r in need:
        arrays = {k: np.concatenate(parts[r.spec][k]) if parts[r.spec][k] else empty[k] for k in keys}
        write_npz(
            _chunk_path(out, r.spec, c), skipped=np.asarray(skipped, dtype=np.int64), **pass_info, **arrays
        )


def _forward(net: torch.nn.Module, batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    on_gpu = device.type == "cuda"
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=on_gpu):
        logits = net(batch)
    if logits.shape[-1] != imagenet.NUM_CLASSES:
        raise ErrataError(f"a model returned {logits.shape[-1]} logits, expected {imagenet.NUM_CLASSES}")
    return logits.float()


def _merge(
    r: models.Resolved,
    n_images: int,
    n_chunks: int,
    out: Path,
    config: RunConfig,
    device: torch.device,
    fingerprint: str,
) -> None:
    loaded = []
    for c in range(n_chunks):
        with np.load(_chunk_path(out, r.spec, c), allow_pickle=False) as z:
            loaded.append({k: z[k] for k in z.files})
    wall = float(sum(part.pop("wall_s") for part in loaded))
    together = int(max(part.pop("n_models") for part in loaded))
    arrays = {k: np.concatenate([part[k] for part in loaded]) for k in loaded[0]}
    positions, skipped = arrays.pop("positions").astype(np.int64), arrays.pop("skipped")
    meta = {
        **r.meta,
        "errata_version": __version__,
        "fingerprint": fingerprint,
        "config": asdict(config),
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "n_images": n_images,
        "n_skipped_unreadable": int(len(skipped)),
        # the passes that computed its chunks, each shared with up to `models_together` models
        "wall_s": round(wall, 3),
        "images_per_s": round(n_images / wall, 2) if wall > 0 else None,
        "models_together": together,
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
