import json
import re

import numpy as np
import pandas as pd
import pytest

from errata import experts, imagenet, outputs
from errata.cascade import rules
from errata.cli import main
from errata.papers import agreement
from errata.report import page as report_page
from errata.report.html import find_external_urls
from errata.results import diff
from errata.taxonomy import tables


@pytest.fixture(scope="module")
def built(report_build):
    """A small real pipeline: ReaL, the bundled taxonomy, two full models, one mistakes-only, and a
    user's own predictions file (`report_build.build_all`)."""
    return report_build


@pytest.mark.slow
def test_html_is_offline_and_holds_the_stats_numbers(built):
    page = (built / "out" / "index.html").read_text()
    assert find_external_urls(page) == []
    assert "<script" not in page and "fine-grained out-of-vocabulary test was not run" in page
    stats = pd.read_csv(built / "stats" / "all.csv")
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    for rec in stats.itertuples():
        row = next(r for r in rows if f">{rec.model_dir_id}<" in r)
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        measured = [] if rec.coverage == "mistakes" else [f"{rec.top1_val_acc:.2f}", f"{rec.mla_all:.2f}"]
        for value in (
            *measured,
            str(rec.num_not_classified),
            str(rec.num_same_superclass),
            str(rec.num_group_top1_errors),
        ):
            assert value in cells, (rec.model_dir_id, value)


@pytest.mark.slow
def test_figures_are_written_as_png_and_svg(built):
    figs = built / "out" / "figures"
    for stem in [
        "top1_vs_mla",
        "error_types_per_model",
        "portion_vs_mla_all",
        "portion_vs_mla_organism",
        "agreement_vit3b_category",
        "agreement_greedy_soups_severity",
    ]:
        assert (figs / f"{stem}.png").stat().st_size > 10_000
        assert (figs / f"{stem}.svg").stat().st_size > 10_000


@pytest.mark.slow
def test_agreement_tables_hold_the_real_counts(built):
    rep = json.loads((built / "agreement" / "agreement.json").read_text())
    assert rep["label_set"] == "real"
    assert list(rep["models"]) == ["vit_3b.experts", "greedy_soups.experts"]  # the zoo ids
    for model, stem, n_annotated in (
        ("vit_3b.experts", "vit3b", 378),
        ("greedy_soups.experts", "greedy_soups", 249),
    ):
        pairs = pd.read_csv(built / "agreement" / f"{stem}_pairs.csv")
        assert len(pairs) == n_annotated == rep["models"][model]["n_annotated"]
        kept = pairs[~pairs["problematic"]]
        category = pd.read_csv(built / "agreement" / f"{stem}_category.csv", index_col=0)
        severity = pd.read_csv(built / "agreement" / f"{stem}_severity.csv", index_col=0)
        assert (
            category.to_numpy().sum()
            == severity.to_numpy().sum()
            == len(kept)
            == rep["models"][model]["n_pairs"]
        )
        assert category.loc["fine_grained"].sum() == (kept["category"] == "fine_grained").sum()
        agree = sum(category.loc[c, c] for c in category.index if c in category.columns)
        assert rep["models"][model]["category_agreement"] == pytest.approx(agree / len(kept))


# Expert category / severity x automated error type over the pairs not problematic under ReaL,
# with the bundled taxonomy (regression pins: a changed filter or taxonomy must update them).
AGREEMENT_PINS = {
    ("vit3b", "category"): {
        "fine_grained": [29, 90, 5, 0, 12],
        "fine_grained_oov": [8, 6, 10, 0, 13],
        "non_prototypical": [2, 7, 1, 5, 0],
        "spurious_correlation": [4, 2, 7, 0, 19],
    },
    ("vit3b", "severity"): {
        "Major": [13, 47, 15, 2, 26],
        "Minor": [17, 34, 6, 3, 15],
        "Borderline": [13, 24, 2, 0, 3],
    },
    ("greedy_soups", "category"): {
        "fine_grained": [18, 54, 1, 0, 8],
        "fine_grained_oov": [8, 4, 2, 0, 5],
        "non_prototypical": [1, 3, 1, 4, 0],
        "spurious_correlation": [7, 1, 5, 0, 9],
    },
}
AGREEMENT_COLUMNS = [
    "multi_label",
    "fine_grained",
    "spurious_correlation",
    "non_prototypical",
    "model_failure",
]


@pytest.mark.slow
@pytest.mark.parametrize("model, kind", list(AGREEMENT_PINS))
def test_agreement_tables_hold_the_pinned_counts_per_cell(built, model, kind):
    table = pd.read_csv(built / "agreement" / f"{model}_{kind}.csv", index_col=0)
    assert list(table.columns) == AGREEMENT_COLUMNS
    assert {k: v.tolist() for k, v in table.iterrows()} == AGREEMENT_PINS[model, kind]


@pytest.mark.slow
def test_agreement_rates_are_pinned(built):
    rep = json.loads((built / "agreement" / "agreement.json").read_text())["models"]
    vit, soups = rep["vit_3b.experts"], rep["greedy_soups.experts"]
    assert (vit["n_annotated"], vit["n_pairs"], soups["n_annotated"], soups["n_pairs"]) == (
        378,
        220,
        249,
        131,
    )
    assert vit["category_agreement"] == pytest.approx((90 + 7 + 5) / 220)  # diagonal of the pinned table
    assert vit["category_agreement_without_expert_oov"] == pytest.approx(102 / (220 - 37))
    assert vit["model_failure_that_is_major"] == pytest.approx(26 / 44)
    assert vit["major_called_model_failure"] == pytest.approx(26 / 103)
    assert vit["automated_counted_correct"] == pytest.approx(43 / 220)
    assert soups["category_agreement"] == pytest.approx((54 + 5 + 4) / 131)


@pytest.mark.slow
def test_html_shows_the_pinned_numbers(built):
    page = (built / "out" / "index.html").read_text()
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S) if ">resnet50.imagenetx<" in r)
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
    for value in ("76.13", "87.35", "91.74", "93.01", "42164", "6934", "219", "1635", "1714", "502", "2860"):
        assert value in cells, value
    assert "0.464" in page and "0.481" in page  # category agreement, ViT-3B and Greedy Soups


def test_expert_pairs_outside_the_evaluation_set_are_not_evaluated(public_data):
    """With a label set that covers only some of the experts' images (as the multi-label set does),
    the other pairs must stay out of every table, not borrow another image's verdict."""
    ann = experts.annotations("vit_3b.experts")
    picked = ann.head(3)
    evalset = pd.DataFrame(
        {
            "file_name": picked["file_name"],
            "target": picked["top1"].astype("int16"),  # the experts' prediction made the target: correct
            "labels": [[int(t)] for t in picked["top1"]],
            "problematic": False,
            "in_imagenet_m": False,
        }
    )
    zeros = np.zeros((1000, 1000), dtype=bool)
    tax = tables.Taxonomy(zeros, zeros, zeros, frozenset(), imagenet.class_groups())
    pairs = agreement.classify_pairs("vit_3b.experts", rules.EvalArrays.build(evalset, tax), tax)
    assert len(pairs) == 378
    assert pairs["automated"].value_counts().to_dict() == {"not evaluated": 375, "correct": 3}
    assert pairs.loc[pairs["automated"] == "correct", "file_name"].tolist() == picked["file_name"].tolist()


def test_agreement_rates_on_constructed_pairs():
    pairs = pd.DataFrame(
        {
            "category": ["fine_grained", "fine_grained", "spurious_correlation", "fine_grained_oov"],
            "severity": ["Minor", "Major", "Major", "Minor"],
            "automated": ["fine_grained", "model_failure", "spurious_correlation", "multi_label"],
        }
    )
    r = agreement.rates(pairs)
    assert r["category_agreement"] == 0.5
    assert r["category_agreement_without_expert_oov"] == pytest.approx(2 / 3)
    assert r["major_called_model_failure"] == 0.5 and r["model_failure_that_is_major"] == 1.0
    assert r["automated_counted_correct"] == 0.25
    assert list(report_page.AGREEMENT_RATES) == ["n_annotated", *r]  # the report names every rate


def test_diff_counts_fixes_both_ways():
    names = [f"f{i}" for i in range(5)]
    a = pd.DataFrame(
        {
            "file_name": names,
            "target": [1] * 5,
            "top1": [1, 2, 3, 4, 5],
            "problematic": [False] * 4 + [True],
            "error_type": ["correct", "fine_grained", "model_failure", "multi_label", "model_failure"],
        }
    )
    b = a.assign(error_type=["model_failure", "correct", "correct", "fine_grained", "correct"])
    table = diff.fixes(diff.compare(a, b))
    got = {(r.direction, r.error_type): r.count for r in table.itertuples()}
    assert got == {
        ("A errs, B fixes", "fine_grained"): 1,
        ("A errs, B fixes", "model_failure"): 1,
        ("B errs, A fixes", "model_failure"): 1,
        ("B errs, A fixes", "fine_grained"): 1,
    }
    assert "f1" in table.loc[0, "examples"]


def test_diff_refuses_models_classified_under_different_label_sets(tmp_path, capsys):
    errors = pd.DataFrame(
        {"file_name": ["f"], "target": [1], "top1": [1], "error_type": ["correct"], "problematic": [False]}
    )
    for model, label_set in (("a", "real"), ("b", "custom:labels/mine.csv"), ("c", "real")):
        (tmp_path / model).mkdir()
        errors.to_parquet(tmp_path / model / "errors.parquet")
        (tmp_path / model / "summary.json").write_text(json.dumps({"label_set": label_set}))
    assert main(["diff", "a", "b", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "a was classified with label set 'real' and b with 'custom:labels/mine.csv'" in err
    assert main(["diff", "a", "c", "--dir", str(tmp_path)]) == 0
    assert "A = a, B = c: 1 non-problematic images predicted by both" in capsys.readouterr().out


@pytest.mark.slow
def test_diff_cli(built, capsys):
    out = built / "classified"
    assert main(["diff", "resnet50.imagenetx", "vit.imagenetx", "--dir", str(out)]) == 0
    text = capsys.readouterr().out
    fixed = int(re.search(r"A errs, B fixes: (\d+)", text).group(1))
    a = outputs.read_errors(out / "resnet50.imagenetx" / "errors.parquet")
    b = outputs.read_errors(out / "vit.imagenetx" / "errors.parquet")
    ok = ["correct", "overlapping_classes", "multi_label"]
    both = a.merge(b, on="file_name")
    both = both[~both["problematic_x"]]
    expected = int((~both["error_type_x"].isin(ok) & both["error_type_y"].isin(ok)).sum())
    assert fixed == expected > 0
    assert main(["diff", "resnet50.imagenetx", "nope", "--dir", str(out)]) == 2
    assert np.all(a["file_name"] == b["file_name"])
