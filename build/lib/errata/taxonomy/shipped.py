"""The default taxonomy's superclass tables, shipped built in errata/data/taxonomy/ so that
classifying with the bundled definitions needs no WordNet. Co-occurrence is not shipped: it depends
on the images a label set evaluates, and building it needs only the ReaL labels.

`build.write_superclasses(None, shipped.directory())` rebuilds them from the bundled definitions
(needs WordNet); tests/test_shipped_taxonomy.py checks that they equal a fresh build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from errata.packaged import data_file
from errata.taxonomy.tables import (
    COVERAGE,
    NON_PROTOTYPICAL,
    OVERLAPPING_CSV,
    SAME_SUPERCLASS,
    SUPERCLASSES_CSV,
)

FILES = (SUPERCLASSES_CSV, SAME_SUPERCLASS, OVERLAPPING_CSV, NON_PROTOTYPICAL, COVERAGE)


def directory() -> Path:
    return data_file("taxonomy")


def copy_to(out: Path) -> None:
    """The shipped superclass tables into `out`, as `build.write_superclasses(None, out)` writes them."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(directory() / name, out / name)
