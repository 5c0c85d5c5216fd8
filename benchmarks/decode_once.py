"""Decoding each image once for k preprocessing groups against once per group, files in and files
out, side by side in one run.

    python benchmarks/decode_once.py [--images 512] [--groups 1 2 4 8] [--workers 2] [--repeat 3]
                                     [--device cpu]

Both paths read the same generated ImageNet-sized JPEGs (500x375 crops of a photograph, re-encoded
at quality 90, so they decode like photographs rather than like noise) and write one predictions
.npz per model through `runner.predict`, the call behind `errata predict` and the `predict` stage:

- per group: one call per preprocessing group, each decoding every image (what a call did before
  decode-once, and what one `predict@<spec>` stage per group does);
- decode once: one call with the k groups' models, each image decoded once and each group's
  transform applied to it.

One random-weight model per group (timm test models, tinynets, MobileNets: models cheap enough on
a CPU that the data path shows); each path is timed `--repeat` times, alternating, and the best
kept. The two paths' outputs are compared array by array and the decodes counted. Then the
DataLoader alone (decode + transforms, no model) the same two ways, with the peak memory of a
worker; and the per-image costs at one thread, as DataLoader workers run: decoding, each group's
transform, and the CLIP test's 336-px preprocessing (`errata.paper_cost` reads these).
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from inference import cpu_name
from matplotlib import cbook
from PIL import Image
from torch.utils.data import DataLoader

from errata import imagefolder, imagenet, modelspec
from errata.inference import images as val_images
from errata.inference import models, runner

# eight random-weight models of eight different preprocessings, each cheap to run on a CPU
GROUPS = [
    "test_vit.r160_in1k",  # 168 -> 160 px bicubic, mean/std 0.5
    "test_resnet.r160_in1k",  # bilinear
    "test_efficientnet.r160_in1k",  # ImageNet mean/std
    "tinynet_e.in1k",  # 121 -> 106
    "tinynet_d.in1k",  # 173 -> 152
    "tinynet_c.in1k",  # 210 -> 184
    "mobilenetv3_small_050.lamb_in1k",  # 256 -> 224 bicubic
    "torchvision/mobilenet_v3_small.IMAGENET1K_V1",  # torchvision's 256 -> 224 bilinear
]
CLIP_PREPROCESSING = "vit_large_patch14_clip_336.openai_ft_in12k_in1k"  # timm's twin of the CLIP test's


def make_photos(folder: Path, n: int) -> None:
    """n 500x375 crops of matplotlib's sample photograph at random scales and flips."""
    photo = Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")
    rng = np.random.default_rng(0)
    for i in range(n):
        scale = rng.uniform(1.0, 2.0)
        image = photo.resize((int(photo.width * scale), int(photo.height * scale)), Image.BICUBIC)
        x, y = rng.integers(0, image.width - 500), rng.integers(0, image.height - 375)
        image = image.crop((x, y, x + 500, y + 375))
        if rng.random() < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        image.save(folder / imagenet.val_file_name(i), "JPEG", quality=90)


def noise_jpeg() -> bytes:
    """A 500x375 JPEG of uniform noise, as benchmarks/oov.py generates (and its decode rate measured)."""
    pixels = np.random.default_rng(0).integers(0, 256, (375, 500, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def per_image_ms(fn, items: list) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return 1000 * (time.perf_counter() - start) / len(items)


def costs(paths: list[Path], transforms: dict[str, models.Transform]) -> None:
    """Milliseconds per image at one thread: decoding, then each transform of a decoded image."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    noise = noise_jpeg()
    decoded = [val_images.load_rgb(p) for p in paths]
    photo_ms = per_image_ms(val_images.load_rgb, paths)
    noise_ms = per_image_ms(lambda _: Image.open(io.BytesIO(noise)).convert("RGB"), range(len(paths)))
    print(
        f"per image, one thread: decode {photo_ms:.2f} ms (photo-like JPEG), {noise_ms:.2f} ms (noise JPEG)"
    )
    noise_image = Image.open(io.BytesIO(noise)).convert("RGB")
    for name, transform in transforms.items():
        photo_t = per_image_ms(transform, decoded)
        noise_t = per_image_ms(transform, [noise_image] * len(paths))
        print(f"  transform {name:48s} {photo_t:5.2f} ms (photo-like), {noise_t:5.2f} ms (noise)")
    torch.set_num_threads(threads)


class Measured(val_images.DecodedOnce):
    """The run's dataset, recording each worker's resident-memory growth over its own start."""

    def __init__(self, *args, log: Path, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.log = log

    def __iter__(self):
        start = _rss_kib("VmRSS")
        yield from super().__iter__()
        with open(self.log, "a") as f:
            f.write(f"{_rss_kib('VmHWM') - start}\n")


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def loader_alone(items, transforms, batch_size: int, workers: int, log: Path, wait_s: float) -> float:
    """Images/s of the DataLoader alone; with `wait_s` per batch, a consumer slow enough that every
    worker's queue fills (the memory peak a GPU-bound run reaches)."""
    log.write_text("")
    dataset = Measured(items, transforms, batch_size, log=log)
    start = time.perf_counter()
    for _ in DataLoader(dataset, batch_size=None, num_workers=workers):
        time.sleep(wait_s)
    return len(items) / (time.perf_counter() - start)


def count_decodes(log: Path) -> None:
    """Every decode appends a line to `log`, in this process and in its forked DataLoader workers."""
    original = val_images.load_rgb

    def counted(path: Path):
        with open(log, "a") as f:
            f.write("1\n")
        return original(path)

    val_images.load_rgb = counted


def n_decodes(log: Path) -> int:
    n = len(log.read_text().split())
    log.write_text("")
    return n


def same_outputs(a: Path, b: Path) -> bool:
    with np.load(a) as x, np.load(b) as y:
        return set(x.files) == set(y.files) and all(
            np.array_equal(x[k], y[k]) for k in x.files if k != "meta"
        )


def row(k: int, n_images: int, t_per_group: float, t_once: float) -> str:
    return (
        f"{k:6d} {t_per_group:8.2f} s ({n_images / t_per_group:6.1f}) {t_once:8.2f} s"
        f" ({n_images / t_once:6.1f})  {t_per_group / t_once:5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="at least 1")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, device {args.device}")
    config = runner.RunConfig(
        batch_size=args.batch_size, workers=args.workers, random_weights=True, device=args.device
    )
    resolved = {s: models.resolve(modelspec.parse(s), random_weights=True) for s in GROUPS}
    assert len({r.preprocessing for r in resolved.values()}) == len(GROUPS)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "val"
        folder.mkdir()
        make_photos(folder, args.images)
        images = imagefolder.list_images(folder)
        clip_336 = models.resolve(modelspec.parse(CLIP_PREPROCESSING), random_weights=True).transform
        costs(
            list(images.values())[:64],
            {**{s: r.transform for s, r in resolved.items()}, CLIP_PREPROCESSING: clip_336},
        )
        print(
            f"{args.images} photo-like 500x375 JPEGs, batch {args.batch_size}, {args.workers} workers, "
            f"one random-weight model per group; best of {args.repeat}: seconds (images/s)"
        )
        print("groups  per-group decode            decode once         ratio   decodes/image   outputs")
        runner.predict(folder, GROUPS[:1], Path(tmp) / "warm-up", "found", config)
        decodes = Path(tmp) / "decodes.txt"
        decodes.write_text("")
        count_decodes(decodes)
        for k in args.groups:
            specs = GROUPS[:k]
            per_group, once = [], []
            for r in range(args.repeat):
                start = time.perf_counter()
                for s in specs:
                    runner.predict(folder, [s], Path(tmp) / f"per-group{k}-{r}", "found", config)
                per_group.append(time.perf_counter() - start)
                decoded_per_group = n_decodes(decodes) / args.images
                start = time.perf_counter()
                runner.predict(folder, specs, Path(tmp) / f"once{k}-{r}", "found", config)
                once.append(time.perf_counter() - start)
                decoded_once = n_decodes(decodes) / args.images
            same = all(
                same_outputs(
                    Path(tmp) / f"per-group{k}-0" / f"{s}.npz", Path(tmp) / f"once{k}-0" / f"{s}.npz"
                )
                for s in specs
            )
            print(
                f"{row(k, args.images, min(per_group), min(once))}"
                f"   {decoded_per_group:4g} -> {decoded_once:g}      {'identical' if same else 'DIFFER'}"
            )
        items = sorted(images.items())
        log = Path(tmp) / "rss.txt"
        print(
            f"the DataLoader alone (decode + transforms, no model), {args.workers} workers, best of "
            f"{args.repeat}: seconds (images/s); peak memory growth of a worker, its queue kept full by "
            "a slow consumer"
        )
        print("groups  per-group decode            decode once         ratio   peak per worker")
        for k in args.groups:
            transforms = [resolved[s].transform for s in GROUPS[:k]]
            per_group, once = [], []
            for _ in range(args.repeat):
                per_group.append(
                    sum(
                        len(items) / loader_alone(items, [t], args.batch_size, args.workers, log, 0)
                        for t in transforms
                    )
                )
                once.append(
                    len(items) / loader_alone(items, transforms, args.batch_size, args.workers, log, 0)
                )
            loader_alone(items, transforms, args.batch_size, args.workers, log, 0.25)
            peak = max(int(x) for x in log.read_text().split()) / 1024
            print(f"{row(k, args.images, min(per_group), min(once))}   {peak:6.1f} MiB")


if __name__ == "__main__":
    main()
