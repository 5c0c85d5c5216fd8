"""The lookup tables the cascade reads from a taxonomy directory (superclasses, overlapping classes,
common co-occurrence pairs, the non-prototypical lookup) and their file names, so that classifying
needs no WordNet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from errata import boolmatrix, imagenet
from errata.errors import ErrataError
from errata.taxonomy import superclasses

SUPERCLASSES_CSV = "superclasses.csv"
SAME_SUPERCLASS = "same_superclass.npz"
OVERLAPPING_CSV = "overlapping_classes.csv"
NON_PROTOTYPICAL = "non_prototypical.txt"
COVERAGE = "coverage.json"
COOC_PAIRS = "cooccurrence_pairs.csv"
COOC_COMMON = "common_cooccurrence.npz"
COOC_COUNTS = "cooccurrence_counts.npz"
COOC_REPORT = "cooccurrence.json"
BUILD_FIRST = "build the taxonomy first (`errata taxonomy build --out DIR`)"


@dataclass(frozen=True)
class Taxonomy:
    """Lookup tables for the cascade: 1000x1000 boolean matrices indexed [label, prediction], the
    non-prototypical lookup, and each class's group (organism / artifact / other), so that
    classifying needs no WordNet."""

    alias: np.ndarray
    same_superclass: np.ndarray
    common_cooccurrence: np.ndarray
    non_prototypical: frozenset[str]
    class_groups: np.ndarray


def same_superclass(taxonomy_dir: Path | None, definitions: Path | None = None) -> np.ndarray:
    """The same-superclass table of a built taxonomy, or else of a definitions file (default: bundled)."""
    if taxonomy_dir is None:
        return superclasses.table(superclasses.membership(superclasses.load(definitions)))
    path = Path(taxonomy_dir) / SAME_SUPERCLASS
    if not path.exists():
        raise ErrataError(f"{path} is missing: {BUILD_FIRST}")
    return boolmatrix.load(path)


def load(taxonomy_dir: Path, cooccurrence_dir: Path | None = None) -> Taxonomy:
    taxonomy_dir = Path(taxonomy_dir)
    cooc_dir = Path(cooccurrence_dir or taxonomy_dir)
    needed = [
        taxonomy_dir / f for f in (SAME_SUPERCLASS, OVERLAPPING_CSV, NON_PROTOTYPICAL, SUPERCLASSES_CSV)
    ]
    for path in [*needed, cooc_dir / COOC_COMMON]:
        if not path.exists():
            raise ErrataError(f"{path} is missing: {BUILD_FIRST}")
    pairs = pd.read_csv(taxonomy_dir / OVERLAPPING_CSV)
    alias = np.zeros((imagenet.NUM_CLASSES, imagenet.NUM_CLASSES), dtype=bool)
    alias[pairs["label"].to_numpy(), pairs["accepted"].to_numpy()] = True
    classes = pd.read_csv(taxonomy_dir / SUPERCLASSES_CSV, usecols=lambda c: c in ("class_index", "group"))
    if "group" not in classes or classes["class_index"].tolist() != list(range(imagenet.NUM_CLASSES)):
        raise ErrataError(f"{taxonomy_dir / SUPERCLASSES_CSV}: made by an older errata; rebuild the taxonomy")
    return Taxonomy(
        alias=alias,
        same_superclass=boolmatrix.load(taxonomy_dir / SAME_SUPERCLASS),
        common_cooccurrence=boolmatrix.load(cooc_dir / COOC_COMMON),
        non_prototypical=frozenset((taxonomy_dir / NON_PROTOTYPICAL).read_text().split()),
        class_groups=classes["group"].to_numpy(str),
    )
