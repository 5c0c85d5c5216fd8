"""DVC stage `predict@SPEC`: one model over the ImageNet folder of `images.val`."""

import sys
from pathlib import Path

from errata import model_files, params
from errata.errors import report_errors
from errata.inference import runner


def run(spec: str) -> None:
    p, images = params.load("predict"), params.load("images")
    config = runner.RunConfig(
        batch_size=p["batch_size"],
        workers=p["workers"],
        on_unreadable=p["on_unreadable"],
        device=p["device"],
        random_weights=p["random_weights"],
        clip_templates=p["clip_templates"],
    )
    runner.predict(Path(images["val"]), [spec], model_files.INFERENCE_DIR, images["expect"], config)


sys.exit(report_errors("predict", lambda: run(sys.argv[1])))
