"""The small real report pipeline that test_report.py and test_report_sections.py both read, built
once per session: the bundled taxonomy, two zoo models, one mistakes-only and a user's own CSV over
part of the images, classified in one call, ReaL's expert agreement, and the report page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from errata import labelsets, predictions, zoo
from errata.cascade import rules
from errata.cli import main
from errata.papers import agreement
from errata.report import page as report_page
from errata.results import summarize
from errata.taxonomy import tables

REPO = Path(__file__).resolve().parents[1]
ZOO_MODELS = ["resnet50.imagenetx", "vit.imagenetx", "vit_3b.experts"]
OWN = "mine"  # the user's own predictions file, predictions/mine.csv
N_OWN = 30_000  # images the user's own file predicts


def write_params(path: Path, images: Path, own: Path) -> dict:
    """The repository's params.yaml with values that differ from the defaults where harmless here."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["images"]["val"] = str(images)
    params["import"]["files"] = [str(own)]
    params["predict"]["clip_templates"] = "simple"
    params["oov"]["gate"] = "none"
    path.write_text(yaml.safe_dump(params))
    return params


def report_inputs(root: Path) -> report_page.Inputs:
    return report_page.Inputs(
        stats=root / "stats",
        classified=root / "classified",
        agreement=root / "agreement",
        params=root / "params.yaml",
        coverage=root / "tax" / "coverage.json",
        cooccurrence=root / "tax" / "cooccurrence.json",
    )


def build_all(root: Path) -> Path:
    """Every model classified, summarized and reported with a params file whose images.val holds no
    images."""
    assert main(["taxonomy", "build", "--out", str(root / "tax")]) == 0
    preds = zoo.import_models(ZOO_MODELS, root / "preds")
    ours = predictions.read(preds[1])
    own = root / "predictions" / f"{OWN}.csv"
    own.parent.mkdir()
    pd.DataFrame({"file_name": ours.file_names[:N_OWN], "top1": ours.topk[:N_OWN, 0]}).to_csv(
        own, index=False
    )
    args = ["classify", "--predictions", *map(str, preds), str(own), "--out", str(root / "classified")]
    assert main([*args, "--taxonomy", str(root / "tax")]) == 0
    summarize.write(root / "classified", root / "stats", root / "metrics")
    tax = tables.load(root / "tax")
    agreement.write(rules.EvalArrays.build(labelsets.build("real"), tax), tax, "real", root / "agreement")
    (root / "empty").mkdir()
    write_params(root / "params.yaml", root / "empty", own)
    report_page.build(report_inputs(root), root / "out")
    return root
