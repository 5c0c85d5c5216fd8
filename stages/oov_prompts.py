"""DVC stage `oov_prompts`: CLIP text embeddings of every prompt the FG-OOV proposals can need under
the pipeline's superclasses (skipped, like `oov_embed`, when `images.val` holds no images)."""

import sys
from pathlib import Path

from errata import extras, imagefolder
from errata.errors import report_errors
from errata.oov import config, embeddings, proposals
from errata.pipeline import params, stage
from errata.taxonomy import tables

args = stage.arguments("oov_prompts", "taxonomy", "out")


def run() -> None:
    images, p = params.load("images"), params.load("oov")
    settings = config.from_params(p)
    out = args.out / embeddings.PROMPTS_FILE
    reason = imagefolder.absent(Path(images["val"]))
    if reason:
        embeddings.write_prompts(out, embeddings.not_run_prompts(settings, reason))
        print(f"FG-OOV test not run: {reason}")
        return
    extras.require("models", "the oov_prompts stage (CLIP)")
    from errata.oov.clip import embed
    from errata.oov.clip import run as oov_run

    prompts = proposals.Proposer(tables.same_superclass(args.taxonomy)).vocabulary()
    throughput = embed.Throughput(workers=p["workers"])
    print(oov_run.embed_prompts(prompts, args.out, settings, throughput, p["device"]))


sys.exit(report_errors("oov_prompts", run))
