"""Comparing the project's superclasses with the reference implementation's own
per-image verdicts (a JSON of records per reference category: file, target, multi_labels, pred, and
for FG-OOV cases the five best CLIP proposals and the number of prompts)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from errata import imagenet
from errata.errors import ErrataError

CATEGORIES = (
    "multi_label",
    "overlapping_classes",
    "fg",
    "fg-OOV",
    "non-proto",
    "spurious_correlation",
    "model_failure",
)
RECORD_KEYS = ("file", "target", "multi_labels", "pred")


def read_verdicts(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The verdicts file, checked: every category a list of records with class indices in range."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ErrataError(f"{path}: cannot read reference verdicts ({exc})") from None
    if not isinstance(raw, dict) or not set(raw) <= set(CATEGORIES):
        raise ErrataError(f"{path}: expected an object keyed by {', '.join(CATEGORIES)}")
    for category, records in raw.items():
        for i, r in enumerate(records):
            missing = [k for k in RECORD_KEYS if k not in r]
            classes = [r.get("target"), r.get("pred"), *r.get("multi_labels", [])]
            if missing or not all(isinstance(c, int) and 0 <= c < imagenet.NUM_CLASSES for c in classes):
                raise ErrataError(
                    f"{path}: {category}[{i}]: expected {', '.join(RECORD_KEYS)} with class indices 0..999"
                )
    return raw


NOT_FINE_GRAINED = ("spurious_correlation", "model_failure")


def _joining(member: np.ndarray, ids: list[str], labels: list[int], pred: int) -> list[str]:
    """Superclass ids that hold the prediction and one of the labels."""
    return [ids[i] for i in np.flatnonzero(member[:, pred] & member[:, labels].any(axis=1))]


def _theme(a: int, b: int) -> str:
    """The lowest common WordNet ancestor of two classes: what a missed pair has in common."""
    syns = imagenet.synsets()
    common = syns[a].lowest_common_hypernyms(syns[b])
    return common[0].name() if common else "entity.n.01"


def superclass_report(
    verdicts: dict[str, list[dict[str, Any]]], ids: list[str], member: np.ndarray
) -> dict[str, Any]:
    """Fine-grained recall (reference `fg` records where some label shares a superclass with the
    prediction) and non-fine-grained specificity (spurious and model-failure records where none
    does), with the disagreeing records grouped by theme: misses by the lowest common WordNet ancestor
    of the prediction and its label, false joins by the superclass that joins them. The reference's
    FG-OOV records are negatives too (its fine-grained step comes first): their share with no joining
    label is reported beside."""
    names = imagenet.class_names()
    misses: dict[str, Counter[str]] = {}
    joins: dict[str, Counter[str]] = {}
    fg = verdicts.get("fg", [])
    hit = 0
    for r in fg:
        labels = [c for c in r["multi_labels"] if c != r["pred"]] or [r["target"]]
        if _joining(member, ids, labels, r["pred"]):
            hit += 1
            continue
        theme = _theme(labels[0], r["pred"])
        misses.setdefault(theme, Counter())[f"{names[labels[0]]} ~ {names[r['pred']]}"] += 1
    others = [r for c in NOT_FINE_GRAINED for r in verdicts.get(c, [])]
    oov = verdicts.get("fg-OOV", [])
    oov_clean = sum(not _joining(member, ids, r["multi_labels"], r["pred"]) for r in oov)
    clean = 0
    for r in others:
        joined = _joining(member, ids, r["multi_labels"], r["pred"])
        if not joined:
            clean += 1
        for sid in joined:
            label = next(c for c in r["multi_labels"] if member[ids.index(sid), c])
            joins.setdefault(sid, Counter())[f"{names[label]} ~ {names[r['pred']]}"] += 1
    return {
        "n_fine_grained": len(fg),
        "fine_grained_recall": round(hit / len(fg), 4) if fg else None,
        "n_not_fine_grained": len(others),
        "not_fine_grained_specificity": round(clean / len(others), 4) if others else None,
        "n_fg_oov": len(oov),
        "fg_oov_specificity": round(oov_clean / len(oov), 4) if oov else None,
        "misses": _themes(misses),
        "false_joins": _themes(joins),
    }


def _themes(groups: dict[str, Counter[str]]) -> list[dict[str, Any]]:
    rows = [{"theme": t, "records": sum(c.values()), "pairs": c.most_common()} for t, c in groups.items()]
    return sorted(rows, key=lambda r: (-r["records"], r["theme"]))


def render_superclass_report(report: dict[str, Any], limit: int = 20) -> str:
    lines = [
        f"fine-grained recall: {report['fine_grained_recall']:.3f} of {report['n_fine_grained']} reference "
        f"fine-grained records have a label sharing a superclass with the prediction",
        f"non-fine-grained specificity: {report['not_fine_grained_specificity']:.3f} of "
        f"{report['n_not_fine_grained']} spurious / model-failure records have none",
    ]
    if report["n_fg_oov"]:
        lines.append(
            f"FG-OOV records (also not fine-grained for the reference): "
            f"{report['fg_oov_specificity']:.3f} of {report['n_fg_oov']} have none"
        )
    lines.append("missed fine-grained records, by the lowest common WordNet ancestor:")
    for kind in ("misses", "false_joins"):
        if kind == "false_joins":
            lines.append("wrongly joined records, by the superclass that joins them:")
        for row in report[kind][:limit]:
            pairs = ", ".join(f"{p} ({n})" if n > 1 else p for p, n in row["pairs"][:4])
            lines.append(f"  {row['records']:3d}  {row['theme']}: {pairs}")
    return "\n".join(lines)
