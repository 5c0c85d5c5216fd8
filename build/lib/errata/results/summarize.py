"""Stats tables with the reference's column names (Peychev et al.), one row per model and group,
so results sit beside the published 962-model tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from errata import imagenet, zoo
from errata.atomic import write_json, write_with
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
        "oov_test_run": summary["oov_test_run"],
        "oov_gate": summary.get("oov_gate") or "not run",
    }
    return row


def stats_tables(summaries: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame([stats_row(s, t) for s in summaries]) for t in TABLES}


def metrics_json(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline numbers per model, for `dvc metrics show/diff`. Shares are fractions: of the top-1
    errors (the `portions` of the summaries and figures), and of the errors MLA still counts wrong
    (fine-grained and below, `portions_remaining`)."""
    out = {}
    for s in summaries:
        out[s["model"]] = {
            "top1": round(s["top1"], 4),
            "mla": round(s["mla"], 4),
            "mla_minor": round(s["mla_minor"], 4),
            "mla_explainable": round(s["mla_explainable"], 4),
            "n_evaluated": s["n_evaluated"],
            "oov_gate": s.get("oov_gate") or "not run",
            "model_failure_share_of_errors": round(s["portions"]["model_failure"], 4),
            "model_failure_share_of_remaining_errors": round(s["portions_remaining"]["model_failure"], 4),
        }
    return out


def write(classified: Path, stats_dir: Path, metrics_path: Path) -> dict[str, pd.DataFrame]:
    summaries = read_summaries(classified)
    tables = stats_tables(summaries)
    for name, df in tables.items():
        write_with(Path(stats_dir) / f"{name}.csv", lambda tmp, df=df: df.to_csv(tmp, index=False))
    write_json(metrics_path, metrics_json(summaries))
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
