"""The decision cascade (docs/method.md): each prediction gets the first error type that applies.

`classify` is the vectorised path used everywhere; `classify_plain` is a per-image transcription of
the rules, kept as the reference the property tests check `classify` against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from errata import imagenet
from errata.taxonomy import Taxonomy

ERROR_TYPES = (
    "correct",
    "overlapping_classes",
    "multi_label",
    "fine_grained",
    "fine_grained_oov",
    "spurious_correlation",
    "non_prototypical",
    "model_failure",
)
CODE = {name: i for i, name in enumerate(ERROR_TYPES)}
NOT_PREDICTED = -1


@dataclass(frozen=True)
class EvalArrays:
    """An evaluation set as arrays, built once and shared by every model classified against it."""

    file_names: np.ndarray
    target: np.ndarray
    labels: np.ndarray  # (n, m) label indices, padded with 0 where `mask` is False
    mask: np.ndarray  # (n, m) which entries of `labels` are real
    problematic: np.ndarray
    in_imagenet_m: np.ndarray
    non_prototypical: np.ndarray
    groups: np.ndarray  # (n, 3) bool, order of imagenet.GROUPS
    positions: np.ndarray  # (n,) validation index (0..49,999) of each row
    val_rows: np.ndarray  # (50,000,) evaluation-set row of each validation image, -1 if absent
    target_in_labels: np.ndarray

    @classmethod
    def build(cls, evalset: pd.DataFrame, non_prototypical: frozenset[str]) -> EvalArrays:
        label_lists = evalset["labels"].tolist()
        n, m = len(label_lists), max(1, max(map(len, label_lists), default=1))
        labels = np.zeros((n, m), dtype=np.int64)
        mask = np.zeros((n, m), dtype=bool)
        for i, ls in enumerate(label_lists):
            labels[i, : len(ls)] = ls
            mask[i, : len(ls)] = True
        target = evalset["target"].to_numpy(np.int64)
        class_group = np.stack([imagenet.class_groups() == g for g in imagenet.GROUPS], axis=1)
        groups = class_group[target] | (class_group[labels] & mask[:, :, None]).any(axis=1)
        file_names = evalset["file_name"].to_numpy(str)
        positions = imagenet.val_positions(file_names)
        val_rows = np.full(imagenet.NUM_VAL_IMAGES, -1, dtype=np.int64)
        val_rows[positions] = np.arange(n)
        return cls(
            file_names=file_names,
            target=target,
            labels=labels,
            mask=mask,
            problematic=evalset["problematic"].to_numpy(bool),
            in_imagenet_m=evalset["in_imagenet_m"].to_numpy(bool),
            non_prototypical=np.isin(file_names, list(non_prototypical)),
            groups=groups,
            positions=positions,
            val_rows=val_rows,
            target_in_labels=((labels == target[:, None]) & mask).any(axis=1),
        )


def _any_label(table: np.ndarray, ev: EvalArrays, pred: np.ndarray) -> np.ndarray:
    """Per image: table[label, pred] holds for some label of the image."""
    return (table[ev.labels, pred[:, None]] & ev.mask).any(axis=1)


def classify(ev: EvalArrays, tax: Taxonomy, top1: np.ndarray, oov: np.ndarray | None = None) -> np.ndarray:
    """Error-type code per image (`NOT_PREDICTED` where top1 is -1)."""
    predicted = top1 >= 0
    pred = np.where(predicted, top1, 0)
    rules = [
        (pred == ev.target) & ev.target_in_labels,
        tax.alias[ev.target, pred],
        ((ev.labels == pred[:, None]) & ev.mask).any(axis=1),
        _any_label(tax.same_superclass, ev, pred),
        np.zeros(len(pred), bool) if oov is None else oov.astype(bool),
        _any_label(tax.common_cooccurrence, ev, pred),
        ev.non_prototypical,
    ]
    codes = np.select(rules, range(len(rules)), default=CODE["model_failure"]).astype(np.int8)
    codes[~predicted] = NOT_PREDICTED
    return codes


def classify_plain(
    ev: EvalArrays, tax: Taxonomy, top1: np.ndarray, oov: np.ndarray | None = None
) -> np.ndarray:
    """The same cascade, one image at a time, written to be read against docs/method.md."""
    out = np.empty(len(top1), dtype=np.int8)
    for i, p in enumerate(top1):
        labels = {int(x) for x, ok in zip(ev.labels[i], ev.mask[i], strict=True) if ok}
        t = int(ev.target[i])
        if p < 0:
            verdict = NOT_PREDICTED
        elif p == t and t in labels:
            verdict = CODE["correct"]
        elif tax.alias[t, p]:
            verdict = CODE["overlapping_classes"]
        elif p in labels:
            verdict = CODE["multi_label"]
        elif any(tax.same_superclass[label, p] for label in labels):
            verdict = CODE["fine_grained"]
        elif oov is not None and oov[i]:
            verdict = CODE["fine_grained_oov"]
        elif any(tax.common_cooccurrence[label, p] for label in labels):
            verdict = CODE["spurious_correlation"]
        elif ev.file_names[i] in tax.non_prototypical:
            verdict = CODE["non_prototypical"]
        else:
            verdict = CODE["model_failure"]
        out[i] = verdict
    return out


def names(codes: np.ndarray) -> np.ndarray:
    """Error type names for codes (empty string where not predicted)."""
    lookup = np.array([*ERROR_TYPES, ""], dtype=object)
    return lookup[codes]
