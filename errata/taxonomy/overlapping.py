"""Overlapping classes: the fixed alias list of Vasudevan et al. (errata/data/overlapping_classes.yaml)."""

from __future__ import annotations

from itertools import permutations
from pathlib import Path

import numpy as np
import yaml

from errata import imagenet, lookup
from errata.errors import ErrataError
from errata.imagenet import NUM_CLASSES
from errata.packaged import data_file


def load_raw(path: Path | None = None) -> dict:
    """The file, checked: known keys, and every `index: name` the class of that index (a wrong
    index would silently accept another class's predictions)."""
    path = Path(path or data_file("overlapping_classes.yaml"))
    raw = yaml.safe_load(path.read_text())
    lookup.check_keys(raw, ["directed", "mutual"], str(path), required=["directed", "mutual"])
    for section, keys in (("directed", ["label", "accepts"]), ("mutual", None)):
        lines = lookup.yaml_lines(path, section)
        for i, entry in enumerate(raw[section] or []):
            where = f"{lookup.at(path, lines, str(i))}: {section} entry {i + 1}"
            groups = [entry] if keys is None else [entry.get(k) for k in keys]
            if keys is not None:
                lookup.check_keys(entry, keys, where, required=keys)
            for group in groups:
                _check_named(group, where)
    return raw


def _check_named(group: object, where: str) -> None:
    if not isinstance(group, dict) or not group:
        raise ErrataError(f"{where}: expected classes as {{index: name}}, got {group!r}")
    names = imagenet.class_names()
    for index, name in group.items():
        if not isinstance(index, int) or not 0 <= index < NUM_CLASSES:
            raise ErrataError(f"{where}: class index {index!r} outside 0..{NUM_CLASSES - 1}")
        if names[index] != name:
            close = [f"{names.index(c)}: {c}" for c in lookup.close_matches(str(name), names, n=3)]
            raise ErrataError(
                f"{where}: class {index} is {names[index]!r}, not {name!r}"
                f" (close names: {'; '.join(close) if close else 'none'})"
            )


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
