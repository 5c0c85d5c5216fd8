"""FG-OOV decisions per second: the batched, cached path against one image at a time, in one run.

    python benchmarks/oov.py [--images 64] [--models 20] [--plain 40] [--device auto]
                             [--model tests/data/tiny-clip-test.json] [--pretrained none]

Both paths decide the same (image, class) pairs over the same generated ImageNet-sized JPEGs
(500x375), with randomly initialised weights and no gate (every pair reaches CLIP).

- batched (what a user runs, files in and files out): `errata oov embed` (each image once, every
  prompt of the vocabulary once) then `errata oov decide` over M predictions files, each its own
  process; and `decide` again with one more model, which reuses the cached decisions;
- one at a time (the reference's way): for each pair, decode and encode the image and encode every
  prompt of its proposals, softmax, winner. Timed on the first `--plain` pairs (each pair costs the
  same, so its rate holds for all of them); its winners are checked against the batched ones.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from errata import imagenet
from errata.atomic import staged_dir
from errata.labelsets import build
from errata.oov import embeddings
from errata.oov.clip import model as clip
from errata.oov.clip import plain
from errata.oov.proposals import Proposer
from errata.taxonomy import tables

ROOT = Path(__file__).resolve().parents[1]


def make_images(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for i in range(n):
        pixels = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / imagenet.val_file_name(i), "JPEG", quality=90)


def make_predictions(folder: Path, n_images: int, n_models: int) -> list[Path]:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    paths = []
    for m in range(n_models):
        path = folder / f"model{m:03d}.csv"
        top1 = rng.integers(0, imagenet.NUM_CLASSES, n_images)
        rows = [f"{imagenet.val_file_name(i)},{c}" for i, c in enumerate(top1)]
        path.write_text("file_name,top1\n" + "\n".join(rows) + "\n")
        paths.append(path)
    return paths


def errata(*args: str | Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "errata", *map(str, args)], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--models", type=int, default=20, help="predictions files (random top-1)")
    parser.add_argument("--plain", type=int, default=40, help="pairs decided one at a time")
    parser.add_argument("--model", default=str(ROOT / "tests" / "data" / "tiny-clip-test.json"))
    parser.add_argument("--pretrained", default="none")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_images(tmp / "val", args.images)
        files = make_predictions(tmp / "preds", args.images, args.models + 1)
        with staged_dir(tmp / "taxonomy") as stage:  # setup, not timed
            build.write_superclasses(None, stage)
            build.write_cooccurrence(stage, build("real"), "real", stage)
        common = [
            "--model",
            args.model,
            "--pretrained",
            args.pretrained,
            "--gate",
            "none",
            "--random-weights",
        ]
        t_embed = errata(
            "oov", "embed", "--images", tmp / "val", "--out", tmp / "emb", "--expect", "found",
            "--device", args.device, "--batch-size", args.batch_size, "--workers", args.workers,
            "--taxonomy", tmp / "taxonomy", *common,
        )  # fmt: skip
        decide = ["oov", "decide", "--embeddings", tmp / "emb", "--taxonomy", tmp / "taxonomy"]
        out = tmp / "decisions.parquet"
        t_decide = errata(*decide, "--out", out, "--predictions", *files[:-1])
        table = pd.read_parquet(out)
        n = len(table)
        t_more = errata(*decide, "--out", out, "--predictions", *files)
        n_more = len(pd.read_parquet(out)) - n

        images = embeddings.read_images(tmp / "emb" / embeddings.IMAGES_FILE)
        prompts_meta = embeddings.read_prompts(tmp / "emb" / embeddings.PROMPTS_FILE).meta
        model = clip.load(images.settings, clip.device_of(args.device))
        proposer = Proposer(tables.same_superclass(tmp / "taxonomy"))
        targets = imagenet.validation_index()["target"].to_numpy()
        sample = table.head(args.plain)
        positions = imagenet.val_positions(sample["file_name"].to_numpy(str))
        cases = [
            (tmp / "val" / name, proposer.proposals(int(c), int(targets[p])), w)
            for name, c, p, w in zip(
                sample["file_name"], sample["class"], positions, sample["winner_offset"], strict=True
            )
        ]
        plain.decide_one(model, *cases[0][:2])  # warm-up, not timed
        start = time.perf_counter()
        agree = sum(plain.decide_one(model, image, props).winner_offset == w for image, props, w in cases)
        t_plain = time.perf_counter() - start

    batched_rate = n / (t_embed + t_decide)
    plain_rate = len(sample) / t_plain
    device = images.meta["device"]
    print(
        f"model {args.model} ({args.pretrained}, random weights) on {device}; {args.images} images x "
        f"{args.models} models -> {n} pairs to decide; {prompts_meta['n_prompts']} prompts in the vocabulary"
    )
    print(
        f"batched  embed {t_embed:6.1f} s (images {images.meta['images_per_s']} img/s) + decide "
        f"{t_decide:5.1f} s = {batched_rate:8.1f} decisions/s"
    )
    print(f"         one more model: {n_more} new pairs decided in {t_more:4.1f} s (cached pairs reused)")
    print(
        f"one at a time  {len(sample)} pairs in {t_plain:6.1f} s = {plain_rate:8.1f} decisions/s; "
        f"same winner as batched for {agree}/{len(sample)}"
    )
    print(f"ratio batched / one at a time: {batched_rate / plain_rate:.1f}x")
    print(
        json.dumps(
            {
                "n_pairs": n,
                "embed_s": round(t_embed, 2),
                "decide_s": round(t_decide, 2),
                "plain_per_s": round(plain_rate, 2),
                "batched_per_s": round(batched_rate, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
