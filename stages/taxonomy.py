"""DVC stage `taxonomy`: superclasses, overlapping classes, the non-prototypical lookup."""

import sys
from pathlib import Path

from errata import params, taxonomy
from errata.errors import report_errors

p = params.load("taxonomy")
sys.exit(
    report_errors(
        "taxonomy", lambda: print(taxonomy.write_superclasses(Path(p["definitions"]), Path("data/taxonomy")))
    )
)
