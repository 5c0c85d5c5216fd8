"""DVC stage `cooccurrence`: common co-occurrence pairs, held out from the evaluated images."""

import sys
from pathlib import Path

from errata import labelsets, params, taxonomy
from errata.cli import run_stage


def run() -> None:
    p = params.load("cooccurrence")
    evalset = labelsets.read(Path("data/prepared/evalset.parquet"))
    label_set = params.load("labels")["set"]
    report = taxonomy.write_cooccurrence(
        Path("data/taxonomy"), evalset, label_set, p["images"], p["min_count"], Path("data/cooccurrence")
    )
    print(report)


sys.exit(run_stage("cooccurrence", run))
