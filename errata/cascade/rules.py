"""The decision cascade (docs/method.md): each prediction gets the first error type that applies.

`verdict_table` evaluates the cascade once per evaluation set for every (image, class), so a model
is one gather (`lookup`); `classify` is the vectorised path for one model's predictions (or any
list of pairs); `classify_plain` is a per-image transcription of the rules, kept as the reference
the property tests check both against.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from errata import imagenet
from errata.outputs import ERROR_TYPES
from errata.taxonomy.tables import Taxonomy

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
    group_combo: np.ndarray  # (n,) the groups as bits: bit k set when the image is in group k
    count_cell: np.ndarray  # (n,) (group_combo * 1000 + target) * n_types: + code = a metrics count cell
    positions: np.ndarray  # (n,) validation index (0..49,999) of each row
    val_rows: np.ndarray  # (50,000,) evaluation-set row of each validation image, -1 if absent
    target_in_labels: np.ndarray

    @classmethod
    def build(cls, evalset: pd.DataFrame, tax: Taxonomy) -> EvalArrays:
        label_lists = evalset["labels"].tolist()
        lengths = np.fromiter(map(len, label_lists), dtype=np.int64, count=len(label_lists))
        n, m = len(label_lists), max(1, int(lengths.max(initial=1)))
        mask = np.arange(m) < lengths[:, None]
        labels = np.zeros((n, m), dtype=np.int64)
        labels[mask] = np.fromiter(
            itertools.chain.from_iterable(label_lists), dtype=np.int64, count=int(lengths.sum())
        )
        target = evalset["target"].to_numpy(np.int64)
        class_group = np.stack([tax.class_groups == g for g in imagenet.GROUPS], axis=1)
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
            non_prototypical=np.isin(file_names, list(tax.non_prototypical)),
            groups=groups,
            group_combo=(combo := groups.astype(np.int64) @ (1 << np.arange(len(imagenet.GROUPS)))),
            count_cell=(combo * imagenet.NUM_CLASSES + target) * len(ERROR_TYPES),
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


def _label_rows(table: np.ndarray, ev: EvalArrays) -> np.ndarray:
    """(n, 1000): table[label, c] holds for some label of the row's image (bit-packed OR)."""
    packed = np.packbits(table, axis=1)
    acc = np.zeros((len(ev.target), packed.shape[1]), np.uint8)
    for j in range(ev.labels.shape[1]):
        rows = ev.mask[:, j]
        acc[rows] |= packed[ev.labels[rows, j]]
    return np.unpackbits(acc, axis=1, count=table.shape[1]).astype(bool)


def verdict_table(ev: EvalArrays, tax: Taxonomy) -> np.ndarray:
    """Code of every (evaluation-set row, predicted class), (n, 1000) int8, without the FG-OOV
    test: the cascade evaluated once per evaluation set and taxonomy, so a model is one gather
    `V[row, top1]`. Rules are written from the last to the first, each overriding the later ones."""
    n = len(ev.target)
    v = np.full((n, imagenet.NUM_CLASSES), CODE["model_failure"], np.int8)
    v[ev.non_prototypical] = CODE["non_prototypical"]
    v[_label_rows(tax.common_cooccurrence, ev)] = CODE["spurious_correlation"]
    v[_label_rows(tax.same_superclass, ev)] = CODE["fine_grained"]
    rows = np.broadcast_to(np.arange(n)[:, None], ev.labels.shape)
    v[rows[ev.mask], ev.labels[ev.mask]] = CODE["multi_label"]
    v[tax.alias[ev.target]] = CODE["overlapping_classes"]
    correct = np.flatnonzero(ev.target_in_labels)
    v[correct, ev.target[correct]] = CODE["correct"]
    return v


def lookup(v: np.ndarray, top1: np.ndarray) -> np.ndarray:
    """Codes of one model from the verdict table (`NOT_PREDICTED` where top1 is -1)."""
    predicted = top1 >= 0
    codes = np.take(v.reshape(-1), np.arange(len(top1)) * v.shape[1] + np.where(predicted, top1, 0))
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
