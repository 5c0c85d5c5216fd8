"""What the paper preset costs: GPU time of its models and of the CLIP test from timm's published
inference throughput (errata/data/timm_benchmark_rtx4090.csv), and the JPEG decoding and
preprocessing `predict` does on the CPU: with each `predict@<spec>` stage run alone, and with the
models run in shards of `errata shards --machines N`, which decode each image once per shard and
transform it once per preprocessing the shard holds.

`python -m errata.papers.cost` prints the estimate docs/paper.md quotes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pandas as pd

from errata import imagenet
from errata.inference import together
from errata.packaged import data_file

BENCHMARK_FILE = data_file("timm_benchmark_rtx4090.csv")
N_TRAIN_IMAGES = 1_281_167  # ImageNet-1k training set: what the knn_train gate embeds
# timm's twin of the reference's CLIP (open_clip ViT-L-14-336 openai), at its input size
CLIP_TWIN = ("vit_large_patch14_clip_336", 336)
# JPEG decoding and preprocessing on 16 CPU cores (PIL, 14-16 DataLoader workers): 456 images/s,
# benchmarks/README.md (benchmarks/oov.py on the H200 machine)
DECODE_PER_S = 456.0
# decoding's share of that per-image work: for the same 500x375 noise JPEGs, 1.72 ms to decode and
# 2.76 ms for the CLIP test's 336-px preprocessing, on one thread as a DataLoader worker runs
# (benchmarks/decode_once.py on the project's 2-core CPU machine, benchmarks/README.md)
DECODE_SHARE = 1.72 / (1.72 + 2.76)
MACHINES = (1, 8)  # the shardings the estimate shows


@dataclass(frozen=True)
class Estimate:
    n_models: int
    n_benchmarked: int  # timm's (arch, input size) row, or timm's model of the same name (torchvision)
    n_from_gflops: int  # torchvision models timm did not benchmark: scaled by their documented GFLOPS
    model_gpu_hours: float
    clip_gpu_hours: float  # the val images and the training set (knn_train gate) through the CLIP twin
    slowest: list[tuple[str, float]]  # the most expensive models, GPU hours
    n_preprocessings: int
    decode_hours_per_stage: float  # every predict@<spec> stage decodes the 50,000 images itself
    # machines -> (hours, transforms per image) with `errata shards --machines N`: a decode per
    # shard and a transform per preprocessing of each shard
    decode_hours_sharded: dict[int, tuple[float, int]]

    @property
    def gpu_hours(self) -> float:
        return self.model_gpu_hours + self.clip_gpu_hours


def read_benchmark() -> pd.DataFrame:
    return pd.read_csv(BENCHMARK_FILE, comment="#")


def throughput(models: pd.DataFrame, bench: pd.DataFrame) -> pd.DataFrame:
    """`models` (paper_models.csv rows with a spec) with images/s on the benchmark GPU and how it was
    found: `benchmarked` where timm measured the model's architecture at its input size, else
    `gflops` (torchvision): the median GFLOPS x images/s of the benchmarked torchvision models over
    the model's documented GFLOPS."""
    out = models.copy()
    out["gflops"] = pd.to_numeric(out["gflops"])
    out["arch"] = out["spec"].str.removeprefix("torchvision/").str.partition(".")[0]
    measured = bench.set_index(["model", "infer_img_size"])["infer_samples_per_sec"]
    keys = pd.MultiIndex.from_arrays([out["arch"], out["size"].astype(int)])
    out["images_per_s"] = measured.reindex(keys).to_numpy()
    out["how"] = out["images_per_s"].notna().map({True: "benchmarked", False: "gflops"})
    flops_rate = (out["gflops"] * out["images_per_s"]).dropna().median()
    missing = out["images_per_s"].isna()
    out.loc[missing, "images_per_s"] = flops_rate / out.loc[missing, "gflops"]
    if out["images_per_s"].isna().any():
        unknown = out.loc[out["images_per_s"].isna(), "spec"].tolist()
        raise ValueError(f"no throughput for {unknown}: neither benchmarked nor with documented GFLOPS")
    return out


def estimate(models: pd.DataFrame, bench: pd.DataFrame, n_images: int = imagenet.NUM_VAL_IMAGES) -> Estimate:
    rated = throughput(models, bench)
    seconds = n_images / rated["images_per_s"]
    clip = bench.set_index(["model", "infer_img_size"])["infer_samples_per_sec"][CLIP_TWIN]
    slowest = seconds.sort_values(ascending=False).head(5)
    n_preprocessings = int(rated["preprocessing"].nunique())
    return Estimate(
        n_models=len(rated),
        n_benchmarked=int((rated["how"] == "benchmarked").sum()),
        n_from_gflops=int((rated["how"] == "gflops").sum()),
        model_gpu_hours=float(seconds.sum() / 3600),
        clip_gpu_hours=(n_images + N_TRAIN_IMAGES) / clip / 3600,
        slowest=[(rated.loc[i, "spec"], float(s / 3600)) for i, s in slowest.items()],
        n_preprocessings=n_preprocessings,
        decode_hours_per_stage=len(rated) * n_images / DECODE_PER_S / 3600,
        decode_hours_sharded={n: decode_hours(rated, n, n_images) for n in MACHINES},
    )


def decode_hours(models: pd.DataFrame, machines: int, n_images: int) -> tuple[float, int]:
    """(CPU hours at DECODE_PER_S, transforms per image) of decoding and preprocessing over the
    shards `errata shards --machines` cuts (`models`: spec and preprocessing columns)."""
    keys = dict(zip(models["spec"], models["preprocessing"], strict=True))
    runs = together.cut(list(models["spec"]), machines, keys)
    transforms = sum(len({keys[m] for m in run}) for run in runs)
    per_image = len(runs) * DECODE_SHARE + transforms * (1 - DECODE_SHARE)
    return per_image * n_images / DECODE_PER_S / 3600, transforms


def paper_estimate() -> Estimate:
    from errata.papers import preset

    models = pd.read_csv(preset.MODELS_FILE, keep_default_na=False, na_values={"gflops": [""]})
    return estimate(models.loc[models["spec"] != ""], read_benchmark())


def render(e: Estimate) -> str:
    slowest = ", ".join(f"{spec} {h:.2f} h" for spec, h in e.slowest)
    lines = [
        f"{e.n_models} models over {imagenet.NUM_VAL_IMAGES:,} images: {e.model_gpu_hours:.1f} GPU-hours "
        f"({e.n_benchmarked} benchmarked by timm, {e.n_from_gflops} scaled from their GFLOPS)",
        f"CLIP test (val + {N_TRAIN_IMAGES:,} training images, knn_train): {e.clip_gpu_hours:.1f} GPU-hours",
        f"total: {e.gpu_hours:.1f} GPU-hours on one RTX 4090 (timm's AMP inference benchmark)",
        f"slowest: {slowest}",
        f"JPEG decoding and preprocessing at {DECODE_PER_S:.0f} images/s (16 cores, {DECODE_SHARE:.0%} of it "
        f"decoding): {e.decode_hours_per_stage:.1f} h with each predict@<spec> stage alone; decoded once "
        f"per shard ({e.n_preprocessings} preprocessings): "
        + ", ".join(
            f"{hours:.1f} h on {n} machine{'s' * (n > 1)} ({transforms} transforms per image)"
            for n, (hours, transforms) in e.decode_hours_sharded.items()
        ),
    ]
    return "\n".join(lines)


def main() -> int:
    print(render(paper_estimate()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
