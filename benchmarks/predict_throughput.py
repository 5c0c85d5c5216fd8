"""`errata predict`'s images/s for one model beside the model alone and the DataLoader alone, in one run.

    python benchmarks/predict_throughput.py [--models resnet50.a1_in1k ...] [--images 256]
        [--batch-size 64] [--workers N] [--device auto] [--pretrained]

- predict: `runner.predict` over generated photo-like 500x375 JPEGs (benchmarks/decode_once.py's),
  files in and files out; its images/s is the output's own `images_per_s` (the passes over the
  images, model creation excluded), beside the whole call's;
- model alone: the same model, batch size and precision (the runner's own forward: bf16 autocast
  and channels-last on a GPU, fp32 on a CPU) on a random batch already on the device, the bound
  predict can approach;
- DataLoader alone: decoding and the model's transform with the same workers, no model.

On a GPU the goal is predict >= 0.8 x the model alone. Random weights unless --pretrained (which
downloads them).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from decode_once import make_photos
from inference import cpu_name
from PIL import Image

from errata import imagefolder, modelspec
from errata.inference import images as val_images
from errata.inference import models, runner


def model_alone(resolved: models.Resolved, batch_size: int, device: torch.device, seconds: float) -> float:
    """Images/s of the runner's forward on one random batch, after two warm-up batches."""
    net = runner._prepare(resolved.build(), device)
    size = resolved.transform(Image.new("RGB", (500, 375))).shape
    batch = torch.randn(batch_size, *size, device=device)
    if device.type == "cuda":
        batch = batch.contiguous(memory_format=torch.channels_last)
    for _ in range(2):
        runner._forward(net, batch, device)
    n, start = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - start < seconds:
        runner._forward(net, batch, device)
        n += 1
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return n * batch_size / (time.perf_counter() - start)


def loader_alone(items, transform, batch_size: int, workers: int) -> float:
    start = time.perf_counter()
    for _ in val_images.batches(items, [transform], batch_size, workers, pin_memory=False):
        pass
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["resnet50.a1_in1k"])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pretrained", action="store_true")
    args = parser.parse_args()
    config = runner.RunConfig(
        batch_size=args.batch_size,
        workers=args.workers,
        device=args.device,
        random_weights=not args.pretrained,
    )
    device = runner._device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, {name}, torch {torch.__version__}")
    print(
        f"{args.images} photo-like 500x375 JPEGs, batch {args.batch_size}, {args.workers} workers, "
        f"{'pretrained' if args.pretrained else 'random'} weights; images/s"
    )
    print(f"{'model':40s}  predict   (call)  model alone  ratio  loader alone")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "val"
        folder.mkdir()
        make_photos(folder, args.images)
        items = sorted(imagefolder.list_images(folder).items())
        for spec in args.models:
            resolved = models.resolve(modelspec.parse(spec), config.random_weights)
            start = time.perf_counter()
            [path] = runner.predict(folder, [spec], Path(tmp) / "out", "found", config)
            call = args.images / (time.perf_counter() - start)
            predict = runner.read_meta(path)["images_per_s"]
            alone = model_alone(resolved, args.batch_size, device, seconds=10)
            loader = loader_alone(items, resolved.transform, args.batch_size, args.workers)
            print(
                f"{spec:40s} {predict:8.1f} {call:8.1f} {alone:12.1f} {predict / alone:6.2f} {loader:13.1f}"
            )


if __name__ == "__main__":
    main()
