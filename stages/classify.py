"""DVC stage `classify`: every imported and every predicted model against the evaluation set and taxonomy."""

import sys
from pathlib import Path

from errata import classify, modelspec, params
from errata.errors import report_errors


def run() -> None:
    files = [Path("data/predictions") / f"{m}.npz" for m in params.load("import")["models"]]
    files += [Path("data/inference") / modelspec.parse(m).file_name for m in params.load("predict")["models"]]
    summaries = classify.run(
        files,
        Path("data/classified"),
        evalset_path=Path("data/prepared/evalset.parquet"),
        taxonomy_dir=Path("data/taxonomy"),
        cooccurrence_dir=Path("data/cooccurrence"),
    )
    for s in summaries.values():
        print(classify.describe(s))


sys.exit(report_errors("classify", run))
