"""DVC stage `oov_embed`: CLIP embeddings of the evaluated images and the gate's labels, or a file
saying the test did not run when `images.val` holds no images."""

import sys
from pathlib import Path

from errata import extras, imagefolder
from errata.errors import report_errors
from errata.oov import config, embeddings
from errata.pipeline import params, stage

args = stage.arguments("oov_embed", "out")


def run() -> None:
    images, p = params.load("images"), params.load("oov")
    settings = config.from_params(p)
    out = args.out / embeddings.IMAGES_FILE
    reason = imagefolder.absent(Path(images["val"]))
    if reason:
        embeddings.write_images(out, embeddings.not_run_images(settings, reason))
        print(f"FG-OOV test not run: {reason}")
        return
    extras.require("models", "the oov_embed stage (CLIP)")
    from errata.oov.clip import embed
    from errata.oov.clip import run as oov_run

    train = Path(images["train"]) if settings.gate == "knn_train" else None
    throughput = embed.Throughput(batch_size=p["batch_size"], workers=p["workers"])
    written = oov_run.embed_images(
        Path(images["val"]), images["expect"], args.out, settings, throughput, p["device"], train
    )
    print(written[0])


sys.exit(report_errors("oov_embed", run))
