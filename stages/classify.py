"""DVC stage `classify`: every imported and every predicted model against the evaluation set and
taxonomy, with the FG-OOV decisions where the test ran."""

import json
import sys
from pathlib import Path

from errata import classify, decisions, model_files
from errata.errors import report_errors

OOV = Path("data/oov")


def run() -> None:
    ran = json.loads((OOV / decisions.REPORT_FILE).read_text())["run"]
    summaries = classify.run(
        model_files.prediction_files(),
        Path("data/classified"),
        evalset_path=Path("data/prepared/evalset.parquet"),
        taxonomy_dir=Path("data/taxonomy"),
        cooccurrence_dir=Path("data/cooccurrence"),
        oov_decisions=OOV / decisions.DECISIONS_FILE if ran else None,
    )
    for s in summaries.values():
        print(classify.describe(s))


sys.exit(report_errors("classify", run))
