"""DVC stage `taxonomy`: superclasses, overlapping classes, the non-prototypical lookup."""

import sys
from pathlib import Path

from errata import params, taxonomy
from errata.cli import run_stage

p = params.load("taxonomy")
sys.exit(
    run_stage(
        "taxonomy", lambda: print(taxonomy.write_superclasses(Path(p["definitions"]), Path("data/taxonomy")))
    )
)
