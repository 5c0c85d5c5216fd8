"""K-fold cross-validation of the superclasses over class pairs of the reference's verdicts.

The groups were curated by looking at the calibration pairs, so their in-sample recall says little
about pairs never looked at. Here each fold's groups are chosen by a fixed rule on the other folds'
pairs only: a group is kept if it joins more fine-grained pairs than negative (spurious or
model-failure) pairs there, so a group with no evidence outside the fold is not kept. The held-out
fold is then scored with the kept groups. A group fitted to a single pair helps only while that pair
is in the training folds, which the held-out scores expose; a principle covering a family of pairs
survives any one of them being held out. The k-fold split is repeated with `repeats` seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from errata.errors import ErrataError

POSITIVE = "fg"
NEGATIVE = ("spurious_correlation", "model_failure")


@dataclass(frozen=True)
class Evidence:
    """The scored records: each one's unordered (target, prediction) pair, whether the reference
    called it fine-grained, and which groups join the prediction with one of its labels."""

    pairs: np.ndarray  # (n_pairs, 2) unordered class pairs, sorted
    record_pair: np.ndarray  # (n_records,) row of `pairs`
    positive: np.ndarray  # (n_records,) bool
    joins: np.ndarray  # (n_records, n_groups) bool


def evidence(verdicts: dict[str, list[dict[str, Any]]], member: np.ndarray) -> Evidence:
    """A fine-grained record's labels are those other than the prediction (else its target), as in
    the in-sample report; a negative record's are all of its labels."""
    records = [(r, True) for r in verdicts.get(POSITIVE, [])]
    records += [(r, False) for c in NEGATIVE for r in verdicts.get(c, [])]
    joins = np.zeros((len(records), member.shape[0]), dtype=bool)
    keys = np.zeros((len(records), 2), dtype=np.int64)
    for i, (r, positive) in enumerate(records):
        labels = r["multi_labels"]
        if positive:
            labels = [c for c in labels if c != r["pred"]] or [r["target"]]
        joins[i] = member[:, r["pred"]] & member[:, labels].any(axis=1)
        keys[i] = sorted((r["target"], r["pred"]))
    pairs, record_pair = np.unique(keys, axis=0, return_inverse=True)
    positive = np.array([p for _, p in records], dtype=bool)
    return Evidence(pairs, record_pair.reshape(-1), positive, joins)


def assign_folds(ev: Evidence, k: int, seed: int) -> np.ndarray:
    """Fold of each pair: pairs with a fine-grained record and the others are shuffled separately
    (seeded) and dealt round-robin, so every fold holds a like share of both."""
    if not 2 <= k <= len(ev.pairs):
        raise ErrataError(
            f"cross-validation: --folds must be between 2 and the number of class pairs "
            f"({len(ev.pairs)}), got {k}"
        )
    has_positive = np.zeros(len(ev.pairs), dtype=bool)
    has_positive[ev.record_pair[ev.positive]] = True
    rng = np.random.default_rng(seed)
    order = np.concatenate(
        [rng.permutation(np.flatnonzero(has_positive)), rng.permutation(np.flatnonzero(~has_positive))]
    )
    folds = np.empty(len(ev.pairs), dtype=np.int64)
    folds[order] = np.arange(len(order)) % k
    return folds


def pair_joins(ev: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """(n_pairs, n_groups) bool twice: the group joins a fine-grained / a negative record of the pair."""
    pos = np.zeros((len(ev.pairs), ev.joins.shape[1]), dtype=bool)
    neg = np.zeros_like(pos)
    np.logical_or.at(pos, ev.record_pair[ev.positive], ev.joins[ev.positive])
    np.logical_or.at(neg, ev.record_pair[~ev.positive], ev.joins[~ev.positive])
    return pos, neg


def choose(pos: np.ndarray, neg: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Groups kept on the training pairs: more fine-grained pairs joined than negative pairs."""
    return pos[train].sum(axis=0) > neg[train].sum(axis=0)


@dataclass(frozen=True)
class FoldScore:
    hits: int  # held-out fine-grained records joined
    n_fine_grained: int
    clean: int  # held-out negative records not joined
    n_negative: int
    flip_fg: np.ndarray  # (n_groups,) change in `hits` if the group's choice were flipped
    flip_negative: np.ndarray  # (n_groups,) change in joined negatives if it were flipped


def score_fold(ev: Evidence, kept: np.ndarray, held: np.ndarray) -> FoldScore:
    """One held-out fold scored with the kept groups, and what flipping each group's choice would
    change there: a kept group removed loses the records only it joins; a dropped group added
    gains the records it joins that no kept group does."""
    joins = ev.joins[held]
    n_joining = (joins & kept).sum(axis=1)
    positive = ev.positive[held]
    flips = joins & np.where(kept, n_joining[:, None] == 1, n_joining[:, None] == 0)
    sign = np.where(kept, -1, 1)
    return FoldScore(
        hits=int((n_joining[positive] > 0).sum()),
        n_fine_grained=int(positive.sum()),
        clean=int((n_joining[~positive] == 0).sum()),
        n_negative=int((~positive).sum()),
        flip_fg=sign * flips[positive].sum(axis=0),
        flip_negative=sign * flips[~positive].sum(axis=0),
    )


def _spread(values: list[float]) -> dict[str, float]:
    a = np.array(values, dtype=float)
    return {
        "mean": round(float(a.mean()), 4),
        "sd": round(float(a.std(ddof=1)), 4) if len(a) > 1 else 0.0,
        "min": round(float(a.min()), 4),
        "max": round(float(a.max()), 4),
    }


def cross_validate(
    verdicts: dict[str, list[dict[str, Any]]],
    ids: list[str],
    member: np.ndarray,
    k: int = 5,
    repeats: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Held-out fine-grained recall and specificity: mean and spread over the k x repeats held-out
    folds, pooled per repeat (each record scored once per repeat), and per group how often it was
    chosen and what flipping that choice moved on the held-out folds (mean per repeat)."""
    if repeats < 1:
        raise ErrataError(f"cross-validation: --repeats must be at least 1, got {repeats}")
    ev = evidence(verdicts, member)
    pos, neg = pair_joins(ev)
    folds_chosen = np.zeros(len(ids), dtype=np.int64)
    moved = {
        key: np.zeros(len(ids), dtype=np.int64) for key in ("remove_fg", "remove_neg", "add_fg", "add_neg")
    }
    recall, specificity, pooled_recall, pooled_specificity = [], [], [], []
    for s in range(seed, seed + repeats):
        folds = assign_folds(ev, k, s)
        record_fold = folds[ev.record_pair]
        scores = []
        for f in range(k):
            kept = choose(pos, neg, folds != f)
            sc = score_fold(ev, kept, record_fold == f)
            folds_chosen += kept
            moved["remove_fg"] += np.where(kept, sc.flip_fg, 0)
            moved["remove_neg"] += np.where(kept, sc.flip_negative, 0)
            moved["add_fg"] += np.where(kept, 0, sc.flip_fg)
            moved["add_neg"] += np.where(kept, 0, sc.flip_negative)
            scores.append(sc)
        recall += [sc.hits / sc.n_fine_grained for sc in scores if sc.n_fine_grained]
        specificity += [sc.clean / sc.n_negative for sc in scores if sc.n_negative]
        pooled_recall.append(sum(sc.hits for sc in scores) / max(1, int(ev.positive.sum())))
        pooled_specificity.append(sum(sc.clean for sc in scores) / max(1, int((~ev.positive).sum())))
    per_repeat = {key: v / repeats for key, v in moved.items()}
    groups = [
        {
            "group": g,
            "folds_chosen": int(folds_chosen[i]),
            "pairs_joined": [int(pos[:, i].sum()), int(neg[:, i].sum())],
            "remove": [round(float(per_repeat[key][i]), 1) for key in ("remove_fg", "remove_neg")],
            "add": [round(float(per_repeat[key][i]), 1) for key in ("add_fg", "add_neg")],
        }
        for i, g in enumerate(ids)
    ]
    return {
        "folds": k,
        "repeats": repeats,
        "seed": seed,
        "n_pairs": len(ev.pairs),
        "n_fine_grained": int(ev.positive.sum()),
        "n_not_fine_grained": int((~ev.positive).sum()),
        "recall": _spread(recall),
        "specificity": _spread(specificity),
        "pooled_recall": _spread(pooled_recall),
        "pooled_specificity": _spread(pooled_specificity),
        "groups": groups,
    }


def render(report: dict[str, Any], limit: int = 12) -> str:
    r, s = report["recall"], report["specificity"]
    pr, ps = report["pooled_recall"], report["pooled_specificity"]
    n_folds = report["folds"] * report["repeats"]
    lines = [
        f"cross-validated: {report['folds']}-fold over {report['n_pairs']} class pairs, repeated with "
        f"{report['repeats']} seeds from {report['seed']}; each fold's groups chosen on the other folds "
        "(kept if they join more fine-grained pairs than negative pairs there)",
        f"  held-out fine-grained recall {r['mean']:.3f} ± {r['sd']:.3f} over {n_folds} folds "
        f"({r['min']:.3f}–{r['max']:.3f}); per repeat {pr['min']:.3f}–{pr['max']:.3f}",
        f"  held-out specificity         {s['mean']:.3f} ± {s['sd']:.3f} over {n_folds} folds "
        f"({s['min']:.3f}–{s['max']:.3f}); per repeat {ps['min']:.3f}–{ps['max']:.3f}",
    ]
    headings = {
        "remove": "groups the held-out folds lean on most (removing them where chosen, per repeat: "
        "fine-grained records joined, negative records joined):",
        "add": "groups not chosen where their pairs were held out (no evidence on the other folds), and "
        "what adding them back would join there, per repeat:",
    }
    for move, heading in headings.items():
        moved = [g for g in report["groups"] if any(g[move])]
        moved.sort(key=lambda g: (-abs(g[move][0]) - abs(g[move][1]), g["group"]))
        lines.append(heading)
        lines += [_group_line(g, g[move]) for g in moved[:limit]]
    return "\n".join(lines)


def _group_line(g: dict[str, Any], moved: list[float]) -> str:
    return (
        f"  {moved[0]:+6.1f} {moved[1]:+6.1f}  {g['group']} (chosen in {g['folds_chosen']} folds; joins "
        f"{g['pairs_joined'][0]} fine-grained / {g['pairs_joined'][1]} negative pairs in all)"
    )
