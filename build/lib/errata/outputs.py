"""What `errata classify` writes per model and per run (a contract: docs/design.md), and how to read
it back, in a module of their own so that readers of the results do not import the classifier.

`errors.parquet` stores `file_name` and `error_type` dictionary-encoded (pandas reads them as
categoricals); `read_errors` gives plain columns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
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
ERRORS = ERROR_TYPES[1:]  # every type but correct
REMAINING = ERROR_TYPES[3:]  # what remains once the label set's own causes are set aside


# Error types that each multi-label accuracy variant counts as correct.
MLA_CORRECT = {
    "mla": ("correct", "overlapping_classes", "multi_label"),
    "mla_minor": ("correct", "overlapping_classes", "multi_label", "fine_grained", "fine_grained_oov"),
    "mla_explainable": (
        "correct", "overlapping_classes", "multi_label", "fine_grained", "fine_grained_oov",
        "spurious_correlation", "non_prototypical",
    ),
}  # fmt: skip
MLA_OK = np.array([[t in ok for t in ERROR_TYPES] for ok in MLA_CORRECT.values()]).T  # (types, variants)


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


# Measured per model (42,164 rows): statistics and a dictionary attempt on 50,000 distinct file names
# cost time; the sorted names compress 60-fold with zstd, the class columns dictionary-encode to
# ~10 bits a value and gain nothing from compression. 7.5 ms and 190 kB, against 11 ms and 220 kB
# with zstd everywhere.
PARQUET_OPTIONS = {
    "use_dictionary": ["target", "top1", "error_type"],
    "compression": {
        "file_name": "zstd",
        "target": "none",
        "top1": "none",
        "error_type": "none",
        "problematic": "none",
    },
    "write_statistics": False,
}


def write_model(out_dir: Path, errors: pa.Table, summary: dict[str, Any]) -> None:
    """Plain writes: callers write into a staging directory, which is what makes them atomic."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(errors, out_dir / ERRORS_FILE, **PARQUET_OPTIONS)
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
