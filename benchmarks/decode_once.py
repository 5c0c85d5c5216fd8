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
a CPU that the data path shows); each path is timed `--repeat` times, the two alternating which goes
first, and the best kept. Their outputs are compared array by array and the decodes counted. Then the
DataLoader alone (decode + transforms, no model) the same two ways, with the peak memory of a
worker; and the per-image costs at one thread, as DataLoader workers run: decoding, each group's
transform, and the CLIP test's 336-px preprocessing (`errata.paper_cost` reads these).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
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


def per_image_ms(fn, items: list, repeat: int = 5) -> float:
    """Best of `repeat` passes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return 1000 * best / len(items)


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
    """The run's dataset, recording the most private memory a worker held beyond its own start
    (pages it allocated or copied from its parent), sampled as each batch is handed over."""

    def __init__(self, *args, log: Path, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.log = log

    def __iter__(self):
        start, peak = _private_kib(), 0
        for batch in super().__iter__():
            peak = max(peak, _private_kib() - start)
            yield batch
        with open(self.log, "a") as f:
            f.write(f"{peak}\n")


def _private_kib() -> int:
    fields = ("Private_Clean:", "Private_Dirty:")
    lines = Path("/proc/self/smaps_rollup").read_text().splitlines()
    return sum(int(line.split()[1]) for line in lines if line.startswith(fields))


class Timed:
    """Wall and CPU seconds (user + system, this process and its finished DataLoader workers) of a
    block. On a machine shared with other jobs the CPU seconds are the steadier measure of work."""

    def __enter__(self) -> Timed:
        self.wall, self.cpu = time.perf_counter(), _cpu_s()
        return self

    def __exit__(self, *_) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu_s() - self.cpu


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def loader_alone(items, transforms, batch_size: int, workers: int, log: Path, wait_s: float = 0) -> Timed:
    """The DataLoader alone; with `wait_s` per batch, a consumer slow enough that every worker's
    queue fills (the memory peak a GPU-bound run reaches)."""
    log.write_text("")
    dataset = Measured(items, transforms, batch_size, log=log)
    with Timed() as t:
        for _ in DataLoader(dataset, batch_size=None, num_workers=workers):
            time.sleep(wait_s)
    return t


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


def timed_calls(
    folder: Path, calls: list[list[str]], out: Path, config: runner.RunConfig, decodes: Path, n_images: int
) -> tuple[Timed, float]:
    """One `runner.predict` per list of specs, timed together, and the decodes per image they made."""
    with Timed() as t:
        for specs in calls:
            runner.predict(folder, specs, out, "found", config)
    return t, n_decodes(decodes) / n_images


def best(runs: list[Timed]) -> tuple[float, float]:
    return min(t.wall for t in runs), min(t.cpu for t in runs)


def row(k: int, per_group: tuple[float, float], once: tuple[float, float]) -> str:
    (wall_g, cpu_g), (wall_o, cpu_o) = per_group, once
    return (
        f"{k:6d}   {wall_g:7.2f} s {cpu_g:7.2f} s   {wall_o:7.2f} s {cpu_o:7.2f} s"
        f"   {wall_g / wall_o:5.2f}x {cpu_g / cpu_o:5.2f}x"
    )


HEADER = "groups   per-group: wall    CPU   decode once: wall    CPU   ratio: wall   CPU"


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
            f"\n{args.images} photo-like 500x375 JPEGs, batch {args.batch_size}, {args.workers} workers, one "
            f"random-weight model per group, runner.predict; best of {args.repeat}, seconds"
        )
        print(f"{HEADER}   decodes/image   outputs")
        runner.predict(folder, GROUPS[:1], Path(tmp) / "warm-up", "found", config)
        decodes = Path(tmp) / "decodes.txt"
        decodes.write_text("")
        count_decodes(decodes)
        for k in args.groups:
            specs = GROUPS[:k]
            calls = {"per-group": [[s] for s in specs], "once": [specs]}
            runs: dict[str, list[tuple[Timed, float]]] = {name: [] for name in calls}
            for r in range(args.repeat):  # alternating which goes first
                for name in list(calls)[:: 1 if r % 2 == 0 else -1]:
                    out = Path(tmp) / f"{name}{k}-{r}"
                    runs[name].append(timed_calls(folder, calls[name], out, config, decodes, args.images))
            same = all(
                same_outputs(
                    Path(tmp) / f"per-group{k}-0" / f"{s}.npz", Path(tmp) / f"once{k}-0" / f"{s}.npz"
                )
                for s in specs
            )
            (_, decoded_per_group), (_, decoded_once) = runs["per-group"][0], runs["once"][0]
            print(
                f"{row(k, best([t for t, _ in runs['per-group']]), best([t for t, _ in runs['once']]))}"
                f"   {decoded_per_group:4g} -> {decoded_once:g}      {'identical' if same else 'DIFFER'}"
            )
        items = sorted(images.items())
        log = Path(tmp) / "rss.txt"
        print(
            f"\nthe DataLoader alone (decode + transforms, no model), {args.workers} workers; best of "
            f"{args.repeat}, seconds; peak memory growth of a worker, its queue kept full by a slow consumer"
        )
        print(f"{HEADER}   peak per worker")
        for k in args.groups:
            transforms = [resolved[s].transform for s in GROUPS[:k]]
            per_group, once = [], []
            for r in range(args.repeat):  # alternating which goes first
                if r % 2:
                    once.append(loader_alone(items, transforms, args.batch_size, args.workers, log))
                runs = [loader_alone(items, [t], args.batch_size, args.workers, log) for t in transforms]
                total = Timed()
                total.wall, total.cpu = sum(t.wall for t in runs), sum(t.cpu for t in runs)
                per_group.append(total)
                if not r % 2:
                    once.append(loader_alone(items, transforms, args.batch_size, args.workers, log))
            loader_alone(items, transforms, args.batch_size, args.workers, log, wait_s=0.25)
            peak = max(int(x) for x in log.read_text().split()) / 1024
            print(f"{row(k, best(per_group), best(once))}   {peak:6.1f} MiB")


if __name__ == "__main__":
    main()
