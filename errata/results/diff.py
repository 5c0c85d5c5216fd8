"""What changed between two models: per error type, the errors A makes that B fixes, and back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from errata import imagenet
from errata.errors import ErrataError
from errata.outputs import ERROR_TYPES, ERRORS_FILE, MLA_CORRECT, SUMMARY_FILE, read_errors

COUNTED_CORRECT = MLA_CORRECT["mla"]


def load_errors(classified: Path, model: str) -> pd.DataFrame:
    path = Path(classified) / model / ERRORS_FILE
    if not path.exists():
        known = sorted(p.parent.name for p in Path(classified).glob(f"*/{ERRORS_FILE}"))
        raise ErrataError(f"no classified model {model!r} in {classified}; known: {', '.join(known)}")
    return read_errors(path)


def require_same_label_set(classified: Path, model_a: str, model_b: str) -> str:
    """Both models were classified under one label set: otherwise their verdicts on an image
    answer different questions and the comparison would be meaningless."""
    sets = {}
    for m in (model_a, model_b):
        path = Path(classified) / m / SUMMARY_FILE
        if not path.exists():
            load_errors(classified, m)  # names the known models
            raise ErrataError(f"{path} is missing: classify {m!r} again")
        sets[m] = json.loads(path.read_text())["label_set"]
    if sets[model_a] != sets[model_b]:
        raise ErrataError(
            f"{model_a} was classified with label set {sets[model_a]!r} and {model_b} with "
            f"{sets[model_b]!r}; classify both with the same --labels to compare them"
        )
    return sets[model_a]


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Non-problematic images both models predicted, with both verdicts side by side."""
    both = a.merge(b, on=["file_name", "target", "problematic"], suffixes=("_a", "_b"))
    return both[~both["problematic"]]


def fixes(both: pd.DataFrame, n_examples: int = 5) -> pd.DataFrame:
    """Per error type of the erring model: how many of its errors the other model gets right
    (counts as correct: correct, overlapping classes, multi-label), with example files."""
    ok_a = both["error_type_a"].isin(COUNTED_CORRECT)
    ok_b = both["error_type_b"].isin(COUNTED_CORRECT)
    rows = []
    for direction, wrong, right, col in (
        ("A errs, B fixes", ~ok_a, ok_b, "a"),
        ("B errs, A fixes", ~ok_b, ok_a, "b"),
    ):
        changed = both[wrong & right]
        groups = changed.groupby(f"error_type_{col}")
        for etype, group in sorted(groups, key=lambda kv: ERROR_TYPES.index(kv[0])):
            rows.append(
                {
                    "direction": direction,
                    "error_type": etype,
                    "count": len(group),
                    "examples": " ".join(group["file_name"].head(n_examples)),
                }
            )
    return pd.DataFrame(rows, columns=["direction", "error_type", "count", "examples"])


def render(model_a: str, model_b: str, both: pd.DataFrame, table: pd.DataFrame) -> str:
    lines = [f"A = {model_a}, B = {model_b}: {len(both)} non-problematic images predicted by both"]
    for direction, group in table.groupby("direction", sort=False):
        lines.append(f"{direction}: {int(group['count'].sum())}")
        for row in group.itertuples():
            lines.append(f"  {row.error_type:22s} {row.count:6d}  e.g. {row.examples}")
    if table.empty:
        lines.append("no error of either model is fixed by the other")
    return "\n".join(lines)


def fixed_images(both: pd.DataFrame, erring: str, error_type: str) -> pd.DataFrame:
    """The images on which model `erring` ('a' or 'b') makes an `error_type` error that the other
    model fixes, with class names: `file_name`, `label`, `prediction` (of the erring model), and
    the other model's `fix` (its prediction) and `fix_verdict`."""
    other = {"a": "b", "b": "a"}[erring]
    fixed = both[f"error_type_{other}"].isin(COUNTED_CORRECT)
    rows = both[(both[f"error_type_{erring}"] == error_type) & fixed]
    names = imagenet.display_names()
    return pd.DataFrame(
        {
            "file_name": rows["file_name"].to_numpy(),
            "label": [names[i] for i in rows["target"]],
            "prediction": [names[i] for i in rows[f"top1_{erring}"]],
            "fix": [names[i] for i in rows[f"top1_{other}"]],
            "fix_verdict": rows[f"error_type_{other}"].astype(str).to_numpy(),
        }
    )
