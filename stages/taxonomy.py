"""DVC stage `taxonomy`: superclasses, overlapping classes, the non-prototypical lookup."""

import sys

from errata.errors import report_errors
from errata.pipeline import params, stage
from errata.taxonomy import build

args = stage.arguments("taxonomy", "out")
definitions = params.load("taxonomy")["definitions"]
sys.exit(report_errors("taxonomy", lambda: print(build.write_superclasses(definitions, args.out))))
