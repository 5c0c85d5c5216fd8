"""Stats tables with the reference's column names (Peychev et al.), one row per model and group,
so results sit beside the published 962-model tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from errata import imagenet, zoo
from errata.atomic import staged_dir, write_json, write_with
from errata.errors import ErrataError
from errata.outputs import SUMMARY_FILE

TABLES = ("all", *imagenet.GROUPS)
# reference column -> error type it counts
COUNT_COLUMNS = {
    "num_collapsed_mappings": "overlapping_classes",
    "num_ambiguous": "multi_label",
    "num_same_superclass": "fine_grained",
    "num_common_co_occ": "spurious_correlation",
    "num_non_prototypical": "non_prototypical",
    "num_OOV_clip": "fine_grained_oov",
    "num_not_classified": "model_failure",
}
MLA_COLUMNS = ("mla_all", "mla_all_minor_error", "mla_all_explainable_error")
METADATA = ("num_params", "training_data", "arch", "arch_family")


def read_summaries(classified: Path) -> list[dict[str, Any]]:
    paths = sorted(Path(classified).glob(f"*/{SUMMARY_FILE}"))
    return [json.loads(p.read_text()) for p in paths]


def stats_row(summary: dict[str, Any], table: str) -> dict[str, Any]:
    g = summary if table == "all" else summary["groups"][table]
    meta = zoo.models().get(summary["model"], {})
    row: dict[str, Any] = {"model_dir_id": summary["model"]}
    row |= {k: meta.get(k) for k in METADATA}
    row |= {
        "top1_val_acc": summary["top1"],
        "mla_all": summary["mla"],
        "mla_all_minor_error": summary["mla_minor"],
        "mla_all_explainable_error": summary["mla_explainable"],
        "num_all_samples": summary["n_samples"],
        "num_group_samples": g["n_samples"],
        "num_group_correct": g["n_correct"],
        "num_all_top1_errors": summary["n_top1_errors"],
        "num_group_top1_errors": g["n_top1_errors"],
        "mla_group": g["mla"],
        "mla_group_minor_error": g["mla_minor"],
        "mla_group_explainable_error": g["mla_explainable"],
    }
    row |= {col: g["counts"][etype] for col, etype in COUNT_COLUMNS.items()}
    has_m = summary["has_imagenet_m"]
    row["num_all_imagenet-m_samples"] = summary["n_imagenet_m"] if has_m else None
    row["num_group_imagenet-m_samples"] = g["n_imagenet_m"] if has_m else None
    row["num_imagenet-m_errors"] = g["n_imagenet_m_errors"] if has_m else None
    row |= {
        "label_set": summary["label_set"],
        "coverage": meta.get("coverage", "user"),
        "not_measured": summary["not_measured"],
        "oov_test_run": summary["oov_test_run"],
        "oov_gate": summary.get("oov_gate") or "not run",
    }
    return row


def stats_tables(summaries: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame([stats_row(s, t) for s in summaries]) for t in TABLES}


MISTAKES_ONLY = "mistakes-only"  # the metrics' `coverage` of a model whose top-1 and MLA are null


def headline_metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """A model's numbers for `dvc metrics show/diff` and `dvc exp show`: top-1, MLA and the share of
    its top-1 errors that are model failures (the `portions` the figures draw). A mistakes-only
    model has no top-1 or MLA (they would read as a model's): `coverage` says so instead. Every
    other number is in the stats tables."""
    failures = {"model_failure_share": round(summary["portions"]["model_failure"], 4)}
    if summary["not_measured"]:
        return {"coverage": MISTAKES_ONLY, **failures}
    return {"top1": round(summary["top1"], 4), "mla": round(summary["mla"], 4), **failures}


def write(classified: Path, stats_dir: Path, metrics_dir: Path) -> dict[str, pd.DataFrame]:
    """The stats tables, and METRICS_DIR/<model>.json: one small file per model, so that
    `dvc metrics show` is a row per model."""
    summaries = read_summaries(classified)
    tables = stats_tables(summaries)
    for name, df in tables.items():
        write_with(Path(stats_dir) / f"{name}.csv", lambda tmp, df=df: df.to_csv(tmp, index=False))
    with staged_dir(metrics_dir) as stage:
        for s in summaries:
            write_json(stage / f"{s['model']}.json", headline_metrics(s))
    return tables


def read_stats(stats_dir: Path) -> dict[str, pd.DataFrame]:
    """The stats tables `write` made, by group."""
    out = {}
    for table in TABLES:
        path = Path(stats_dir) / f"{table}.csv"
        if not path.exists():
            raise ErrataError(f"{path} is missing: run the summarize stage first")
        out[table] = pd.read_csv(path)
    return out
