"""DVC stage `predict@SPEC`: one model over the ImageNet folder of `predict.images`."""

import sys
from pathlib import Path

from errata import params
from errata.errors import report_errors
from errata.inference import runner


def run(spec: str) -> None:
    p = params.load("predict")
    config = runner.RunConfig(
        batch_size=p["batch_size"],
        workers=p["workers"],
        on_unreadable=p["on_unreadable"],
        device=p["device"],
        random_weights=p["random_weights"],
        clip_templates=p["clip_templates"],
    )
    runner.predict(Path(p["images"]), [spec], Path("data/inference"), p["expect"], config)


sys.exit(report_errors("predict", lambda: run(sys.argv[1])))
