"""The default taxonomy's superclass tables, shipped built in errata/data/taxonomy/ so that the
bundled definitions need no WordNet, in `errata classify` and in the `taxonomy` stage alike.
Co-occurrence is not shipped: it depends on the images a label set evaluates, and counting it needs
only the ReaL labels.

The tables are used only for the definitions and overlapping-class files they were built from
(their sha256 in `built_from.json`); any other definitions are built with WordNet.
`build.ship()` rebuilds them; tests/test_shipped_taxonomy.py checks they equal a fresh build.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from errata.atomic import write_json
from errata.packaged import data_file
from errata.sources import sha256_of
from errata.taxonomy import superclasses
from errata.taxonomy.tables import (
    COVERAGE,
    NON_PROTOTYPICAL,
    OVERLAPPING_CSV,
    SAME_SUPERCLASS,
    SUPERCLASSES_CSV,
)

FILES = (SUPERCLASSES_CSV, SAME_SUPERCLASS, OVERLAPPING_CSV, NON_PROTOTYPICAL, COVERAGE)
BUILT_FROM = "built_from.json"


def directory() -> Path:
    return data_file("taxonomy")


def inputs_key(definitions: Path | None) -> dict[str, str]:
    """What the superclass tables are built from: the definitions and the overlapping classes."""
    return {
        "definitions": sha256_of(Path(definitions or superclasses.default_path())),
        "overlapping_classes": sha256_of(data_file("overlapping_classes.yaml")),
    }


def record(definitions: Path | None) -> None:
    write_json(directory() / BUILT_FROM, inputs_key(definitions))


def serves(definitions: Path | None) -> bool:
    """Whether the shipped tables are the ones `definitions` (None: bundled) builds."""
    recorded = directory() / BUILT_FROM
    return recorded.exists() and json.loads(recorded.read_text()) == inputs_key(definitions)


def copy_to(out: Path) -> dict:
    """The shipped superclass tables into `out`; returns their coverage report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(directory() / name, out / name)
    return json.loads((out / COVERAGE).read_text())
