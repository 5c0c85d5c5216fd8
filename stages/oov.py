"""DVC stage `oov`: the FG-OOV decision of every (image, class) pair the pipeline's models need.
The table persists between runs: pairs decided under the same embeddings and superclasses are reused."""

import sys
from pathlib import Path

from errata import decisions, embeddings, model_files, oov_pipeline
from errata.atomic import write_json
from errata.errors import report_errors

OUT = Path("data/oov")


def run() -> None:
    meta = embeddings.read_images(OUT / embeddings.IMAGES_FILE).meta
    if not embeddings.ran(meta):
        decisions.write(OUT / decisions.DECISIONS_FILE, decisions.not_run(meta["reason"], meta["settings"]))
        write_json(OUT / decisions.REPORT_FILE, oov_pipeline.not_run_report(meta["reason"]))
        print(f"FG-OOV test not run: {meta['reason']}")
        return
    report = oov_pipeline.decide(
        model_files.prediction_files(),
        OUT / decisions.DECISIONS_FILE,
        embeddings_dir=OUT,
        taxonomy_dir=Path("data/taxonomy"),
        cooccurrence_dir=Path("data/cooccurrence"),
        evalset_path=Path("data/prepared/evalset.parquet"),
        report_path=OUT / decisions.REPORT_FILE,
    )
    print(f"{report['n_pairs']} pairs, {report['n_pairs_new']} decided now, {report['n_pairs_oov']} FG-OOV")


sys.exit(report_errors("oov", run))
