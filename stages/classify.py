"""DVC stage `classify`: every imported and every predicted model against the evaluation set and
taxonomy, with the FG-OOV decisions where the test ran."""

import json
import sys

from errata.classify import job
from errata.errors import report_errors
from errata.oov import decisions
from errata.pipeline import model_files, stage

args = stage.arguments(
    "classify",
    "evalset",
    "taxonomy",
    "cooccurrence",
    "predictions",
    "inference",
    "own_predictions",
    "oov",
    "out",
)


def run() -> None:
    ran = json.loads((args.oov / decisions.REPORT_FILE).read_text())["run"]
    summaries = job.run(
        model_files.prediction_files(args.predictions, args.inference, args.own_predictions),
        args.out,
        evalset_path=args.evalset,
        taxonomy_dir=args.taxonomy,
        cooccurrence_dir=args.cooccurrence,
        oov_decisions=args.oov / decisions.DECISIONS_FILE if ran else None,
    )
    for s in summaries.values():
        print(job.describe(s))


sys.exit(report_errors("classify", run))
