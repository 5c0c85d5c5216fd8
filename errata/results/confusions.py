"""The most frequent (label, prediction) confusions per error type, with class names and example
files, counted over any number of models' errors tables one table at a time (memory does not grow
with the models)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from errata import imagenet
from errata.outputs import ERROR_TYPES, read_codes

N_PAIRS = imagenet.NUM_CLASSES * imagenet.NUM_CLASSES


def count(paths: Iterable[Path]) -> np.ndarray:
    """(error type, target * 1000 + top1) counts over the non-problematic rows of every table."""
    out = np.zeros((len(ERROR_TYPES), N_PAIRS), np.int64)
    for path in paths:
        target, top1, codes = read_codes(path)
        keep = codes >= 0
        flat, n = np.unique(_key(codes[keep].astype(np.int64), target[keep], top1[keep]), return_counts=True)
        out.reshape(-1)[flat] += n
    return out


def top_confusions(counts: np.ndarray, error_type: str, n: int = 10) -> pd.DataFrame:
    """The `n` most frequent (target, top1) pairs of `error_type`, most frequent first."""
    row = counts[ERROR_TYPES.index(error_type)]
    best = np.flatnonzero(row)
    best = best[np.lexsort((best, -row[best]))][:n]
    target, top1 = np.divmod(best, imagenet.NUM_CLASSES)
    names = imagenet.display_names()
    return pd.DataFrame(
        {
            "target": target,
            "label": [names[i] for i in target],
            "top1": top1,
            "prediction": [names[i] for i in top1],
            "count": row[best],
        }
    )


def _key(code: np.ndarray | int, target: np.ndarray | int, top1: np.ndarray | int) -> np.ndarray | int:
    return code * N_PAIRS + target * imagenet.NUM_CLASSES + top1


def with_examples(
    tables: dict[str, pd.DataFrame], paths: Iterable[Path], k: int = 2
) -> dict[str, pd.DataFrame]:
    """Each top-confusions table (by error type) with an `examples` column: up to `k` files in which
    a model made that confusion, from the first tables that have one (reading stops when all have `k`)."""
    wanted = {
        _key(ERROR_TYPES.index(etype), int(r.target), int(r.top1)): []
        for etype, table in tables.items()
        for r in table.itertuples()
    }
    for path in paths:
        if all(len(v) >= k for v in wanted.values()):
            break
        target, top1, codes = read_codes(path)
        keys = _key(codes.astype(np.int64), target, top1)
        rows = np.flatnonzero((codes >= 0) & np.isin(keys, list(wanted)))
        if not len(rows):
            continue
        names = pq.read_table(path, columns=["file_name"])["file_name"].to_numpy()
        for i in rows:
            found = wanted[int(keys[i])]
            if len(found) < k and str(names[i]) not in found:
                found.append(str(names[i]))
    return {
        etype: table.assign(
            examples=[
                ", ".join(wanted[_key(ERROR_TYPES.index(etype), int(t), int(p))])
                for t, p in zip(table["target"], table["top1"], strict=True)
            ]
        )
        for etype, table in tables.items()
    }
