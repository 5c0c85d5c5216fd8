"""The reference's published per-model statistics (Peychev et al. 2023: 962 models, multi-label
set, non-problematic images), read through the sources registry."""

from __future__ import annotations

import pandas as pd

from errata import sources

LABEL_SET_SHORT = "multi-label set, 18,692 images"


def stats(table: str) -> pd.DataFrame:
    """Published stats for `table` in all / organism / artifact / other."""
    return pd.read_csv(sources.fetch(f"eth_stats_{table}"))
