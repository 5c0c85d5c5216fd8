"""DVC stage `agreement`: the cascade on the experts' (file, prediction) pairs, cross-tabulated."""

import sys
from pathlib import Path

from errata import agreement, cascade, labelsets, taxonomy
from errata.errors import report_errors


def run() -> None:
    tax = taxonomy.load(Path("data/taxonomy"), Path("data/cooccurrence"))
    evalset, spec = labelsets.read(Path("data/prepared/evalset.parquet"))
    ev = cascade.EvalArrays.build(evalset, tax)
    report = agreement.write(ev, tax, spec, Path("reports/agreement"))
    for model, rates in report["models"].items():
        print(f"{model}: category agreement {rates['category_agreement']:.3f} over {rates['n_pairs']} pairs")


sys.exit(report_errors("agreement", run))
