"""DVC stage `oov`: the FG-OOV decision of every (image, class) pair the pipeline's models need.
The table persists between runs: pairs decided under the same embeddings and superclasses are reused."""

import sys

from errata.atomic import write_json
from errata.errors import report_errors
from errata.oov import decisions, embeddings, job
from errata.pipeline import model_files, stage

args = stage.arguments(
    "oov", "evalset", "taxonomy", "cooccurrence", "predictions", "inference", "own_predictions", "out"
)


def run() -> None:
    meta = embeddings.read_images(args.out / embeddings.IMAGES_FILE).meta
    if not embeddings.ran(meta):
        decisions.write(
            args.out / decisions.DECISIONS_FILE, decisions.not_run(meta["reason"], meta["settings"])
        )
        write_json(args.out / decisions.REPORT_FILE, job.not_run_report(meta["reason"]))
        print(f"FG-OOV test not run: {meta['reason']}")
        return
    report = job.decide(
        model_files.prediction_files(args.predictions, args.inference, args.own_predictions),
        args.out / decisions.DECISIONS_FILE,
        embeddings_dir=args.out,
        taxonomy_dir=args.taxonomy,
        cooccurrence_dir=args.cooccurrence,
        evalset_path=args.evalset,
        report_path=args.out / decisions.REPORT_FILE,
    )
    print(f"{report['n_pairs']} pairs, {report['n_pairs_new']} decided now, {report['n_pairs_oov']} FG-OOV")


sys.exit(report_errors("oov", run))
