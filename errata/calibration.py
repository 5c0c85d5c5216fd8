"""Comparing the project's taxonomy-dependent choices with the reference implementation's own
per-image verdicts (a JSON of records per reference category: file, target, multi_labels, pred, and
for FG-OOV cases the five best CLIP proposals and the number of prompts)."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from errata import imagenet
from errata.errors import ErrataError
from errata.proposals import Proposer

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


def parse_clip_top5(text: str) -> list[tuple[int, str, float]]:
    """ "[(3488603, 'hand shovel', '22.97%'), ...]" as the reference printed it -> [(offset, lemma, p)]."""
    items = ast.literal_eval(text.replace("\\'", "'"))
    return [(int(o), str(lemma), float(p.rstrip("%")) / 100) for o, lemma, p in items]


def proposals_report(records: list[dict[str, Any]], proposer: Proposer) -> dict[str, Any]:
    """How well our proposals cover the reference's FG-OOV cases: the share of its top-5 synsets and
    of its winners that we propose, and how our prompt counts compare with its."""
    offsets = {s.offset(): c for c, s in enumerate(imagenet.synsets())}
    names = imagenet.class_names()
    n_top5 = contained = winners = 0
    diffs, refs = [], []
    missing: Counter[tuple[str, str]] = Counter()
    for r in records:
        top5 = parse_clip_top5(r["clip_top5"])
        props = proposer.proposals(r["pred"], r["target"])
        ours = {p.offset for p in props}
        n_top5 += len(top5)
        contained += sum(o in ours for o, _, _ in top5)
        winners += top5[0][0] in ours
        diffs.append(len(props) - int(r["n_proposals"]))
        refs.append(int(r["n_proposals"]))
        for o, lemma, _ in top5:
            if o not in ours:
                why = "ImageNet class outside our superclasses" if o in offsets else "WordNet synset"
                missing[(why, f"{lemma} for a predicted {names[r['pred']]}")] += 1
    d, ref = np.array(diffs), np.array(refs)
    return {
        "n_cases": len(records),
        "top5_contained": round(contained / n_top5, 4) if n_top5 else None,
        "winner_contained": round(winners / len(records), 4) if records else None,
        "prompts_equal": int((d == 0).sum()),
        "prompts_within_10pct": round(float(np.mean(np.abs(d) <= 0.1 * ref)), 4) if records else None,
        "prompts_mean_abs_diff": round(float(np.abs(d).mean()), 2) if records else None,
        "prompts_median_diff": float(np.median(d)) if records else None,
        "missing": [{"why": why, "what": what, "count": n} for (why, what), n in missing.most_common()],
    }


def render_proposals_report(report: dict[str, Any], limit: int = 20) -> str:
    lines = [
        f"{report['n_cases']} reference FG-OOV cases",
        f"their top-5 proposals that we propose too: {report['top5_contained']:.1%}",
        f"their winning proposal that we propose too: {report['winner_contained']:.1%}",
        f"prompt count equal in {report['prompts_equal']} cases, within 10% in "
        f"{report['prompts_within_10pct']:.1%}; mean |ours - theirs| {report['prompts_mean_abs_diff']}, "
        f"median ours - theirs {report['prompts_median_diff']:g}",
    ]
    by_why = Counter()
    for m in report["missing"]:
        by_why[m["why"]] += m["count"]
    lines += [f"missing top-5 proposals: {n} {why}" for why, n in by_why.items()]
    lines += [f"  {m['count']} x {m['what']} ({m['why']})" for m in report["missing"][:limit]]
    return "\n".join(lines)


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
