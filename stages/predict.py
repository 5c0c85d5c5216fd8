"""DVC stage `predict@SPEC`: one model over the ImageNet folder of `images.val`.

`stages/predict.py --together [SPEC ...] --out DIR` (no SPEC: every model of `predict.models`) is a
shard's first step (`errata shards`): those models' inference in one pass, each image decoded once
for all of them, left as chunks that each model's stage then merges without decoding anything."""

import sys
from pathlib import Path

from errata.errors import ErrataError, report_errors
from errata.inference import runner
from errata.pipeline import params, stage

args = stage.arguments("predict", "out", many="specs", flags=("together",))


def run() -> None:
    p, images = params.load("predict"), params.load("images")
    if not args.together and len(args.specs) != 1:
        raise ErrataError("give one SPEC (the stage), or --together and any number of them")
    config = runner.RunConfig(
        batch_size=p["batch_size"],
        workers=p["workers"],
        on_unreadable=p["on_unreadable"],
        device=p["device"],
        random_weights=p["random_weights"],
        clip_templates=p["clip_templates"],
    )
    specs = args.specs or p["models"]
    runner.predict(Path(images["val"]), specs, args.out, images["expect"], config, finish=not args.together)


sys.exit(report_errors("predict", run))
