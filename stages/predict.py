"""DVC stage `predict@SPEC`: one model over the ImageNet folder of `images.val`.

`stages/predict.py --together SPEC ... --out DIR` is a shard's first step (`errata shards`): those
models' inference in one pass, each image decoded once for all of them, left as chunks that each
model's stage then merges without decoding anything (a model with a finished result is skipped)."""

import sys
from pathlib import Path

from errata import extras
from errata.errors import ErrataError, report_errors
from errata.pipeline import params, stage

args = stage.arguments("predict", "out", many="specs", flags=("together",))


def run() -> None:
    p, images = params.load("predict"), params.load("images")
    if len(args.specs) != 1 and not (args.together and args.specs):
        raise ErrataError("give one SPEC (the stage), or --together and the SPECs to run together")
    extras.require("models", "the predict stage")
    from errata.inference import runner

    config = runner.RunConfig.from_settings(p)
    runner.predict(
        Path(images["val"]), args.specs, args.out, images["expect"], config, finish=not args.together
    )


sys.exit(report_errors("predict", run))
