"""DVC stage `agreement`: the cascade on the experts' (file, prediction) pairs, cross-tabulated."""

import sys

from errata import labelsets
from errata.cascade import rules
from errata.errors import report_errors
from errata.papers import agreement
from errata.pipeline import stage
from errata.taxonomy import tables

args = stage.arguments("agreement", "evalset", "taxonomy", "cooccurrence", "out")


def run() -> None:
    tax = tables.load(args.taxonomy, args.cooccurrence)
    evalset, spec = labelsets.read(args.evalset)
    ev = rules.EvalArrays.build(evalset, tax)
    report = agreement.write(ev, tax, spec, args.out)
    for model, rates in report["models"].items():
        print(f"{model}: category agreement {rates['category_agreement']:.3f} over {rates['n_pairs']} pairs")


sys.exit(report_errors("agreement", run))
