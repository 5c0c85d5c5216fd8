"""DVC stage `prepare`: the evaluation set of `labels.set`."""

import sys
from pathlib import Path

from errata import labelsets, params
from errata.errors import report_errors

LABELS_DIR = Path("labels")
OUT = Path("data/prepared")


def run() -> None:
    spec = params.load("labels")["set"]
    labelsets.require_tracked(spec, LABELS_DIR)
    print(labelsets.describe(labelsets.write(labelsets.build(spec), spec, OUT)))


sys.exit(report_errors("prepare", run))
