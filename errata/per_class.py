"""Per-class results over many models' errors tables, read one table at a time: each class's MLA
(the share of its evaluated images MLA counts right, averaged over the models) and its errors by type."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from errata import imagenet
from errata.outputs import ERROR_TYPES, read_codes

MLA_OK = ("correct", "overlapping_classes", "multi_label")


def per_class(paths: Iterable[Path]) -> pd.DataFrame:
    """One row per class present in any table (index: class index): `name`, `models` (tables in which
    the class has evaluated images), `images` (evaluated images per model, on average), `mla`
    (mean over those models of the per-model MLA share, in %), and the summed count of each error type."""
    counts = np.zeros((imagenet.NUM_CLASSES, len(ERROR_TYPES)), np.int64)
    mla_sum = np.zeros(imagenet.NUM_CLASSES)
    n_models = np.zeros(imagenet.NUM_CLASSES, np.int64)
    ok = np.array([t in MLA_OK for t in ERROR_TYPES])
    for path in paths:
        target, _, codes = read_codes(path)
        keep = codes >= 0
        one = np.bincount(
            target[keep] * len(ERROR_TYPES) + codes[keep], minlength=imagenet.NUM_CLASSES * len(ERROR_TYPES)
        ).reshape(imagenet.NUM_CLASSES, len(ERROR_TYPES))
        n = one.sum(axis=1)
        present = n > 0
        mla_sum[present] += one[present][:, ok].sum(axis=1) / n[present]
        n_models += present
        counts += one
    present = n_models > 0
    names = imagenet.class_names()
    df = pd.DataFrame(counts[present], columns=list(ERROR_TYPES), index=np.flatnonzero(present))
    df.index.name = "class"
    df.insert(0, "name", [names[i] for i in df.index])
    df.insert(1, "models", n_models[present])
    df.insert(2, "images", counts[present].sum(axis=1) / n_models[present])
    df.insert(3, "mla", 100 * mla_sum[present] / n_models[present])
    return df


def worst(table: pd.DataFrame, column: str, n: int = 15, ascending: bool = True) -> pd.DataFrame:
    """The `n` classes first by `column` (ties by class index), for the report."""
    ranked = table.reset_index().sort_values([column, "class"], ascending=[ascending, True])
    return ranked.head(n).reset_index(drop=True)
