"""DVC stage `cooccurrence`: common co-occurrence pairs, held out from the evaluated images."""

import sys

from errata import labelsets
from errata.errors import report_errors
from errata.pipeline import params, stage
from errata.taxonomy import build

args = stage.arguments("cooccurrence", "evalset", "taxonomy", "out")


def run() -> None:
    p = params.load("cooccurrence")
    evalset, spec = labelsets.read(args.evalset)
    report = build.write_cooccurrence(
        args.taxonomy,
        evalset,
        spec,
        args.out,
        images=p["images"],
        min_count=p["min_count"],
        per_images=p["per_images"],
    )
    print(report)


sys.exit(report_errors("cooccurrence", run))
