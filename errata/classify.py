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

from errata import __version__, cascade, decisions, inputs, labelsets, metrics, predictions, taxonomy
from errata.atomic import staged_dir, write_json, write_with
from errata.errors import ErrataError
from errata.outputs import ERRORS_FILE, RUN_FILE, SUMMARY_FILE

TAXONOMY_SUBDIR = "taxonomy"
DEFAULT_LABEL_SET = "real"
OOV_NOT_RUN = "fine_grained_oov: the CLIP out-of-vocabulary test was not run, so no error is fine_grained_oov"
NOTES = [
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


def oov_note(lookup: decisions.Lookup | None) -> str:
    if lookup is None:
        return OOV_NOT_RUN
    s = lookup.meta["settings"]
    weights = "random weights" if s["random_weights"] else s["pretrained"]
    return (
        f"fine_grained_oov: CLIP test run with open_clip {s['model']} ({weights}), gate {s['gate']}, over "
        f"{lookup.meta['n_images_embedded']} embedded images; compare FG-OOV counts only under the same gate"
    )


def _oov(
    model: ModelInput,
    ev: cascade.EvalArrays,
    tax: taxonomy.Taxonomy,
    top1: np.ndarray,
    lookup: decisions.Lookup | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The model's codes with the FG-OOV decisions applied; fails if a pair the model needs was not
    decided although its image was embedded (the decisions were made for other models)."""
    if lookup is None:
        return cascade.classify(ev, tax, top1), {"oov_test_run": False, "oov_gate": None}
    codes = cascade.classify(ev, tax, top1, lookup.oov_mask(ev.positions, top1))
    reaches = (codes >= cascade.CODE["fine_grained_oov"]) & ~ev.problematic
    undecided = lookup.undecided(ev.positions[reaches], top1[reaches])
    if undecided.any():
        raise ErrataError(
            f"{model.path}: {int(undecided.sum())} of this model's (image, class) pairs have no FG-OOV "
            f"decision; decide them with this model's predictions included (`errata oov decide`)"
        )
    not_embedded = int((~lookup.embedded[ev.positions[reaches]]).sum())
    return codes, {
        "oov_test_run": True,
        "oov_gate": lookup.meta["settings"]["gate"],
        "n_oov_not_embedded": not_embedded,
    }


def classify_model(
    model: ModelInput, ev: cascade.EvalArrays, tax: taxonomy.Taxonomy, lookup: decisions.Lookup | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(errors table, summary) of one model; `lookup` holds the FG-OOV decisions, if the test ran."""
    top1 = model.top1_by_position[ev.positions].astype(np.int64)
    codes, oov_info = _oov(model, ev, tax, top1, lookup)
    summary = metrics.summarize(codes, top1, ev)
    summary["n_outside_evaluation_set"] = int(model.n_rows - summary["n_predicted"])
    summary["n_skipped_unreadable"] = model.n_skipped_unreadable
    summary |= oov_info
    summary["notes"] = [oov_note(lookup), *NOTES]
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
    oov_decisions: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Classify every predictions file; write OUT/<model>/{errors.parquet,summary.json}, OUT/run.json
    and, when no taxonomy is given, the one built for the run in OUT/taxonomy. With `oov_decisions`
    (from `errata oov decide`) errors the CLIP test explains become fine_grained_oov."""
    out = inputs.require_out_dir(out)
    models = read_inputs(prediction_paths)
    lookup = None if oov_decisions is None else decisions.read(oov_decisions).lookup()
    evalset, spec = evaluation_set(labels, evalset_path)
    if cooccurrence_dir is not None and taxonomy_dir is None:
        raise ErrataError("--cooccurrence needs --taxonomy (a built taxonomy it goes with)")
    config = {
        "label_set": spec,
        "evalset": str(evalset_path) if evalset_path else None,
        "oov_decisions": str(oov_decisions) if oov_decisions else None,
    }
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
            errors, summary = classify_model(m, ev, tax, lookup)
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
