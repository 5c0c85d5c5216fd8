"""The cascade against the experts' categories (Vasudevan et al. 2022), as a calibration of the two
taxonomy steps they test: superclasses (their fine-grained mistakes) and common co-occurrence pairs
(their spurious correlations).

Scored are the experts' ViT-3B and Greedy Soups mistakes on images the label set leaves
unproblematic and whose prediction MLA does not count correct (the label set already explains the
rest). Each expert spurious correlation that lands elsewhere gets its reason: a superclass joins the
prediction with a label (fine-grained first, in the cascade), the two co-occur but below the
threshold, or they never co-occur in the counted images. A sweep over the co-occurrence threshold
shows what agreement each threshold buys and what it costs: the spurious-correlation share of a
reference model's errors (the ImageNet-X ResNet50), with and without the superclasses that now
swallow the experts' spurious pairs.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from errata import experts, imagenet, labelsets, predictions, zoo
from errata.cascade import rules
from errata.outputs import MLA_CORRECT
from errata.papers import agreement
from errata.taxonomy import build, superclasses, tables
from errata.taxonomy.tables import Taxonomy

FINE, SPURIOUS = "fine_grained", "spurious_correlation"
SHARE_MODEL = "resnet50.imagenetx"
REASONS = {
    "superclass": "fine_grained first: a superclass joins a label with the prediction",
    "below_threshold": "they co-occur, but fewer times than the threshold",
    "never": "they never co-occur in the counted images",
}


@dataclasses.dataclass(frozen=True)
class Setting:
    """What the report is measured against: the evaluation arrays, the taxonomy, the co-occurrence
    counts it was built from and the effective threshold, the superclass definitions."""

    ev: rules.EvalArrays
    tax: Taxonomy
    counts: np.ndarray
    threshold: int
    n_images_counted: int
    defs: list[superclasses.Superclass]


def setting(
    definitions: Path | None, labels: str, images: str, min_count: int, per_images: int | None
) -> Setting:
    """The taxonomy and co-occurrence of the given settings, built as the pipeline builds them."""
    evalset = labelsets.build(labels)
    with tempfile.TemporaryDirectory(prefix="errata-experts-") as tmp:
        out = Path(tmp)
        tax = build.build(
            out, evalset, labels, definitions, images=images, min_count=min_count, per_images=per_images
        )
        report = json.loads((out / tables.COOC_REPORT).read_text())
        with np.load(out / tables.COOC_COUNTS) as z:
            counts = z["counts"]
    return Setting(
        rules.EvalArrays.build(evalset, tax),
        tax,
        counts,
        report["effective_min_count"],
        report["n_images_counted"],
        superclasses.load(definitions),
    )


def scored_pairs(ev: rules.EvalArrays, tax: Taxonomy) -> pd.DataFrame:
    """Both models' expert annotations with our verdict, kept where the image is evaluated and not
    problematic and MLA does not count the prediction correct; `row` is the evaluation-set row."""
    pairs = pd.concat([agreement.classify_pairs(m, ev, tax).assign(model=m) for m in experts.MODELS])
    pairs["row"] = ev.val_rows[imagenet.val_positions(pairs["file_name"].to_numpy(str))]
    keep = (pairs["row"] >= 0) & ~pairs["problematic"] & ~pairs["automated"].isin(MLA_CORRECT["mla"])
    return pairs[keep].reset_index(drop=True)


def rates(pairs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per expert category: how many, and how many of them get each of our verdicts."""
    return {
        str(category): {
            "n": len(group),
            "counts": {k: int(v) for k, v in group["automated"].value_counts().items()},
        }
        for category, group in pairs.groupby("category", sort=True)
    }


def agreement_rate(pairs: pd.DataFrame, category: str) -> float | None:
    group = pairs[pairs["category"] == category]
    return round(float((group["automated"] == category).mean()), 4) if len(group) else None


def _labels(ev: rules.EvalArrays, row: int) -> list[int]:
    return [int(c) for c in ev.labels[row][ev.mask[row]]]


def reasons(pairs: pd.DataFrame, s: Setting) -> list[dict[str, Any]]:
    """Why each expert spurious correlation that is not ours is something else (class indices)."""
    member = superclasses.membership(s.defs)
    out = []
    for r in pairs[(pairs["category"] == SPURIOUS) & (pairs["automated"] != SPURIOUS)].itertuples():
        labels, pred = _labels(s.ev, r.row), int(r.top1)
        best = max(labels, key=lambda c: s.counts[c, pred])
        count = int(s.counts[best, pred])
        joined = [lab for lab in labels if s.tax.same_superclass[lab, pred]]
        if r.automated == FINE:
            why = "superclass"
            label = joined[0]
            groups = [d.id for d, m in zip(s.defs, member, strict=True) if m[label] and m[pred]]
        else:
            why = "never" if count == 0 else "below_threshold"
            label, groups = best, []
        out.append(
            {
                "model": r.model,
                "file_name": r.file_name,
                "verdict": r.automated,
                "why": why,
                "label": label,
                "prediction": pred,
                "count": int(s.counts[label, pred]),
                "superclasses": groups,
                "joined_labels": joined,
            }
        )
    return out


def _share(ev: rules.EvalArrays, tax: Taxonomy, top1: np.ndarray) -> dict[str, Any]:
    """Spurious-correlation share of the model's errors over unproblematic images."""
    codes = rules.classify(ev, tax, top1)[~ev.problematic & (top1 >= 0)]
    errors = int((codes != rules.CODE["correct"]).sum())
    spurious = int((codes == rules.CODE[SPURIOUS]).sum())
    return {"spurious": spurious, "errors": errors, "share": round(spurious / errors, 4) if errors else None}


def _unswallowed(tax: Taxonomy, why: list[dict[str, Any]]) -> np.ndarray:
    """The same-superclass table without the class pairs that swallow expert spurious pairs."""
    same = tax.same_superclass.copy()
    for w in why:
        for label in w["joined_labels"]:
            same[label, w["prediction"]] = same[w["prediction"], label] = False
    return same


def sweep(s: Setting, why: list[dict[str, Any]], thresholds: list[int]) -> list[dict[str, Any]]:
    """Agreement and the reference model's spurious share per threshold, as the superclasses stand
    and with the swallowed expert pairs left apart."""
    top1 = predictions.align(zoo.load_predictions(SHARE_MODEL), s.ev.positions)
    rows = []
    for label, same in (("as is", s.tax.same_superclass), ("unswallowed", _unswallowed(s.tax, why))):
        for t in thresholds:
            tax = dataclasses.replace(
                s.tax, same_superclass=same, common_cooccurrence=(s.counts >= t) & ~same
            )
            pairs = scored_pairs(s.ev, tax)
            rows.append(
                {
                    "superclasses": label,
                    "threshold": t,
                    "n_common_pairs": int(np.triu(tax.common_cooccurrence, k=1).sum()),
                    "fine_grained_agreement": agreement_rate(pairs, FINE),
                    "spurious_agreement": agreement_rate(pairs, SPURIOUS),
                    SHARE_MODEL: _share(s.ev, tax, top1),
                }
            )
    return rows


def report(s: Setting, thresholds: list[int] | None = None) -> dict[str, Any]:
    pairs = scored_pairs(s.ev, s.tax)
    why = reasons(pairs, s)
    if thresholds is None:
        thresholds = list(range(1, s.threshold + 2))
    return {
        "n_images_counted": s.n_images_counted,
        "threshold": s.threshold,
        "n_scored": len(pairs),
        "rates": rates(pairs),
        "fine_grained_agreement": agreement_rate(pairs, FINE),
        "spurious_agreement": agreement_rate(pairs, SPURIOUS),
        "reasons": why,
        "sweep": sweep(s, why, thresholds),
    }


def render(rep: dict[str, Any]) -> str:
    lines = [
        f"experts' mistakes (ViT-3B, Greedy Soups) on unproblematic images that MLA does not count "
        f"correct: {rep['n_scored']}; co-occurrence threshold {rep['threshold']} over "
        f"{rep['n_images_counted']} counted images",
    ]
    for category, r in rep["rates"].items():
        shares = ", ".join(f"{k} {n} ({n / r['n']:.3f})" for k, n in r["counts"].items())
        lines.append(f"  expert {category} ({r['n']}): {shares}")
    lines.append(
        f"fine-grained -> fine_grained {rep['fine_grained_agreement']:.3f}; "
        f"spurious correlation -> spurious_correlation {rep['spurious_agreement']:.3f}"
    )
    lines.append("why the experts' spurious correlations land elsewhere:")
    names = imagenet.class_names()
    by_why = Counter(w["why"] for w in rep["reasons"])
    for key, text in REASONS.items():
        if by_why[key]:
            found = Counter(
                f"{names[w['label']]} ~ {names[w['prediction']]}"
                + (f" ({', '.join(w['superclasses'])})" if w["superclasses"] else f" ({w['count']})")
                for w in rep["reasons"]
                if w["why"] == key
            )
            listed = ", ".join(f"{p} x{n}" if n > 1 else p for p, n in found.most_common())
            lines.append(f"  {by_why[key]:3d} {text}: {listed}")
    lines.append(
        f"threshold sweep (same images; superclasses as they are, or leaving the swallowed pairs "
        f"apart): common pairs, fine-grained agreement, spurious agreement, {SHARE_MODEL} spurious share"
    )
    for row in rep["sweep"]:
        share = row[SHARE_MODEL]
        lines.append(
            f"  {row['superclasses']:11s} >= {row['threshold']}: {row['n_common_pairs']:5d} pairs  "
            f"{row['fine_grained_agreement']:.3f}  {row['spurious_agreement']:.3f}  "
            f"{share['share']:.4f} ({share['spurious']}/{share['errors']})"
        )
    return "\n".join(lines)
