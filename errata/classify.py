"""Classify the errors of many models against one evaluation set and taxonomy.

`run` is the whole job of `errata classify` and of the `classify` stage: every input is read and
checked before anything is built, and the results of all models appear in `out` together, or not
at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from errata import __version__, cascade, inputs, labelsets, metrics, predictions, taxonomy
from errata.atomic import staged_dir, write_json, write_with
from errata.errors import ErrataError
from errata.outputs import ERRORS_FILE, RUN_FILE, SUMMARY_FILE

TAXONOMY_SUBDIR = "taxonomy"
DEFAULT_LABEL_SET = "real"
NOTES = [
    "fine_grained_oov: the CLIP out-of-vocabulary test was not run, so no error is fine_grained_oov",
    "non_prototypical: a lookup of the 36 images experts labelled non-prototypical, not a detector",
    "error_type is empty for problematic images: their label set is unreliable, so no verdict is given",
]


def model_id(path: Path) -> str:
    return Path(path).stem


@dataclass(frozen=True)
class ModelInput:
    """A checked predictions file, reduced to what classification needs (100 kB per model)."""

    model: str
    path: Path
    n_rows: int
    top1_by_position: np.ndarray
    n_skipped_unreadable: int


def read_inputs(paths: Sequence[Path]) -> list[ModelInput]:
    """Read and check every predictions file; fails on the first bad one, naming it."""
    ids = [model_id(p) for p in paths]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise ErrataError(f"two predictions files share the model id {dups[0]!r} (the file stem)")
    out = []
    pairs = list(zip(paths, ids, strict=True))
    for path, mid in tqdm(pairs, desc="read", unit="file", disable=len(pairs) < 20):
        preds = predictions.read(Path(path))
        skipped = 0 if preds.skipped_files is None else len(preds.skipped_files)
        out.append(ModelInput(mid, Path(path), len(preds), preds.top1_by_position(), skipped))
    return out


def evaluation_set(labels: str | None, evalset_path: Path | None) -> tuple[pd.DataFrame, str]:
    """The evaluation set and its label-set spec: read from `evalset_path` (which records the spec
    it was built from) or built from `labels`."""
    if evalset_path is None:
        spec = labels or DEFAULT_LABEL_SET
        return labelsets.build(spec), spec
    evalset, spec = labelsets.read(evalset_path)
    if labels is not None and labels != spec:
        raise ErrataError(
            f"--evalset {evalset_path} was built from label set {spec!r}, not --labels {labels!r}; "
            f"leave out --labels, or rebuild the evaluation set with `errata prepare --labels {labels}`"
        )
    return evalset, spec


def classify_model(
    model: ModelInput, ev: cascade.EvalArrays, tax: taxonomy.Taxonomy
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(errors table, summary) of one model."""
    top1 = model.top1_by_position[ev.positions].astype(np.int64)
    codes = cascade.classify(ev, tax, top1)
    summary = metrics.summarize(codes, top1, ev)
    summary["n_outside_evaluation_set"] = int(model.n_rows - summary["n_predicted"])
    summary["n_skipped_unreadable"] = model.n_skipped_unreadable
    summary["oov_test_run"] = False
    summary["notes"] = NOTES
    predicted = top1 >= 0
    verdict = np.where(ev.problematic, cascade.NOT_PREDICTED, codes)
    errors = pd.DataFrame(
        {
            "file_name": ev.file_names[predicted],
            "target": ev.target[predicted].astype(np.int16),
            "top1": top1[predicted].astype(np.int16),
            "error_type": pd.Series(cascade.names(verdict[predicted]), dtype="string").replace("", pd.NA),
            "problematic": ev.problematic[predicted],
        }
    )
    return errors, summary


def write_model(out_dir: Path, errors: pd.DataFrame, summary: dict[str, Any]) -> None:
    out_dir = Path(out_dir)
    write_with(out_dir / ERRORS_FILE, lambda tmp: errors.to_parquet(tmp, index=False))
    write_json(out_dir / SUMMARY_FILE, summary)


def run(
    prediction_paths: Sequence[Path],
    out: Path,
    *,
    labels: str | None = None,
    evalset_path: Path | None = None,
    taxonomy_dir: Path | None = None,
    cooccurrence_dir: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Classify every predictions file; write OUT/<model>/{errors.parquet,summary.json}, OUT/run.json
    and, when no taxonomy is given, the one built for the run in OUT/taxonomy."""
    out = inputs.require_out_dir(out)
    models = read_inputs(prediction_paths)
    evalset, spec = evaluation_set(labels, evalset_path)
    if cooccurrence_dir is not None and taxonomy_dir is None:
        raise ErrataError("--cooccurrence needs --taxonomy (a built taxonomy it goes with)")
    config = {"label_set": spec, "evalset": str(evalset_path) if evalset_path else None}
    summaries: dict[str, dict[str, Any]] = {}
    with staged_dir(out) as stage:
        if taxonomy_dir is None:
            tax = _build_taxonomy(stage / TAXONOMY_SUBDIR, evalset, spec)
            config["taxonomy"] = str(out / TAXONOMY_SUBDIR)
        else:
            tax = taxonomy.load(taxonomy_dir, cooccurrence_dir)
            config["taxonomy"] = str(taxonomy_dir)
        config["cooccurrence"] = str(cooccurrence_dir or config["taxonomy"])
        ev = cascade.EvalArrays.build(evalset, tax.non_prototypical)
        for m in tqdm(models, desc="classify", unit="model"):
            errors, summary = classify_model(m, ev, tax)
            summaries[m.model] = {"model": m.model, "predictions": str(m.path), **config, **summary}
            write_model(stage / m.model, errors, summaries[m.model])
        write_json(stage / RUN_FILE, {"errata_version": __version__, **config, "models": list(summaries)})
    return summaries


def _build_taxonomy(where: Path, evalset: pd.DataFrame, spec: str) -> taxonomy.Taxonomy:
    taxonomy.write_superclasses(None, where)
    taxonomy.write_cooccurrence(where, evalset, spec, "auto", taxonomy.DEFAULT_MIN_COUNT, where)
    return taxonomy.load(where)


def describe(summary: dict[str, Any]) -> str:
    return (
        f"{summary['model']}: top-1 {summary['top1']:.2f}%, MLA {summary['mla']:.2f}%, "
        f"{summary['n_top1_errors']} errors over {summary['n_evaluated']} evaluated images"
    )
