"""What `errata classify` writes per model and per run (a contract: docs/design.md), and how to read
it back, in a module of their own so that readers of the results do not import the classifier.

`errors.parquet` stores `file_name` and `error_type` dictionary-encoded (pandas reads them as
categoricals); `read_errors` gives plain columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

ERRORS_FILE = "errors.parquet"
SUMMARY_FILE = "summary.json"
RUN_FILE = "run.json"
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


def read_errors(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    df = pd.read_parquet(path, columns=columns)
    if "file_name" in df:
        df["file_name"] = df["file_name"].astype(str)
    if "error_type" in df:
        df["error_type"] = df["error_type"].astype("string")
    return df


def read_codes(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target, top1, error-type code) per row, code -1 where there is no verdict (problematic),
    straight from the dictionary indices: no strings are built."""
    table = pq.read_table(path, columns=["target", "top1", "error_type"])
    etype = table["error_type"].combine_chunks()
    lookup = np.array([ERROR_TYPES.index(t) for t in etype.dictionary.to_pylist()], np.int64)
    codes = lookup[etype.indices.fill_null(0).to_numpy().astype(np.int64)]
    codes[etype.is_null().to_numpy(zero_copy_only=False)] = -1
    return table["target"].to_numpy().astype(np.int64), table["top1"].to_numpy().astype(np.int64), codes
