"""The most frequent (label, prediction) confusions per error type, with class names, counted over
any number of models' errors tables one table at a time (memory does not grow with the models)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from errata import imagenet
from errata.outputs import ERROR_TYPES, read_codes

N_PAIRS = imagenet.NUM_CLASSES * imagenet.NUM_CLASSES


def count(paths: Iterable[Path]) -> np.ndarray:
    """(error type, target * 1000 + top1) counts over the non-problematic rows of every table."""
    out = np.zeros((len(ERROR_TYPES), N_PAIRS), np.int64)
    for path in paths:
        target, top1, codes = read_codes(path)
        keep = codes >= 0
        flat, n = np.unique(
            codes[keep].astype(np.int64) * N_PAIRS + target[keep] * 1000 + top1[keep], return_counts=True
        )
        out.reshape(-1)[flat] += n
    return out


def top_confusions(counts: np.ndarray, error_type: str, n: int = 10) -> pd.DataFrame:
    """The `n` most frequent (target, top1) pairs of `error_type`, most frequent first."""
    row = counts[ERROR_TYPES.index(error_type)]
    best = np.flatnonzero(row)
    best = best[np.lexsort((best, -row[best]))][:n]
    target, top1 = np.divmod(best, imagenet.NUM_CLASSES)
    names = imagenet.class_names()
    return pd.DataFrame(
        {
            "target": target,
            "label": [names[i] for i in target],
            "top1": top1,
            "prediction": [names[i] for i in top1],
            "count": row[best],
        }
    )
