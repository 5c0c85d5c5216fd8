"""DVC stage `classify`: every imported model against the evaluation set and taxonomy."""

import sys
from pathlib import Path

from errata import params
from errata.cli import main

models = params.load("import")["models"]
files = [str(Path("data/predictions") / f"{m}.npz") for m in models]
label_set = params.load("labels")["set"]
sys.exit(
    main(
        ["classify", "--predictions", *files, "--labels", label_set, "--out", "data/classified",
         "--evalset", "data/prepared/evalset.parquet",
         "--taxonomy", "data/taxonomy", "--cooccurrence", "data/cooccurrence"]
    )
)  # fmt: skip
