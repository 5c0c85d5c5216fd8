"""Grouped inference runner against a naive loop, files in and files out, in one run.

    python benchmarks/inference.py [--images 256] [--models 1 2 4 8] [--device cpu]

Both paths read the same generated ImageNet-sized JPEGs (500x375) and write one predictions .npz
per model. The naive loop decodes and transforms every image again for every model (batch 32,
fp32); the runner (`errata predict`'s path) decodes each image once and transforms it once per
preprocessing (benchmarks/decode_once.py measures that across preprocessings). All models here are
randomly initialised timm test models that share one preprocessing, so with k models the ratio
should approach k as decoding dominates.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from errata import imagefolder, imagenet, modelspec
from errata.inference import images as val_images
from errata.inference import models, runner

SAME_PREPROCESSING = [
    "test_vit.r160_in1k",
    "test_convnext.r160_in1k",
    "test_vit2.r160_in1k",
    "test_convnext2.r160_in1k",
    "test_vit3.r160_in1k",
    "test_convnext3.r160_in1k",
    "test_nfnet.r160_in1k",
    "test_efficientnet_gn.r160_in1k",
]


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def make_images(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / imagenet.val_file_name(i), "JPEG", quality=90)


def naive(specs: list[str], images: dict[int, Path], out: Path, device: torch.device) -> None:
    """Per model: decode, transform, forward in batches of 32, fp32; write its .npz."""
    for spec in specs:
        resolved = models.resolve(modelspec.parse(spec), random_weights=True)
        net = resolved.build().to(device)
        tops, probs = [], []
        items = list(images.items())
        for i in range(0, len(items), 32):
            batch = torch.stack([resolved.transform(val_images.load_rgb(p)) for _, p in items[i : i + 32]])
            with torch.inference_mode():
                p = net(batch.to(device)).softmax(-1)
            top = p.topk(5)
            tops.append(top.indices.cpu().numpy())
            probs.append(top.values.cpu().numpy())
        names = np.array([imagenet.val_file_name(pos) for pos, _ in items])
        np.savez(
            out / f"{spec}.npz", file_names=names, topk=np.concatenate(tops), probs=np.concatenate(probs)
        )


def costs(specs: list[str], images: dict[int, Path], device: torch.device) -> tuple[float, float]:
    """(decode + transform, forward) milliseconds per image, single process, batch 32."""
    resolved = models.resolve(modelspec.parse(specs[0]), random_weights=True)
    net = resolved.build().to(device)
    start = time.perf_counter()
    tensors = [resolved.transform(val_images.load_rgb(p)) for p in images.values()]
    decode = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(tensors), 32):
        with torch.inference_mode():
            net(torch.stack(tensors[i : i + 32]).to(device))
    forward = time.perf_counter() - start
    return 1000 * decode / len(images), 1000 * forward / len(images)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--models", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()
    device = torch.device(args.device)
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, device {device}")
    print(f"{args.images} generated 500x375 JPEGs; random-weight timm test models, one preprocessing")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "val"
        folder.mkdir()
        make_images(folder, args.images)
        images = imagefolder.list_images(folder)
        naive(SAME_PREPROCESSING[:1], dict(list(images.items())[:32]), Path(tmp), device)  # warm-up
        decode_ms, forward_ms = costs(SAME_PREPROCESSING[:1], images, device)
        print(f"decode + transform: {decode_ms:.1f} ms/image; one model forward: {forward_ms:.1f} ms/image")
        print("(with k models, sharing the decode can at best give k(d+f)/(d+kf) when f is the same for all)")
        configs = {
            w: runner.RunConfig(batch_size=64, workers=w, random_weights=True, device=args.device)
            for w in (0, args.workers)
        }
        print(
            f"models   naive img/s   grouped, 0 workers img/s (x)   grouped, {args.workers} workers img/s (x)"
        )
        for k in args.models:
            specs = SAME_PREPROCESSING[:k]
            start = time.perf_counter()
            naive(specs, images, Path(tmp), device)
            t_naive = time.perf_counter() - start
            cells = []
            for w, config in configs.items():
                start = time.perf_counter()
                runner.run([modelspec.parse(s) for s in specs], images, Path(tmp) / f"grouped{k}w{w}", config)
                t = time.perf_counter() - start
                cells.append(f"{k * args.images / t:10.1f} ({t_naive / t:4.2f}x)")
            print(f"{k:6d} {k * args.images / t_naive:13.1f}   {cells[0]:>27}   {cells[1]:>27}")


if __name__ == "__main__":
    main()
