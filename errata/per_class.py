"""Per original class, from one model's errors table: how its evaluated images split over the error
types and its accuracy under each MLA variant (MLA is the mean of these over the classes), and the
errors of one class with class names. Readers of results (notebooks, reports) use these."""

from __future__ import annotations

import pandas as pd

from errata import imagenet
from errata.metrics import MLA_CORRECT
from errata.outputs import ERROR_TYPES


def _evaluated(errors: pd.DataFrame) -> pd.DataFrame:
    """Rows with a verdict: problematic images have none and count nowhere."""
    return errors[~errors["problematic"] & errors["error_type"].notna()]


def _names(indices: pd.Series) -> pd.Series:
    names = imagenet.class_names()
    return indices.map(lambda i: names[i])


def class_table(errors: pd.DataFrame) -> pd.DataFrame:
    """One row per class with evaluated images: `class_index`, `name`, `n_evaluated`, the images of
    each error type, and `mla`, `mla_minor`, `mla_explainable` (% of the class's images counted
    correct), in class order."""
    evaluated = _evaluated(errors)
    counts = pd.crosstab(evaluated["target"].astype(int), evaluated["error_type"].astype(str))
    counts = counts.reindex(columns=list(ERROR_TYPES), fill_value=0)
    counts.columns.name = None
    n = counts.sum(axis=1)
    out = pd.DataFrame({"class_index": counts.index, "name": _names(pd.Series(counts.index))})
    out["n_evaluated"] = n.to_numpy()
    out[list(ERROR_TYPES)] = counts.to_numpy()
    for variant, ok in MLA_CORRECT.items():
        out[variant] = 100 * counts[list(ok)].sum(axis=1).to_numpy() / n.to_numpy()
    return out.reset_index(drop=True)


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
