"""The reference's published per-model statistics (Peychev et al. 2023: 962 models, multi-label
set, non-problematic images), read through the sources registry."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from errata import sources
from errata.errors import ErrataError

LABEL_SET_SHORT = "multi-label set, 18,692 images"


def stats(table: str) -> pd.DataFrame:
    """Published stats for `table` in all / organism / artifact / other."""
    return pd.read_csv(sources.fetch(f"eth_stats_{table}"))


PRETRAINING = ("ImageNet-1k", "ImageNet-21k/22k", "larger/other", "unknown")  # coarse buckets


def training_bucket(training_data: object) -> str:
    """Coarse pre-training bucket; the published strings ("ImageNet-21k (14M)", ...) are too many."""
    if not isinstance(training_data, str) or not training_data.strip():
        return "unknown"
    text = training_data.lower()
    if text.startswith("imagenet-1k"):
        return "ImageNet-1k"
    if "imagenet-21k" in text or "imagenet-22k" in text:
        return "ImageNet-21k/22k"
    return "larger/other"


def select(
    df: pd.DataFrame,
    pretraining: Collection[str] | None = None,
    families: Collection[str] | None = None,
    min_params: float | None = None,
    max_params: float | None = None,
) -> pd.DataFrame:
    """The published models of some pre-training buckets (`PRETRAINING`), architecture
    families (`arch_family`) and a parameter range (bounds included); None selects all. An unknown
    bucket or family is an error: a misspelt one would silently leave nothing to compare with."""
    keep = pd.Series(True, index=df.index)
    if pretraining is not None:
        _known(pretraining, PRETRAINING, "pre-training bucket")
        keep &= df["training_data"].map(training_bucket).isin(pretraining)
    if families is not None:
        _known(families, set(df["arch_family"]), "architecture family")
        keep &= df["arch_family"].isin(families)
    if min_params is not None:
        keep &= df["num_params"] >= min_params
    if max_params is not None:
        keep &= df["num_params"] <= max_params
    return df[keep]


def _known(values: Collection[str], known: Collection[str], what: str) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ErrataError(
            f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}"
        )
