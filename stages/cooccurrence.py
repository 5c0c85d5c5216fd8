"""DVC stage `cooccurrence`: common co-occurrence pairs, held out from the evaluated images."""

import sys
from pathlib import Path

from errata import labelsets, params, taxonomy
from errata.errors import report_errors


def run() -> None:
    p = params.load("cooccurrence")
    evalset, spec = labelsets.read(Path("data/prepared/evalset.parquet"))
    report = taxonomy.write_cooccurrence(
        Path("data/taxonomy"),
        evalset,
        spec,
        Path("data/cooccurrence"),
        images=p["images"],
        min_count=p["min_count"],
        per_images=p["per_images"],
    )
    print(report)


sys.exit(report_errors("cooccurrence", run))
