"""Per-model classification time: the vectorised cascade against the plain per-image one.

Classifies N perturbed copies of a real predictions file (ImageNet-X ResNet50, a random 20% of
its top-1 replaced per copy) against ReaL, side by side in one run, and prints per-model times
and their ratio. The plain path runs on a subset of the copies (it is slow); both paths are
checked to agree on every copy they both see.

    python benchmarks/classify.py [--models 962] [--plain 20]   (after `dvc repro`: it reads data/)
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from errata import cascade, labelsets, metrics, predictions, taxonomy, zoo


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=962)
    parser.add_argument("--plain", type=int, default=20, help="copies also run through the plain path")
    args = parser.parse_args()

    evalset = labelsets.build("real")
    tax = taxonomy.load("data/taxonomy", "data/cooccurrence")
    ev = cascade.EvalArrays.build(evalset, tax.non_prototypical)
    base = zoo.load_predictions("resnet50.imagenetx")
    rng = np.random.default_rng(0)

    def copy() -> predictions.Predictions:
        top1 = base.top1.copy()
        flip = rng.random(len(top1)) < 0.2
        top1[flip] = rng.integers(0, 1000, flip.sum())
        order = rng.permutation(len(top1))
        return predictions.Predictions(base.file_names[order], top1[order, None])

    copies = [copy() for _ in range(args.models)]

    def run(fn, preds: predictions.Predictions) -> np.ndarray:
        top1 = predictions.align(preds, ev.positions)
        codes = fn(ev, tax, top1)
        metrics.summarize(codes, top1, ev)
        return codes

    start = time.perf_counter()
    fast_codes = [run(cascade.classify, p) for p in copies]
    fast = (time.perf_counter() - start) / len(copies)

    start = time.perf_counter()
    plain_codes = [run(cascade.classify_plain, p) for p in copies[: args.plain]]
    plain = (time.perf_counter() - start) / args.plain
    assert all(np.array_equal(a, b) for a, b in zip(fast_codes, plain_codes, strict=False))

    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"models: {args.models} vectorised, {args.plain} plain; 42,164 evaluated images each")
    print(f"vectorised: {1000 * fast:8.1f} ms/model  ({fast * args.models:.1f} s for {args.models})")
    print(f"plain:      {1000 * plain:8.1f} ms/model  ({plain * args.models:.1f} s for {args.models}, est.)")
    print(f"speed-up:   {plain / fast:8.1f}x")


if __name__ == "__main__":
    main()
