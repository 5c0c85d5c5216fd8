"""Compact storage for 1000x1000 boolean lookup tables (bit-packed .npz, ~125 KB each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from errata.atomic import write_npz


def save(path: Path, matrix: np.ndarray) -> None:
    packed = np.packbits(matrix.astype(bool), axis=None)
    write_npz(path, bits=packed, shape=np.array(matrix.shape))


def load(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as z:
        shape = tuple(int(x) for x in z["shape"])
        return np.unpackbits(z["bits"], count=int(np.prod(shape))).reshape(shape).astype(bool)
