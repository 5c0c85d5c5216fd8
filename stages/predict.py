"""DVC stage `predict@SPEC`: one model over the ImageNet folder of `images.val`."""

import sys
from pathlib import Path

from errata.errors import report_errors
from errata.inference import runner
from errata.pipeline import params, stage

args = stage.arguments("predict", "out", positional=("spec",))


def run() -> None:
    p, images = params.load("predict"), params.load("images")
    config = runner.RunConfig(
        batch_size=p["batch_size"],
        workers=p["workers"],
        on_unreadable=p["on_unreadable"],
        device=p["device"],
        random_weights=p["random_weights"],
        clip_templates=p["clip_templates"],
    )
    runner.predict(Path(images["val"]), [args.spec], args.out, images["expect"], config)


sys.exit(report_errors("predict", run))
