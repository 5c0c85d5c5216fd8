"""DVC stage `prepare`: the evaluation set of `labels.set`."""

import sys

from errata import labelsets
from errata.errors import report_errors
from errata.pipeline import params, stage

args = stage.arguments("prepare", "labels", "out")


def run() -> None:
    spec = params.load("labels")["set"]
    labelsets.check_spec(spec, params.line_of("labels", "set"))
    labelsets.require_tracked(spec, args.labels)
    print(labelsets.describe(labelsets.write(labelsets.build(spec), spec, args.out)))


sys.exit(report_errors("prepare", run))
