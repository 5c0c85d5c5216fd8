"""DVC stage `oov_prompts`: CLIP text embeddings of every prompt the proposals can need under the
pipeline's superclasses (skipped, like `oov_embed`, when `images.val` holds no images)."""

import sys
from pathlib import Path

from errata import embeddings, imagefolder, params, proposals, taxonomy
from errata.errors import report_errors


def run() -> None:
    images, p = params.load("images"), params.load("oov")
    settings = embeddings.settings_from_params(p)
    out = Path("data/oov") / embeddings.PROMPTS_FILE
    reason = imagefolder.absent(Path(images["val"]))
    if reason:
        embeddings.write_prompts(out, embeddings.not_run_prompts(settings, reason))
        print(f"FG-OOV test not run: {reason}")
        return
    from errata.oov import embed
    from errata.oov import run as oov_run

    prompts = proposals.Proposer(taxonomy.same_superclass(Path("data/taxonomy"))).vocabulary()
    throughput = embed.Throughput(workers=p["workers"])
    print(oov_run.embed_prompts(prompts, out.parent, settings, throughput, p["device"]))


sys.exit(report_errors("oov_prompts", run))
