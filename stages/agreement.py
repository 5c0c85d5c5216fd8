"""DVC stage `agreement`: the cascade on the experts' (file, prediction) pairs, cross-tabulated."""

import sys
from pathlib import Path

from errata import agreement, cascade, labelsets, params, taxonomy
from errata.cli import run_stage


def run() -> None:
    tax = taxonomy.load(Path("data/taxonomy"), Path("data/cooccurrence"))
    ev = cascade.EvalArrays.build(labelsets.read(Path("data/prepared/evalset.parquet")), tax.non_prototypical)
    report = agreement.write(ev, tax, params.load("labels")["set"], Path("reports/agreement"))
    for model, rates in report["models"].items():
        print(f"{model}: category agreement {rates['category_agreement']:.3f} over {rates['n_pairs']} pairs")


sys.exit(run_stage("agreement", run))
