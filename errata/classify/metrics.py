"""Metrics over classified errors: top-1, multi-label accuracy and its variants, per-type counts
and portions, per group (organism / artifact / other) and on ImageNet-M."""

from __future__ import annotations

from typing import Any

import numpy as np

from errata import imagenet
from errata.cascade.rules import CODE, ERROR_TYPES, EvalArrays
from errata.outputs import ERRORS, MLA_CORRECT, MLA_OK, REMAINING


def block(counts: np.ndarray, imagenet_m_codes: np.ndarray) -> dict[str, Any]:
    """Counts, portions, MLA variants and ImageNet-M errors from a (1000, n_types) matrix of images
    per (original class, error type) and the codes of the selected ImageNet-M images."""
    per_type = counts.sum(axis=0).tolist()
    n_errors = sum(per_type[1:])
    n_remaining = sum(per_type[CODE["fine_grained"] :])
    out: dict[str, Any] = {
        "n_samples": sum(per_type),
        "n_correct": per_type[CODE["correct"]],
        "n_top1_errors": n_errors,
    }
    n = counts.sum(axis=1)
    present = n > 0
    shares = ((counts[present] @ MLA_OK) / n[present, None]).T.copy()  # a row per MLA variant
    means = shares.mean(axis=1).tolist() if present.any() else [float("nan")] * len(MLA_CORRECT)
    out |= {name: 100 * mean for name, mean in zip(MLA_CORRECT, means, strict=True)}
    out["counts"] = {t: per_type[CODE[t]] for t in ERROR_TYPES}
    out["portions"] = {t: per_type[CODE[t]] / n_errors if n_errors else 0.0 for t in ERRORS}
    out["portions_remaining"] = {
        t: per_type[CODE[t]] / n_remaining if n_remaining else 0.0 for t in REMAINING
    }
    out["n_imagenet_m"] = int(len(imagenet_m_codes))
    out["n_imagenet_m_errors"] = int((~MLA_OK[imagenet_m_codes, 0]).sum())
    return out


def without_accuracies(summary: dict[str, Any], reason: str) -> dict[str, Any]:
    """A summary with top-1 and every MLA variant (overall and per group) null, and `reason` in
    `not_measured`: for predictions that are not a sample of a model's outputs (only its mistakes),
    where those numbers would be read as the model's."""
    out = summary | {"top1": None, "not_measured": reason}
    out |= dict.fromkeys(MLA_CORRECT)
    out["groups"] = {g: block | dict.fromkeys(MLA_CORRECT) for g, block in summary["groups"].items()}
    return out


def summarize(codes: np.ndarray, top1: np.ndarray, ev: EvalArrays) -> dict[str, Any]:
    """Everything the summary and the stats tables need, over non-problematic predicted images.
    One bincount gives the (group combination, class, type) counts every block is a sum of."""
    predicted = top1 >= 0
    evaluated = predicted & ~ev.problematic
    out: dict[str, Any] = {
        "n_images": int(len(top1)),
        "n_predicted": int(predicted.sum()),
        "n_problematic_skipped": int((predicted & ev.problematic).sum()),
        "n_evaluated": int(evaluated.sum()),
        "top1": float(100 * (top1[predicted] == ev.target[predicted]).mean()) if predicted.any() else None,
        "not_measured": None,
    }
    out["has_imagenet_m"] = bool(ev.in_imagenet_m.any())
    n_types, n_combos = len(ERROR_TYPES), 2 ** len(imagenet.GROUPS)
    cell = (ev.group_combo[evaluated] * imagenet.NUM_CLASSES + ev.target[evaluated]) * n_types + codes[
        evaluated
    ]
    cube = np.bincount(cell, minlength=n_combos * imagenet.NUM_CLASSES * n_types)
    cube = cube.reshape(n_combos, imagenet.NUM_CLASSES, n_types)
    m = evaluated & ev.in_imagenet_m
    out |= block(cube.sum(axis=0), codes[m])
    out["groups"] = {}
    for k, g in enumerate(imagenet.GROUPS):
        combos = [c for c in range(n_combos) if c >> k & 1]
        out["groups"][g] = block(cube[combos].sum(axis=0), codes[m & ev.groups[:, k]])
    return out
