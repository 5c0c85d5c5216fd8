"""Agreement with the experts: run the cascade on exactly the (file, prediction) pairs that
Vasudevan et al. reviewed and cross-tabulate their verdicts against ours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from errata import experts, predictions
from errata.atomic import write_json, write_with
from errata.cascade import rules
from errata.outputs import MLA_CORRECT
from errata.taxonomy.tables import Taxonomy

SEVERITIES = ("Major", "Minor", "Borderline")


def classify_pairs(model: str, ev: rules.EvalArrays, tax: Taxonomy) -> pd.DataFrame:
    """The experts' annotations of `model` with our error type beside each."""
    ann = experts.annotations(model).copy()
    preds = predictions.Predictions(ann["file_name"].to_numpy(str), ann["top1"].to_numpy(np.int64)[:, None])
    top1 = predictions.align(preds, ev.positions)
    codes = rules.classify(ev, tax, top1)
    at = ev.val_rows[preds.positions]
    evaluated = at >= 0
    ann["automated"] = np.where(evaluated, rules.names(codes[np.maximum(at, 0)]), "not evaluated")
    ann["problematic"] = evaluated & ev.problematic[np.maximum(at, 0)]
    return ann


def crosstabs(pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(expert category x automated, expert severity x automated) counts, with totals."""
    columns = [t for t in rules.ERROR_TYPES if t in set(pairs["automated"])]
    columns += sorted(set(pairs["automated"]) - set(columns))
    category = pd.crosstab(pairs["category"], pairs["automated"]).reindex(columns=columns, fill_value=0)
    severity = pd.crosstab(pairs["severity"], pairs["automated"]).reindex(
        index=[s for s in SEVERITIES if s in set(pairs["severity"])], columns=columns, fill_value=0
    )
    return category, severity


def rates(pairs: pd.DataFrame) -> dict[str, Any]:
    """Agreement rates over the given pairs; the OOV test is not run, so rates are also given
    without the pairs the experts called fine-grained OOV."""
    same = pairs["category"] == pairs["automated"]
    no_oov = pairs["category"] != "fine_grained_oov"
    major = pairs["severity"] == "Major"
    failure = pairs["automated"] == "model_failure"
    return {
        "n_pairs": int(len(pairs)),
        "category_agreement": float(same.mean()),
        "category_agreement_without_expert_oov": float(same[no_oov].mean()),
        "major_called_model_failure": float(failure[major].mean()) if major.any() else None,
        "model_failure_that_is_major": float(major[failure].mean()) if failure.any() else None,
        "automated_counted_correct": float(pairs["automated"].isin(MLA_CORRECT["mla"]).mean()),
    }


def write(ev: rules.EvalArrays, tax: Taxonomy, label_set: str, out: Path) -> dict[str, Any]:
    """Per expert model: pairs, both cross-tables (CSV, named by `experts.file_stem`) and the rates
    (agreement.json, keyed by the model's zoo id)."""
    out = Path(out)
    report: dict[str, Any] = {
        "label_set": label_set,
        "note": "cross-tables and rates over the pairs whose image is not problematic under the label set",
        "models": {},
    }
    for model in experts.MODELS:
        pairs = classify_pairs(model, ev, tax)
        kept = pairs[~pairs["problematic"] & (pairs["automated"] != "not evaluated")]
        category, severity = crosstabs(kept)
        stem = out / experts.file_stem(model)
        write_with(Path(f"{stem}_pairs.csv"), lambda tmp, df=pairs: df.to_csv(tmp, index=False))
        write_with(Path(f"{stem}_category.csv"), lambda tmp, df=category: df.to_csv(tmp))
        write_with(Path(f"{stem}_severity.csv"), lambda tmp, df=severity: df.to_csv(tmp))
        report["models"][model] = {"n_annotated": len(pairs), **rates(kept)}
    write_json(out / "agreement.json", report)
    return report
