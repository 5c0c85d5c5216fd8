"""The light FG-OOV job of `errata oov decide` and the `oov` stage: which pairs the models need,
decided from cached embeddings (reusing a previous table where it fits), written with a report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from errata import labelsets, predictions
from errata.atomic import write_json
from errata.cascade import rules
from errata.errors import ErrataError
from errata.oov import decisions, embeddings
from errata.taxonomy import tables


def decide(
    prediction_paths: Sequence[Path],
    out: Path,
    *,
    embeddings_dir: Path,
    taxonomy_dir: Path,
    cooccurrence_dir: Path | None = None,
    evalset_path: Path | None = None,
    labels: str | None = None,
    report_path: Path | None = None,
) -> dict[str, Any]:
    """Decide every (image, class) pair the models need into `out` (a decisions .parquet); a table
    already at `out` made from the same embeddings and superclasses is reused."""
    out = Path(out)
    if out.suffix != ".parquet":
        raise ErrataError(f"--out {out}: the decisions table is a .parquet file")
    ids = predictions.check_ids(prediction_paths)
    evalset, _ = labelsets.evaluation_set(labels, evalset_path)
    tax = tables.load(taxonomy_dir, cooccurrence_dir)
    images = embeddings.read_images(Path(embeddings_dir) / embeddings.IMAGES_FILE)
    prompts = embeddings.read_prompts(Path(embeddings_dir) / embeddings.PROMPTS_FILE)
    ctx = decisions.Context.build(images, prompts, tax.same_superclass)
    ev = rules.EvalArrays.build(evalset, tax)
    top1s = (predictions.read_top1(p).by_position[ev.positions].astype("int64") for p in prediction_paths)
    keys = decisions.needed_keys(ev, rules.verdict_table(ev, tax), top1s)
    table, n_new = decisions.update(keys, ctx, decisions.read_if_present(out))
    decisions.write(out, table)
    report = decisions.summary(table, n_new) | {"models": ids}
    if report_path is not None:
        write_json(report_path, report)
    return report


def not_run_report(reason: str) -> dict[str, Any]:
    return {"run": False, "reason": reason}
