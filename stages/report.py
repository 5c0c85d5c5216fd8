"""DVC stage `report`: figures and the self-contained index.html."""

import sys

from errata.errors import report_errors
from errata.pipeline import stage
from errata.report import page

args = stage.arguments(
    "report",
    "stats",
    "classified",
    "agreement",
    "coverage",
    "cooccurrence",
    "oov",
    "inference",
    "params",
    "out",
)
inputs = page.Inputs(
    stats=args.stats,
    classified=args.classified,
    agreement=args.agreement,
    params=args.params,
    coverage=args.coverage,
    cooccurrence=args.cooccurrence,
    oov=args.oov,
    inference=args.inference,
)
sys.exit(report_errors("report", lambda: print(page.build(inputs, args.out))))
