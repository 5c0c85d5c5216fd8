"""The FG-OOV proposals against the reference implementation's printed FG-OOV cases: whether its
five best CLIP proposals and its winners are among ours, and how the prompt counts compare."""

from __future__ import annotations

import ast
from collections import Counter
from typing import Any

import numpy as np

from errata import imagenet
from errata.oov.proposals import Proposer


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
