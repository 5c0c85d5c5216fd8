"""Classifying many models, timed the way a user runs it, beside the in-memory core and the plain
per-image twin, in one run.

    python benchmarks/classify.py [--models 1 100 962] [--plain 10]   (after `dvc repro`: it reads data/)

Inputs: copies of the real ImageNet-X ResNet50 predictions as ImageNet-X CSV files
(`file_name,predicted_class,predicted_probability`), a random 20% of each copy's top-1 replaced
and its rows shuffled; ReaL labels (42,164 evaluated images), the pipeline's taxonomy.

- CLI: `errata classify --predictions <N CSVs> --evalset ... --taxonomy ... --out ...`, a fresh
  process per N, wall time from start to exit (files in, files out), and the process's peak memory;
- summarize + report over the N models' outputs (the `summarize` and `report` stages' code), wall
  time and peak memory: memory must not grow with N;
- in-memory core: the verdict-table gather and every metric per model, inputs already in memory;
- plain: the per-image transcription of the cascade (`rules.classify_plain`) and the same
  metrics, on the first `--plain` copies: it stands for the reference's row-wise classifier.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from errata import labelsets, predictions, zoo
from errata.cascade import rules
from errata.classify import metrics
from errata.taxonomy import tables

CHILD = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
REPORT = """
import sys
from pathlib import Path
from errata.report import page
from errata.results import summarize
classified, out = Path(sys.argv[1]), Path(sys.argv[2])
summarize.write(classified, out / "stats", out / "metrics")
page.build(page.Inputs(out / "stats", classified, Path("reports/agreement")), out)
"""


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def measured(*cmd: str | Path) -> tuple[float, float]:
    """(wall seconds, peak memory in MiB) of a command run in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, cmd)], capture_output=True, text=True, check=True
    )
    wall, rss = done.stdout.split()
    return float(wall), int(rss) / 1024


def write_copies(base: predictions.Predictions, n: int, folder: Path) -> list[Path]:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        top1 = base.top1.copy()
        flip = rng.random(len(top1)) < 0.2
        top1[flip] = rng.integers(0, 1000, flip.sum())
        order = rng.permutation(len(top1))
        lines = [f"{f},{c},0.5" for f, c in zip(base.file_names[order], top1[order], strict=True)]
        path = folder / f"copy{i:04d}.csv"
        path.write_text("file_name,predicted_class,predicted_probability\n" + "\n".join(lines) + "\n")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, nargs="+", default=[1, 100, 962])
    parser.add_argument("--plain", type=int, default=10, help="copies also run through the plain twin")
    parser.add_argument("--repeat", type=int, default=3, help="CLI runs per size (this machine is noisy)")
    args = parser.parse_args()
    print(f"{cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}")

    base = zoo.load_predictions("resnet50.imagenetx")
    evalset = labelsets.read(Path("data/prepared/evalset.parquet"))[0]
    tax = tables.load(Path("data/taxonomy"), Path("data/cooccurrence"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = write_copies(base, max(args.models), tmp / "preds")

        start = time.perf_counter()
        ev = rules.EvalArrays.build(evalset, tax)
        verdicts = rules.verdict_table(ev, tax)
        table_s = time.perf_counter() - start
        top1s = [predictions.read_top1(p).by_position[ev.positions].astype(np.int64) for p in paths[:100]]
        start = time.perf_counter()
        core = [rules.lookup(verdicts, t) for t in top1s]
        for codes, t in zip(core, top1s, strict=True):
            metrics.summarize(codes, t, ev)
        core_ms = 1000 * (time.perf_counter() - start) / len(top1s)
        start = time.perf_counter()
        for codes, t in zip(core[: args.plain], top1s[: args.plain], strict=True):
            plain = rules.classify_plain(ev, tax, t)
            metrics.summarize(plain, t, ev)
            assert np.array_equal(plain, codes)
        plain_ms = 1000 * (time.perf_counter() - start) / args.plain
        print(f"verdict table (once per evaluation set): {table_s:.2f} s")
        print(
            f"in-memory core: {core_ms:.2f} ms/model; plain twin: {plain_ms:.0f} ms/model "
            f"(identical codes on {args.plain} copies); ratio {plain_ms / core_ms:.0f}x"
        )

        common = ["--evalset", "data/prepared/evalset.parquet", "--taxonomy", "data/taxonomy",
                  "--cooccurrence", "data/cooccurrence"]  # fmt: skip
        print(f"models  classify: best, median of {args.repeat} runs  per model  vs plain  peak MiB | "
              "summarize+report  peak MiB")  # fmt: skip
        rows = []
        for n in args.models:
            runs = []
            for r in range(args.repeat):
                out = tmp / f"out{n}-{r}"
                runs.append(measured(sys.executable, "-m", "errata", "classify", "--predictions", *paths[:n],
                                     *common, "--out", out))  # fmt: skip
            walls = sorted(w for w, _ in runs)
            wall, median, rss = walls[0], walls[len(walls) // 2], max(m for _, m in runs)
            r_wall, r_rss = measured(sys.executable, "-c", REPORT, out, tmp / f"report{n}")
            per_model = 1000 * wall / n
            print(f"{n:6d}  {wall:14.2f} s {median:9.2f} s   {per_model:14.1f} ms  "
                  f"{plain_ms / per_model:7.0f}x  {rss:8.0f} | {r_wall:14.2f} s  {r_rss:8.0f}")  # fmt: skip
            rows.append({"models": n, "classify_best_s": round(wall, 2),
                         "classify_median_s": round(median, 2), "classify_peak_mib": round(rss),
                         "report_s": round(r_wall, 2), "report_peak_mib": round(r_rss)})  # fmt: skip
    print(json.dumps({"core_ms": round(core_ms, 2), "plain_ms": round(plain_ms), "runs": rows}))


if __name__ == "__main__":
    main()
