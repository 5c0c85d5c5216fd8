"""Classify the errors of many models against one evaluation set and taxonomy.

`run` is the whole job of `errata classify` and of the `classify` stage. The cascade is evaluated
once per evaluation set into a verdict table (`rules.verdict_table`), so each model costs a
typed read of its file, one gather and a few bincounts; the results of all models appear in `out`
together, or not at all.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from errata import __version__, inputs, labelsets, outputs, predictions, zoo
from errata.atomic import staged_dir, write_json
from errata.cascade import rules
from errata.classify import metrics
from errata.errors import ErrataError
from errata.oov import decisions
from errata.outputs import RUN_FILE
from errata.taxonomy import build, tables

TAXONOMY_SUBDIR = "taxonomy"
MIN_MODELS_PER_WORKER = 16  # below this many models per worker, one process is as fast
NOTES = [
    "non_prototypical: a lookup of the 36 images experts labelled non-prototypical, not a detector",
    "error_type is empty for problematic images: their label set is unreliable, so no verdict is given",
]


@dataclass(frozen=True)
class Shared:
    """What every model of a run shares, built once: the evaluation set, its verdict table (with the
    FG-OOV decisions in it) and the dictionaries of the errors tables."""

    ev: rules.EvalArrays
    verdicts: np.ndarray
    lookup: decisions.Lookup | None
    columns: dict[str, pa.Array]  # file_name, target, problematic over every row (full coverage)
    types: pa.Array

    @classmethod
    def build(cls, ev: rules.EvalArrays, tax: tables.Taxonomy, lookup: decisions.Lookup | None) -> Shared:
        verdicts = rules.verdict_table(ev, tax)
        if lookup is not None:
            decisions.apply(verdicts, ev, lookup)
        columns = {
            "file_name": pa.array(ev.file_names),
            "target": pa.array(ev.target.astype(np.int16)),
            "problematic": pa.array(ev.problematic),
        }
        return cls(ev, verdicts, lookup, columns, pa.array(rules.ERROR_TYPES))


def classify_model(
    path: Path, shared: Shared, read: predictions.Top1 | None = None
) -> tuple[pa.Table, dict[str, Any]]:
    """(errors table, summary) of one predictions file (`read`: the file already read)."""
    ev = shared.ev
    read = read or predictions.read_top1(path)
    top1 = read.by_position[ev.positions].astype(np.int64)
    codes = rules.lookup(shared.verdicts, top1)
    missing = codes == decisions.MISSING
    if missing.any():
        raise ErrataError(
            f"{path}: {int(missing.sum())} of this model's (image, class) pairs have no FG-OOV "
            f"decision; decide them with this model's predictions included (`errata oov decide`)"
        )
    summary = metrics.summarize(codes, top1, ev)
    summary["n_outside_evaluation_set"] = int(read.n_rows - summary["n_predicted"])
    summary["n_skipped_unreadable"] = read.n_skipped_unreadable
    summary |= _oov_fields(codes, top1, shared)
    summary["notes"] = [decisions.note(shared.lookup), *NOTES]
    return _errors_table(codes, top1, shared), summary


def _oov_fields(codes: np.ndarray, top1: np.ndarray, shared: Shared) -> dict[str, Any]:
    if shared.lookup is None:
        return {"oov_test_run": False, "oov_gate": None}
    ev = shared.ev
    reaches = (codes > rules.CODE["fine_grained_oov"]) & (top1 >= 0) & ~ev.problematic
    return {
        "oov_test_run": True,
        "oov_gate": shared.lookup.meta["settings"]["gate"],
        "n_oov_not_embedded": int((reaches & ~shared.lookup.embedded[ev.positions]).sum()),
    }


def _errors_table(codes: np.ndarray, top1: np.ndarray, shared: Shared) -> pa.Table:
    """One row per predicted image, in evaluation-set order; error types dictionary-encoded against
    a dictionary shared by every model."""
    ev = shared.ev
    rows = np.flatnonzero(top1 >= 0)
    full = len(rows) == len(top1)  # the common case: the shared columns serve as they are
    fixed = shared.columns if full else {k: c.take(pa.array(rows)) for k, c in shared.columns.items()}
    no_verdict = ev.problematic[rows]
    return pa.table(
        {
            "file_name": fixed["file_name"],
            "target": fixed["target"],
            "top1": pa.array(top1[rows].astype(np.int16)),
            "error_type": pa.DictionaryArray.from_arrays(
                pa.array(codes[rows], mask=no_verdict, type=pa.int8()), shared.types
            ),
            "problematic": fixed["problematic"],
        }
    )


_JOB: tuple[Shared, Path, dict[str, Any]] | None = None  # set before forking: workers inherit it


Item = tuple[str, Path, predictions.Top1 | None]  # model id, predictions file, the file if read


def _classify_into(item: Item) -> dict[str, Any]:
    """Classify one model and write its files into the staging directory; returns its summary."""
    assert _JOB is not None
    shared, stage, config = _JOB
    mid, path, read = item
    errors, summary = classify_model(path, shared, read)
    if zoo.mistakes_only(mid):
        summary = metrics.without_accuracies(summary, zoo.MISTAKES_ONLY_NOTE)
    summary = {"model": mid, "predictions": str(path), **config, **summary}
    outputs.write_model(stage / mid, errors, summary)
    return summary


def _classify_all(
    items: list[Item], shared: Shared, stage: Path, config: dict[str, Any], workers: int
) -> Iterator[dict[str, Any]]:
    """Models in order. With several workers and enough models, forked processes share them: they
    inherit the shared tables without copying, and threads would serialise on the GIL (measured:
    11.6 s for 962 models in 2 processes, 16 s in 2 threads)."""
    global _JOB
    _JOB = (shared, stage, config)
    bar = {"total": len(items), "desc": "classify", "unit": "model", "disable": len(items) < 20}
    fork = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or len(items) < MIN_MODELS_PER_WORKER * workers or not fork:
        yield from tqdm(map(_classify_into, items), **bar)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from tqdm(pool.imap(_classify_into, items, chunksize=16), **bar)


def run(
    prediction_paths: Sequence[Path],
    out: Path,
    *,
    labels: str | None = None,
    evalset_path: Path | None = None,
    taxonomy_dir: Path | None = None,
    cooccurrence_dir: Path | None = None,
    oov_decisions: Path | None = None,
    workers: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Classify every predictions file; write OUT/<model>/{errors.parquet,summary.json}, OUT/run.json
    and, when no taxonomy is given, the one built for the run in OUT/taxonomy. With `oov_decisions`
    (from `errata oov decide`) errors the CLIP test explains become fine_grained_oov. `workers`
    processes share the models (default: the usable cores, at most 8)."""
    out = inputs.require_out_dir(out)
    ids = predictions.check_ids(prediction_paths)
    lookup = None if oov_decisions is None else decisions.read(oov_decisions).lookup()
    evalset, spec = labelsets.evaluation_set(labels, evalset_path)
    if cooccurrence_dir is not None and taxonomy_dir is None:
        raise ErrataError("--cooccurrence needs --taxonomy (a built taxonomy it goes with)")
    config = {
        "label_set": spec,
        "evalset": str(evalset_path) if evalset_path else None,
        "oov_decisions": str(oov_decisions) if oov_decisions else None,
    }
    paths = [Path(p) for p in prediction_paths]
    # Building a taxonomy takes seconds: read the files first, so a bad one fails at once
    early = [predictions.read_top1(p) for p in paths] if taxonomy_dir is None else [None] * len(paths)
    summaries: dict[str, dict[str, Any]] = {}
    with staged_dir(out) as stage:
        if taxonomy_dir is None:
            tax = build.build(stage / TAXONOMY_SUBDIR, evalset, spec)
            config["taxonomy"] = str(out / TAXONOMY_SUBDIR)
        else:
            tax = tables.load(taxonomy_dir, cooccurrence_dir)
            config["taxonomy"] = str(taxonomy_dir)
        config["cooccurrence"] = str(cooccurrence_dir or config["taxonomy"])
        shared = Shared.build(rules.EvalArrays.build(evalset, tax), tax, lookup)
        items = list(zip(ids, paths, early, strict=True))
        for summary in _classify_all(
            items, shared, stage, config, default_workers() if workers is None else workers
        ):
            summaries[summary["model"]] = summary
        write_json(stage / RUN_FILE, {"errata_version": __version__, **config, "models": list(summaries)})
    return summaries


def default_workers() -> int:
    return max(
        1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    )


def describe(summary: dict[str, Any]) -> str:
    if summary["not_measured"]:
        accuracies = "mistakes only (top-1 and MLA not measured)"
    else:
        accuracies = f"top-1 {summary['top1']:.2f}%, MLA {summary['mla']:.2f}%"
    return (
        f"{summary['model']}: {accuracies}, "
        f"{summary['n_top1_errors']} errors over {summary['n_evaluated']} evaluated images"
    )
