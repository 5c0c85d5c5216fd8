"""Calibration of the taxonomy: cross-validation of the superclasses over class pairs, and the
report against the experts' categories."""

import numpy as np
import pandas as pd
import pytest

from errata import imagenet
from errata.cascade import rules
from errata.cli import main
from errata.errors import ErrataError
from errata.papers import calibration, crossval
from errata.papers import expert_calibration as ec
from errata.taxonomy import superclasses
from errata.taxonomy.tables import Taxonomy

# Three hand-made groups over made-up class indices: a family whose three pairs the reference calls
# fine-grained, a pair fix that joins one fine-grained pair only, and a group that joins one
# fine-grained pair and two pairs the reference calls spurious / a model failure.
GROUPS = {"family": [0, 1, 2, 3, 4, 5], "pair_fix": [10, 11], "noisy": [20, 21, 22, 23]}
FG_PAIRS = [(0, 1), (2, 3), (4, 5), (10, 11), (20, 21)]
NEGATIVE_PAIRS = {"spurious_correlation": [(22, 23)], "model_failure": [(20, 23), (30, 31)]}


def _record(target: int, pred: int) -> dict:
    return {"file": imagenet.val_file_name(0), "target": target, "multi_labels": [target], "pred": pred}


def _verdicts() -> dict:
    out = {"fg": [_record(a, b) for a, b in FG_PAIRS] + [_record(1, 0)]}  # the first pair twice
    out |= {c: [_record(a, b) for a, b in pairs] for c, pairs in NEGATIVE_PAIRS.items()}
    return out


def _member() -> np.ndarray:
    member = np.zeros((len(GROUPS), imagenet.NUM_CLASSES), dtype=bool)
    for i, classes in enumerate(GROUPS.values()):
        member[i, classes] = True
    return member


def test_evidence_keys_records_by_unordered_pair():
    ev = crossval.evidence(_verdicts(), _member())
    assert ev.pairs.tolist() == [[0, 1], [2, 3], [4, 5], [10, 11], [20, 21], [20, 23], [22, 23], [30, 31]]
    assert ev.record_pair.tolist() == [0, 1, 2, 3, 4, 0, 6, 5, 7]
    assert ev.positive.tolist() == [True] * 6 + [False] * 3
    pos, neg = crossval.pair_joins(ev)
    assert pos.sum(axis=0).tolist() == [3, 1, 1] and neg.sum(axis=0).tolist() == [0, 0, 2]


def test_folds_are_pinned_seeded_and_stratified():
    ev = crossval.evidence(_verdicts(), _member())
    folds = crossval.assign_folds(ev, 2, seed=0)
    assert folds.tolist() == [1, 0, 0, 0, 1, 0, 1, 1]
    assert np.array_equal(crossval.assign_folds(ev, 2, seed=0), folds)
    assert not np.array_equal(crossval.assign_folds(ev, 2, seed=1), folds)
    # the five pairs with a fine-grained record are dealt 3 / 2, then the three others 1 / 2
    for seed in range(5):
        f = crossval.assign_folds(ev, 2, seed)
        assert sorted(np.bincount(f[:5])) == [2, 3] and np.bincount(f).tolist() == [4, 4]
    with pytest.raises(ErrataError, match="between 2 and the number of class pairs \\(8\\), got 9"):
        crossval.assign_folds(ev, 9, seed=0)
    with pytest.raises(ErrataError, match="--repeats must be at least 1, got 0"):
        crossval.cross_validate(_verdicts(), list(GROUPS), _member(), k=2, repeats=0)


def test_choice_keeps_groups_with_more_fine_grained_than_negative_pairs():
    ev = crossval.evidence(_verdicts(), _member())
    pos, neg = crossval.pair_joins(ev)
    everything = np.ones(len(ev.pairs), dtype=bool)
    assert crossval.choose(pos, neg, everything).tolist() == [True, True, False]
    without_pair_fix = everything.copy()
    without_pair_fix[3] = False
    assert crossval.choose(pos, neg, without_pair_fix).tolist() == [True, False, False]


def test_a_group_that_helps_in_sample_but_not_held_out_is_detected():
    """In sample the three groups join every fine-grained record. Held out, the pair fix is never
    chosen on the fold that holds its pair (no evidence elsewhere), so its record is always missed;
    the noisy group joins more negative pairs than fine-grained ones, so it is never chosen: its
    fine-grained record is missed and no held-out negative is joined. Pooled recall 4/6 in every
    repeat."""
    in_sample = calibration.superclass_report(_verdicts(), list(GROUPS), _member())
    assert (in_sample["fine_grained_recall"], in_sample["not_fine_grained_specificity"]) == (1.0, 0.3333)
    report = crossval.cross_validate(_verdicts(), list(GROUPS), _member(), k=2, repeats=4, seed=0)
    assert report["n_pairs"] == 8 and (report["n_fine_grained"], report["n_not_fine_grained"]) == (6, 3)
    assert report["pooled_recall"] == {"mean": 0.6667, "sd": 0.0, "min": 0.6667, "max": 0.6667}
    assert report["pooled_specificity"]["mean"] == 1.0 and report["specificity"]["min"] == 1.0
    groups = {g["group"]: g for g in report["groups"]}
    assert groups["pair_fix"]["folds_chosen"] == 4  # once per repeat: where its pair is in training
    assert groups["pair_fix"]["add"] == [1.0, 0.0] and groups["pair_fix"]["remove"] == [0.0, 0.0]
    assert groups["family"]["folds_chosen"] == 8 and groups["family"]["remove"] == [-4.0, 0.0]
    assert groups["noisy"]["folds_chosen"] == 0 and groups["noisy"]["add"] == [1.0, 2.0]
    text = crossval.render(report)
    assert "2-fold over 8 class pairs, repeated with 4 seeds from 0" in text
    assert "held-out fine-grained recall" in text and "per repeat 0.667–0.667" in text
    fitted = text.split("groups not chosen where their pairs were held out")[1]
    assert "+1.0   +0.0  pair_fix (chosen in 4 folds; joins 1 fine-grained / 0 negative pairs" in fitted
    leaned_on = text.split("groups not chosen")[0].split("lean on most")[1]
    assert "-4.0   +0.0  family" in leaned_on and "pair_fix" not in leaned_on


def _small_setting() -> ec.Setting:
    """Three images: a teapot predicted coffeepot (one superclass holds both), a canoe predicted
    paddle (co-occurring once, under a threshold of 2), a tabby predicted teapot (never together)."""
    idx = imagenet.class_index
    defs = [superclasses.Superclass("pots", (frozenset({"teapot"}), frozenset({"coffeepot"})))]
    same = superclasses.table(superclasses.membership(defs))
    counts = np.zeros((imagenet.NUM_CLASSES, imagenet.NUM_CLASSES), dtype=np.int32)
    counts[idx("canoe"), idx("paddle")] = counts[idx("paddle"), idx("canoe")] = 1
    counts[idx("teapot"), idx("coffeepot")] = counts[idx("coffeepot"), idx("teapot")] = 5
    tax = Taxonomy(
        alias=np.zeros_like(same),
        same_superclass=same,
        common_cooccurrence=(counts >= 2) & ~same,
        non_prototypical=frozenset(),
        class_groups=imagenet.class_groups(),
    )
    evalset = pd.DataFrame(
        {
            "file_name": [imagenet.val_file_name(i) for i in range(3)],
            "target": [idx("teapot"), idx("canoe"), idx("tabby")],
            "labels": [[idx("teapot")], [idx("canoe")], [idx("tabby")]],
            "problematic": False,
            "in_imagenet_m": False,
        }
    )
    return ec.Setting(rules.EvalArrays.build(evalset, tax), tax, counts, 2, 3, defs)


def test_reasons_say_why_an_expert_spurious_correlation_is_something_else():
    idx = imagenet.class_index
    s = _small_setting()
    pairs = pd.DataFrame(
        {
            "model": "vit_3b.experts",
            "file_name": list(s.ev.file_names),
            "top1": [idx("coffeepot"), idx("paddle"), idx("teapot")],
            "category": "spurious_correlation",
            "automated": ["fine_grained", "model_failure", "model_failure"],
            "row": [0, 1, 2],
        }
    )
    why = ec.reasons(pairs, s)
    assert [(w["why"], w["count"], w["superclasses"]) for w in why] == [
        ("superclass", 5, ["pots"]),
        ("below_threshold", 1, []),
        ("never", 0, []),
    ]
    assert (why[0]["label"], why[0]["prediction"]) == (idx("teapot"), idx("coffeepot"))
    apart = ec._unswallowed(s.tax, why)
    assert not apart[idx("teapot"), idx("coffeepot")] and not apart[idx("coffeepot"), idx("teapot")]
    assert s.tax.same_superclass[idx("teapot"), idx("coffeepot")]  # the setting itself is untouched
    assert ec.rates(pairs) == {
        "spurious_correlation": {"n": 3, "counts": {"model_failure": 2, "fine_grained": 1}}
    }
    assert ec.agreement_rate(pairs, "spurious_correlation") == 0.0
    assert ec.agreement_rate(pairs, "fine_grained") is None


def test_expert_report_of_the_bundled_taxonomy_is_pinned(public_data, capsys):
    """The experts' 170 fine-grained and 43 spurious-correlation mistakes that ReaL neither counts
    correct nor marks problematic, with the bundled superclasses and co-occurrence at the
    reference's frequency (3 over all 50,000 images); the sweep's share at that threshold is the
    pinned ResNet50 summary's (502 / 6,934)."""
    assert main(["taxonomy", "calibrate", "--experts"]) == 0
    out = capsys.readouterr().out
    assert "MLA does not count correct: 274; co-occurrence threshold 3 over 50000 counted images" in out
    assert "expert fine_grained (170): fine_grained 144 (0.847), model_failure 20 (0.118)" in out
    assert (
        "expert spurious_correlation (43): model_failure 28 (0.651), spurious_correlation 12 (0.279)" in out
    )
    assert "fine-grained -> fine_grained 0.847; spurious correlation -> spurious_correlation 0.279" in out
    assert "3 fine_grained first: a superclass joins a label with the prediction: alp ~ promontory" in out
    assert "8 they co-occur, but fewer times than the threshold: valley ~ dam (2) x2" in out
    assert "20 they never co-occur in the counted images:" in out
    sweep = [line.split() for line in out.splitlines() if line.startswith(("  as is", "  unswallowed"))]
    assert [row[-4:] for row in sweep] == [
        ["0.847", "0.465", "0.1454", "(1008/6934)"],
        ["0.847", "0.326", "0.0963", "(668/6934)"],
        ["0.847", "0.279", "0.0724", "(502/6934)"],
        ["0.847", "0.256", "0.0597", "(414/6934)"],
        ["0.847", "0.535", "0.1458", "(1011/6934)"],
        ["0.847", "0.395", "0.0968", "(671/6934)"],
        ["0.847", "0.349", "0.0728", "(505/6934)"],
        ["0.847", "0.279", "0.0600", "(416/6934)"],
    ]
