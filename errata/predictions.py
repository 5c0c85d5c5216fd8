"""A model's predictions in memory, and the file formats they come in.

Formats (chosen by extension and header):
  .npz                  the project's own: `file_names` (str), `topk` (int, n x k), optional `probs`
  .csv, ImageNet-X      `file_name,predicted_class,predicted_probability`
  .csv, top-k           `file_name,top1[,top2..top5]`
Class indices are 0..999 in sorted-wnid order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from errata import imagenet
from errata.atomic import write_npz
from errata.errors import ErrataError
from errata.imagenet import NUM_CLASSES

IMAGENETX_COLUMNS = ["file_name", "predicted_class", "predicted_probability"]


@dataclass(frozen=True)
class Predictions:
    """Top-k classes (best first) per file, with probabilities where known."""

    file_names: np.ndarray
    topk: np.ndarray
    probs: np.ndarray | None = None

    @property
    def top1(self) -> np.ndarray:
        return self.topk[:, 0]

    def __len__(self) -> int:
        return len(self.file_names)


def read(path: Path) -> Predictions:
    """Read and check a predictions file (indices in range, no duplicates, no NaN)."""
    path = Path(path)
    if not path.exists():
        raise ErrataError(f"{path}: no such predictions file")
    if path.suffix == ".npz":
        preds = _read_npz(path)
    elif path.suffix == ".csv":
        preds = _read_csv(path)
    else:
        raise ErrataError(f"{path}: unknown predictions format (use .npz or .csv)")
    check(preds, str(path))
    return preds


def _read_npz(path: Path) -> Predictions:
    try:
        with np.load(path, allow_pickle=False) as z:
            probs = z["probs"] if "probs" in z.files else None
            return Predictions(z["file_names"].astype(str), _as_topk(path, z["topk"]), probs)
    except (KeyError, ValueError) as exc:
        raise ErrataError(f"{path}: not a predictions .npz with file_names and topk ({exc})") from None


def _read_csv(path: Path) -> Predictions:
    df = pd.read_csv(path, dtype={"file_name": str})
    cols = list(df.columns)
    if cols[:3] == IMAGENETX_COLUMNS:
        topk, probs = df[["predicted_class"]], df[["predicted_probability"]].to_numpy(np.float32)
    elif cols and cols[0] == "file_name" and cols[1:] == [f"top{i}" for i in range(1, len(cols))]:
        topk, probs = df[cols[1:]], None
    else:
        raise ErrataError(
            f"{path}: header {','.join(cols)!r} is neither ImageNet-X "
            f"({','.join(IMAGENETX_COLUMNS)}) nor file_name,top1[,top2..]"
        )
    if topk.isna().any().any():
        row = int(np.nonzero(topk.isna().any(axis=1).to_numpy())[0][0])
        raise ErrataError(f"{path}: line {row + 2}: missing class index")
    values = topk.to_numpy()
    if not np.issubdtype(values.dtype, np.integer):
        bad = next(i for i, v in enumerate(values.ravel()) if not float(v).is_integer())
        raise ErrataError(f"{path}: line {bad // values.shape[1] + 2}: class index is not an integer")
    return Predictions(df["file_name"].to_numpy(str), _as_topk(path, values), probs)


def _as_topk(path: Path, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[1] == 0:
        raise ErrataError(f"{path}: top-k classes must be an n x k array")
    return values.astype(np.int64)


def check(preds: Predictions, where: str) -> None:
    """Indices in 0..999, no duplicate file names, no NaN probabilities."""
    n = len(preds.file_names)
    if preds.topk.shape[0] != n or (preds.probs is not None and preds.probs.shape[0] != n):
        raise ErrataError(f"{where}: file_names, topk and probs differ in length")
    out_of_range = (preds.topk < 0) | (preds.topk >= NUM_CLASSES)
    if out_of_range.any():
        i = int(np.nonzero(out_of_range.any(axis=1))[0][0])
        raise ErrataError(
            f"{where}: {preds.file_names[i]}: class index {preds.topk[i][out_of_range[i]][0]} "
            f"outside 0..{NUM_CLASSES - 1}"
        )
    names, first, counts = np.unique(preds.file_names, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = names[counts > 1][0]
        raise ErrataError(f"{where}: duplicate file name {dup} ({int(counts[names == dup][0])} rows)")
    if preds.probs is not None and np.isnan(preds.probs).any():
        i = int(np.nonzero(np.isnan(preds.probs).any(axis=1))[0][0])
        raise ErrataError(f"{where}: {preds.file_names[i]}: probability is NaN")


def align(preds: Predictions, val_rows: np.ndarray, where: str) -> np.ndarray:
    """Top-1 per evaluation-set row (-1 where the model has no prediction).

    `val_rows` maps each of the 50,000 validation images to its evaluation-set row (-1 if not
    evaluated). A file name that is not a validation image is an error; predictions for images
    outside the evaluation set are ignored, and covering only part of it is fine.
    """
    pos = imagenet.val_positions(preds.file_names)
    if (pos < 0).any():
        unknown = preds.file_names[pos < 0]
        raise ErrataError(
            f"{where}: {len(unknown)} file name(s) are not ImageNet validation images, "
            f"e.g. {str(unknown[0])!r}"
        )
    rows = val_rows[pos]
    top1 = np.full(int((val_rows >= 0).sum()), -1, dtype=np.int64)
    inside = rows >= 0
    top1[rows[inside]] = preds.top1[inside]
    return top1


def write(preds: Predictions, path: Path) -> Path:
    arrays = {"file_names": preds.file_names.astype(str), "topk": preds.topk.astype(np.int16)}
    if preds.probs is not None:
        arrays["probs"] = preds.probs.astype(np.float32)
    return write_npz(path, **arrays)
