"""Overlapping classes: the fixed alias list of Vasudevan et al. (errata/data/overlapping_classes.yaml)."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import yaml

from errata.imagenet import NUM_CLASSES
from errata.packaged import data_file


def load_raw() -> dict:
    return yaml.safe_load(data_file("overlapping_classes.yaml").read_text())


def named_classes(raw: dict) -> list[tuple[int, str]]:
    """Every (index, name) written in the file, for checking the file against the class list."""
    entries = [e["label"] for e in raw["directed"]] + [e["accepts"] for e in raw["directed"]]
    entries += raw["mutual"]
    return [(int(i), str(name)) for entry in entries for i, name in entry.items()]


def alias_pairs(raw: dict | None = None) -> list[tuple[int, int]]:
    """(original label, accepted prediction) pairs."""
    raw = raw or load_raw()
    pairs = [(int(a), int(b)) for e in raw["directed"] for a in e["label"] for b in e["accepts"]]
    pairs += [(int(a), int(b)) for group in raw["mutual"] for a, b in permutations(group, 2)]
    return sorted(set(pairs))


def alias_matrix(raw: dict | None = None) -> np.ndarray:
    """Boolean 1000x1000: [label, prediction] is an accepted alias."""
    out = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=bool)
    for a, b in alias_pairs(raw):
        out[a, b] = True
    return out
