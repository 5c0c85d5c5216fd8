"""Common co-occurrence pairs: classes that often appear together in one image (ReaL label sets with
the original label added), counted over images disjoint from the evaluated ones."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from errata import imagenet, lookup
from errata.errors import ErrataError

IMAGE_CHOICES = ("auto", "all", "disjoint")
REFERENCE_IMAGES = 30_000  # the reference counted the 30,000 validation images outside its multi-label set
DEFAULT_MIN_COUNT = 2  # per REFERENCE_IMAGES counted images


def count_images(evaluated: set[str], label_set: str, images: str) -> list[int]:
    """Validation image indices to count over.

    auto: every image when the evaluated label set is ReaL itself (an error's prediction is never
    in its own image's label set, so the image cannot explain its own error), else `disjoint`.
    """
    lookup.check_name("co-occurrence images choice", images, IMAGE_CHOICES)
    if images == "all" or (images == "auto" and label_set == "real"):
        return list(range(imagenet.NUM_VAL_IMAGES))
    held_out = [i for i in range(imagenet.NUM_VAL_IMAGES) if imagenet.val_file_name(i) not in evaluated]
    if not held_out:  # no common pair at all: every spurious correlation would silently vanish
        raise ErrataError(
            f"co-occurrence images {images!r}: label set {label_set!r} evaluates all 50,000 images, so "
            "none is left to count co-occurrences over; set cooccurrence.images: all"
        )
    return held_out


def count_matrix(label_lists: Sequence[Sequence[int]], targets: Sequence[int]) -> np.ndarray:
    """Symmetric int 1000x1000: number of images whose labels (plus target) hold both classes."""
    a: list[int] = []
    b: list[int] = []
    for labels, target in zip(label_lists, targets, strict=True):
        for i, j in combinations(sorted({*labels, int(target)}), 2):
            a.append(i)
            b.append(j)
    out = np.zeros((imagenet.NUM_CLASSES, imagenet.NUM_CLASSES), dtype=np.int32)
    np.add.at(out, (np.array(a, dtype=np.intp), np.array(b, dtype=np.intp)), 1)
    return out + out.T


def effective_min_count(min_count: int, per_images: int | None, n_images: int) -> int:
    """The threshold as a frequency: `min_count` co-occurrences per `per_images` counted images,
    scaled to the images actually counted and rounded half up (2 per 30,000 is 3 over 50,000), so a
    pair is common at the same rate whichever images are counted. `per_images` None: `min_count` as is."""
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ErrataError(f"co-occurrence min_count must be a positive integer, got {min_count!r}")
    if per_images is None:
        return min_count
    if isinstance(per_images, bool) or not isinstance(per_images, int) or per_images < 1:
        raise ErrataError(f"co-occurrence per_images must be a positive integer or null, got {per_images!r}")
    return max(1, (2 * min_count * n_images + per_images) // (2 * per_images))


def common_pairs(counts: np.ndarray, same_superclass: np.ndarray, min_count: int) -> np.ndarray:
    """Boolean 1000x1000: co-occur at least `min_count` times and share no superclass."""
    return (counts >= min_count) & ~same_superclass


def pairs_table(counts: np.ndarray, common: np.ndarray) -> pd.DataFrame:
    names = imagenet.class_names()
    ia, ib = np.nonzero(np.triu(common, k=1))
    df = pd.DataFrame(
        {
            "class_a": ia,
            "class_b": ib,
            "name_a": [names[i] for i in ia],
            "name_b": [names[i] for i in ib],
            "count": counts[ia, ib],
        }
    )
    return df.sort_values(["count", "class_a", "class_b"], ascending=[False, True, True], ignore_index=True)


def build(
    evaluated: set[str],
    label_set: str,
    images: str,
    min_count: int,
    per_images: int | None,
    same_superclass: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """(counts, common, report) over ReaL labels of the chosen images."""
    idx = count_images(evaluated, label_set, images)
    threshold = effective_min_count(min_count, per_images, len(idx))
    real = imagenet.real_labels()
    targets = imagenet.validation_index()["target"].to_numpy()
    counts = count_matrix([real[i] for i in idx], targets[idx])
    common = common_pairs(counts, same_superclass, threshold)
    report = {
        "images": images,
        "label_set": label_set,
        "n_images_counted": len(idx),
        "min_count": min_count,
        "per_images": per_images,
        "effective_min_count": threshold,
        "n_pairs_cooccurring": int(np.triu(counts > 0, k=1).sum()),
        "n_common_pairs": int(np.triu(common, k=1).sum()),
    }
    return counts, common, report
