"""Metrics over classified errors: top-1, multi-label accuracy and its variants, per-type counts
and portions, per group (organism / artifact / other) and on ImageNet-M."""

from __future__ import annotations

from typing import Any

import numpy as np

from errata import imagenet
from errata.cascade import CODE, ERROR_TYPES, EvalArrays

# Error types that each multi-label accuracy variant counts as correct.
MLA_CORRECT = {
    "mla": ("correct", "overlapping_classes", "multi_label"),
    "mla_minor": ("correct", "overlapping_classes", "multi_label", "fine_grained", "fine_grained_oov"),
    "mla_explainable": (
        "correct", "overlapping_classes", "multi_label", "fine_grained", "fine_grained_oov",
        "spurious_correlation", "non_prototypical",
    ),
}  # fmt: skip
ERRORS = ERROR_TYPES[1:]
REMAINING = ERROR_TYPES[3:]


def per_class_accuracy(hit: np.ndarray, target: np.ndarray) -> float:
    """Mean over original classes (with at least one image) of the share of hits; in percent."""
    n = np.bincount(target, minlength=imagenet.NUM_CLASSES)
    k = np.bincount(target, weights=hit.astype(float), minlength=imagenet.NUM_CLASSES)
    present = n > 0
    return float(100 * (k[present] / n[present]).mean()) if present.any() else float("nan")


def block(codes: np.ndarray, target: np.ndarray, in_imagenet_m: np.ndarray) -> dict[str, Any]:
    """Counts, portions, MLA variants and ImageNet-M errors over the given (selected) images."""
    counts = np.bincount(codes, minlength=len(ERROR_TYPES))
    n_errors = int(counts[1:].sum())
    n_remaining = int(counts[CODE["fine_grained"] :].sum())
    out: dict[str, Any] = {
        "n_samples": int(len(codes)),
        "n_correct": int(counts[CODE["correct"]]),
        "n_top1_errors": n_errors,
    }
    for name, ok in MLA_CORRECT.items():
        out[name] = per_class_accuracy(np.isin(codes, [CODE[t] for t in ok]), target)
    out["counts"] = {t: int(counts[CODE[t]]) for t in ERROR_TYPES}
    out["portions"] = {t: counts[CODE[t]] / n_errors if n_errors else 0.0 for t in ERRORS}
    out["portions_remaining"] = {t: counts[CODE[t]] / n_remaining if n_remaining else 0.0 for t in REMAINING}
    mla_ok = [CODE[t] for t in MLA_CORRECT["mla"]]
    out["n_imagenet_m"] = int(in_imagenet_m.sum())
    out["n_imagenet_m_errors"] = int((~np.isin(codes[in_imagenet_m], mla_ok)).sum())
    return out


def summarize(codes: np.ndarray, top1: np.ndarray, ev: EvalArrays) -> dict[str, Any]:
    """Everything the summary and the stats tables need, over non-problematic predicted images."""
    predicted = top1 >= 0
    evaluated = predicted & ~ev.problematic
    out: dict[str, Any] = {
        "n_images": int(len(top1)),
        "n_predicted": int(predicted.sum()),
        "n_problematic_skipped": int((predicted & ev.problematic).sum()),
        "n_evaluated": int(evaluated.sum()),
        "top1": float(100 * (top1[predicted] == ev.target[predicted]).mean()) if predicted.any() else None,
    }
    out["has_imagenet_m"] = bool(ev.in_imagenet_m.any())
    out |= block(codes[evaluated], ev.target[evaluated], ev.in_imagenet_m[evaluated])
    out["groups"] = {}
    for k, g in enumerate(imagenet.GROUPS):
        sel = evaluated & ev.groups[:, k]
        out["groups"][g] = block(codes[sel], ev.target[sel], ev.in_imagenet_m[sel])
    return out
