"""The most frequent (label, prediction) confusions per error type, with class names."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from errata import imagenet


def top_confusions(errors: Iterable[pd.DataFrame], error_type: str, n: int = 10) -> pd.DataFrame:
    """Most frequent (target, top1) pairs of `error_type` over non-problematic images of all
    the given models' errors tables."""
    parts = [e.loc[(e["error_type"] == error_type) & ~e["problematic"], ["target", "top1"]] for e in errors]
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["target", "top1"])
    counts = pairs.value_counts().head(n).reset_index(name="count")
    names = imagenet.class_names()
    counts.insert(1, "label", [names[i] for i in counts["target"]])
    counts.insert(3, "prediction", [names[i] for i in counts["top1"]])
    return counts
