"""Classify the errors of many models against one evaluation set and taxonomy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from errata import __version__, cascade, metrics, predictions
from errata.atomic import write_json, write_with
from errata.errors import ErrataError
from errata.taxonomy import Taxonomy

ERRORS_FILE = "errors.parquet"
SUMMARY_FILE = "summary.json"


def model_id(path: Path) -> str:
    return Path(path).stem


def classify_model(
    preds: predictions.Predictions, ev: cascade.EvalArrays, tax: Taxonomy, where: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(errors table, summary) of one model."""
    top1 = predictions.align(preds, ev.val_rows, where)
    codes = cascade.classify(ev, tax, top1)
    summary = metrics.summarize(codes, top1, ev)
    summary["n_outside_evaluation_set"] = int(len(preds) - summary["n_predicted"])
    summary["oov_test_run"] = False
    summary["notes"] = [
        "fine_grained_oov: the CLIP out-of-vocabulary test was not run, so no error is fine_grained_oov",
        "non_prototypical: a lookup of the 36 images experts labelled non-prototypical, not a detector",
    ]
    predicted = top1 >= 0
    errors = pd.DataFrame(
        {
            "file_name": ev.file_names[predicted],
            "target": ev.target[predicted].astype(np.int16),
            "top1": top1[predicted].astype(np.int16),
            "error_type": cascade.names(codes[predicted]).astype(str),
            "problematic": ev.problematic[predicted],
        }
    )
    return errors, summary


def write_model(out_dir: Path, errors: pd.DataFrame, summary: dict[str, Any]) -> None:
    out_dir = Path(out_dir)
    write_with(out_dir / ERRORS_FILE, lambda tmp: errors.to_parquet(tmp, index=False))
    write_json(out_dir / SUMMARY_FILE, summary)


def classify_files(
    paths: Sequence[Path], ev: cascade.EvalArrays, tax: Taxonomy, out: Path, config: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Classify every predictions file; write DIR/<model>/{errors.parquet,summary.json}."""
    ids = [model_id(p) for p in paths]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ErrataError(f"two predictions files share the model id {dup!r} (the file stem)")
    summaries = {}
    for path, mid in tqdm(list(zip(paths, ids, strict=True)), desc="classify", unit="model"):
        errors, summary = classify_model(predictions.read(path), ev, tax, str(path))
        summary = {"model": mid, "predictions": str(path), **config, **summary}
        write_model(Path(out) / mid, errors, summary)
        summaries[mid] = summary
    write_json(Path(out) / "run.json", {"errata_version": __version__, **config, "models": ids})
    return summaries
