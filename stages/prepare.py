"""DVC stage `prepare`: the evaluation set of `labels.set`."""

import sys

from errata import params
from errata.cli import main

sys.exit(main(["prepare", "--labels", params.load("labels")["set"], "--out", "data/prepared"]))
