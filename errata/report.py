"""The `report` stage: figures (ours over the published 962 models), expert agreement, the most
frequent confusions, and one self-contained HTML page that gathers them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from errata import confusions, figures, published, summarize
from errata import html_report as h
from errata.errors import ErrataError
from errata.outputs import ERRORS_FILE

SUMMARY_COLUMNS = {
    "model_dir_id": "model",
    "training_data": "pre-training data",
    "coverage": "coverage",
    "top1_val_acc": "top-1 %",
    "mla_all": "MLA %",
    "mla_all_minor_error": "MLA minor %",
    "mla_all_explainable_error": "MLA explainable %",
    "num_group_samples": "evaluated",
    "num_group_top1_errors": "top-1 errors",
    **{col: etype for col, etype in summarize.COUNT_COLUMNS.items()},
}


def read_stats(stats_dir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for table in summarize.TABLES:
        path = Path(stats_dir) / f"{table}.csv"
        if not path.exists():
            raise ErrataError(f"{path} is missing: run the summarize stage first")
        out[table] = pd.read_csv(path)
    return out


def label_set_note(stats: pd.DataFrame) -> str:
    ours = ", ".join(sorted(set(stats["label_set"])))
    return f"ours: label set '{ours}'; published (grey): {published.LABEL_SET_SHORT}; not directly comparable"


def make_figures(stats: dict[str, pd.DataFrame], agreement_dir: Path, out: Path) -> dict[str, Path]:
    """Every figure as PNG + SVG under `out`; returns the PNG of each by a short key."""
    note = label_set_note(stats["all"])
    pngs: dict[str, Path] = {}
    pngs["top1_vs_mla"] = figures.top1_vs_mla(
        stats["all"], published.stats("all"), out / "top1_vs_mla", note
    )[0]
    pngs["stacked_bars"] = figures.stacked_bars(stats["all"], out / "error_types_per_model")[0]
    for table in summarize.TABLES:
        pngs[f"portion_{table}"] = figures.portion_vs_mla(
            stats[table], published.stats(table), table, out / f"portion_vs_mla_{table}", note
        )[0]
    for csv in sorted(Path(agreement_dir).glob("*_category.csv")) + sorted(
        Path(agreement_dir).glob("*_severity.csv")
    ):
        model, kind = csv.stem.rsplit("_", 1)
        title = f"{model}: expert {kind} x automated error type"
        pngs[csv.stem] = figures.agreement_heatmap(
            pd.read_csv(csv, index_col=0), title, out / f"agreement_{csv.stem}"
        )[0]
    return pngs


def _summary_table(stats: pd.DataFrame) -> h.Html:
    df = stats[list(SUMMARY_COLUMNS)].rename(columns=SUMMARY_COLUMNS)
    return h.table_html(df, caption="Per model, non-problematic images (error-type columns are counts)")


def _agreement_section(agreement_dir: Path, pngs: dict[str, Path]) -> h.Section:
    report = json.loads((Path(agreement_dir) / "agreement.json").read_text())
    rates = pd.DataFrame(report["models"]).T
    blocks = [
        h.paragraph(
            f"The cascade run on exactly the (file, prediction) pairs the experts of Vasudevan et al. "
            f"reviewed, with label set {report['label_set']}; {report['note']}. The experts had no "
            f"'model failure' category: their severe errors are the Major ones."
        ),
        h.table_html(rates, caption="Agreement rates", float_format="{:.3f}"),
    ]
    for model in report["models"]:
        for kind in ("category", "severity"):
            table = pd.read_csv(Path(agreement_dir) / f"{model}_{kind}.csv", index_col=0)
            blocks.append(
                h.table_html(table, caption=f"{model}: expert {kind} x automated", float_format="{:.0f}")
            )
            blocks.append(h.image_html(pngs[f"{model}_{kind}"], f"{model} {kind} agreement heatmap"))
    return h.Section("Agreement with the experts", blocks)


def _confusion_section(classified: Path, stats: pd.DataFrame) -> h.Section:
    full = stats.loc[stats["coverage"] != "mistakes", "model_dir_id"]
    counts = confusions.count(Path(classified) / m / ERRORS_FILE for m in full)
    blocks = [h.paragraph(f"Summed over the models with full coverage: {', '.join(full)}.")]
    for etype in figures.ERRORS:
        table = confusions.top_confusions(counts, etype)
        if not table.empty:
            blocks.append(
                h.table_html(table, caption=f"{etype}: most frequent confusions", float_format="{:.0f}")
            )
    return h.Section("Most frequent confusions per error type", blocks)


def not_run(stats: pd.DataFrame) -> list[str]:
    notes = []
    if not stats["oov_test_run"].any():
        notes.append(
            "The CLIP fine-grained out-of-vocabulary test was not run (it needs ImageNet images and CLIP "
            "weights): no error is classified fine_grained_oov, and those errors fall to later categories."
        )
    else:
        gates = stats.groupby("oov_gate")["model_dir_id"].apply(list).to_dict()
        notes.append(
            "The CLIP fine-grained out-of-vocabulary test ran with gate "
            + "; ".join(f"{g} for {', '.join(ms)}" for g, ms in gates.items())
            + (": FG-OOV counts under different gates are not comparable." if len(gates) > 1 else ".")
        )
    notes.append(
        "non_prototypical is a lookup of the 36 images the experts labelled non-prototypical, not a "
        "detector: it is close to zero for every model by construction."
    )
    mistakes = stats.loc[stats["coverage"] == "mistakes", "model_dir_id"].tolist()
    if mistakes:
        notes.append(
            f"{', '.join(mistakes)}: only the mistaken images are public, so their accuracies are not "
            "meaningful; they are left out of the figures and used for expert agreement."
        )
    notes.append(label_set_note(stats) + ".")
    return notes


def build(stats_dir: Path, classified: Path, agreement_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Write figures under OUT/figures and OUT/index.html."""
    stats = read_stats(stats_dir)
    pngs = make_figures(stats, agreement_dir, Path(out_dir) / "figures")
    figure_blocks = [h.image_html(pngs["top1_vs_mla"], "top-1 vs multi-label accuracy")]
    figure_blocks.append(h.image_html(pngs["stacked_bars"], "error types per model"))
    figure_blocks += [
        h.image_html(pngs[f"portion_{t}"], f"portion of each error type, {t}") for t in summarize.TABLES
    ]
    sections = [
        h.Section("Summary", [_summary_table(stats["all"])]),
        h.Section("What was not run, and caveats", [h.note_list(not_run(stats["all"]))]),
        h.Section("Figures", figure_blocks),
        _agreement_section(agreement_dir, pngs),
        _confusion_section(classified, stats["all"]),
    ]
    page = h.build_html("errata: the remaining errors of ImageNet classifiers", sections)
    urls = h.find_external_urls(page)
    if urls:
        raise ErrataError(f"the report would load external URLs: {urls[:3]}")
    h.write(Path(out_dir) / "index.html", page)
    return {"figures": len(pngs), "bytes": len(page)}
