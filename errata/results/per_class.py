"""Per original class, from errors tables: how a class's evaluated images split over the error types
and its accuracy under each MLA variant (a model's MLA is the mean of these over the classes), one
class's errors with class names, and the same over many models read one table at a time. Readers of
results (the notebooks, the report) use these."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from errata import imagenet
from errata.outputs import ERROR_TYPES, MLA_CORRECT, MLA_OK, read_codes

N_TYPES = len(ERROR_TYPES)
MIN_IMAGES = 25  # evaluated images per model a class needs to be ranked: half of ImageNet's 50


def type_counts(target: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(1000, n_types) images per (original class, error type); code -1 (no verdict) counts nowhere."""
    keep = codes >= 0
    flat = np.bincount(target[keep] * N_TYPES + codes[keep], minlength=imagenet.NUM_CLASSES * N_TYPES)
    return flat.reshape(imagenet.NUM_CLASSES, N_TYPES)


def _evaluated(errors: pd.DataFrame) -> pd.DataFrame:
    """Rows with a verdict: problematic images have none and count nowhere."""
    return errors[~errors["problematic"] & errors["error_type"].notna()]


def _names(indices: pd.Series) -> pd.Series:
    names = imagenet.display_names()
    return indices.map(lambda i: names[i])


def class_table(errors: pd.DataFrame) -> pd.DataFrame:
    """One row per class with evaluated images: `class_index`, `name`, `n_evaluated`, the images of
    each error type, and `mla`, `mla_minor`, `mla_explainable` (% of the class's images counted
    correct), in class order."""
    evaluated = _evaluated(errors)
    codes = evaluated["error_type"].astype(str).map(ERROR_TYPES.index).to_numpy(np.int64)
    counts = type_counts(evaluated["target"].to_numpy(np.int64), codes)
    present = np.flatnonzero(counts.sum(axis=1))
    counts = counts[present]
    n = counts.sum(axis=1)
    out = pd.DataFrame({"class_index": present, "name": _names(pd.Series(present)), "n_evaluated": n})
    out[list(ERROR_TYPES)] = counts
    shares = 100 * (counts @ MLA_OK) / n[:, None]
    for k, variant in enumerate(MLA_CORRECT):
        out[variant] = shares[:, k]
    return out


def class_errors(errors: pd.DataFrame, class_index: int) -> pd.DataFrame:
    """The evaluated images of one original class the model got wrong at top-1, in cascade order of
    their error type: `file_name`, `top1`, `prediction` (its class name), `error_type`."""
    evaluated = _evaluated(errors)
    wrong = evaluated[(evaluated["target"] == class_index) & (evaluated["error_type"] != "correct")]
    order = wrong["error_type"].map(ERROR_TYPES.index)
    wrong = wrong.assign(order=order).sort_values(["order", "file_name"])
    out = wrong[["file_name", "top1"]].astype({"top1": int})
    out["prediction"] = _names(out["top1"])
    out["error_type"] = wrong["error_type"].astype(str)
    return out.reset_index(drop=True)


def across_models(paths: Iterable[Path]) -> pd.DataFrame:
    """One row per class present in any errors table (index: class index): `name`, `models` (tables in
    which the class has evaluated images), `images` (evaluated images per model, on average), `mla`
    (mean over those models of the class's MLA share, in %), and the summed count of each error type."""
    counts = np.zeros((imagenet.NUM_CLASSES, N_TYPES), np.int64)
    mla_sum = np.zeros(imagenet.NUM_CLASSES)
    n_models = np.zeros(imagenet.NUM_CLASSES, np.int64)
    for path in paths:
        target, _, codes = read_codes(path)
        one = type_counts(target, codes)
        n = one.sum(axis=1)
        present = n > 0
        mla_sum[present] += (one[present] @ MLA_OK[:, 0]) / n[present]
        n_models += present
        counts += one
    present = n_models > 0
    names = imagenet.display_names()
    df = pd.DataFrame(counts[present], columns=list(ERROR_TYPES), index=np.flatnonzero(present))
    df.index.name = "class"
    df.insert(0, "name", [names[i] for i in df.index])
    df.insert(1, "models", n_models[present])
    df.insert(2, "images", counts[present].sum(axis=1) / n_models[present])
    df.insert(3, "mla", 100 * mla_sum[present] / n_models[present])
    return df


def ranked(table: pd.DataFrame, images: str = "images", min_images: float = MIN_IMAGES) -> pd.DataFrame:
    """The classes a ranking may name: at least `min_images` evaluated images (column `images`; per
    model), since one image of a class with 7 moves its share by 14 points and would lead any list."""
    return table[table[images] >= min_images]


def worst(table: pd.DataFrame, column: str, n: int = 15, ascending: bool = True) -> pd.DataFrame:
    """The `n` classes first by `column` (ties by class index) among the `ranked` ones, for the report."""
    order = ranked(table).reset_index().sort_values([column, "class"], ascending=[ascending, True])
    return order.head(n).reset_index(drop=True)
