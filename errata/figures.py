"""Figures for the report: our models drawn over the published 962-model tables (Peychev et al.).

Every figure uses the same colour per error type and the same marker per pre-training bucket, so a
reader can move between figures without a new legend to learn. Inputs are stats tables in the
reference's column format; the caller loads them.
"""

# ruff: noqa: E402  (the Agg backend must be chosen before pyplot is imported)
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from errata.atomic import write_with
from errata.cascade import ERROR_TYPES
from errata.summarize import COUNT_COLUMNS

# Okabe-Ito palette (safe for the common colour-vision deficiencies); grey for "correct".
ERROR_COLORS: dict[str, str] = {
    "correct": "#999999",
    "overlapping_classes": "#56B4E9",
    "multi_label": "#0072B2",
    "fine_grained": "#009E73",
    "fine_grained_oov": "#F0E442",
    "spurious_correlation": "#CC79A7",
    "non_prototypical": "#E69F00",
    "model_failure": "#D55E00",
}
ERRORS = tuple(t for t in ERROR_TYPES if t != "correct")
# pre-training bucket -> (marker, grey used for the published background)
BUCKETS: dict[str, tuple[str, str]] = {
    "ImageNet-1k": ("o", "#b0b0b0"),
    "ImageNet-21k/22k": ("s", "#7a7a7a"),
    "larger/other": ("^", "#404040"),
    "unknown": ("D", "#d8d8d8"),
}
STYLE = {"font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8, "svg.hashsalt": "errata"}
PNG_DPI = 200
FIT_DEGREE = 2
MAX_LABELLED = 12  # our models drawn numbered; more are one series
MAX_BARS = 40  # models in the stacked-bar figure
NOTE_HEIGHT = 0.035  # figure fraction kept free at the bottom for the note


def portions(df: pd.DataFrame) -> pd.DataFrame:
    """Each error type's share of the group's top-1 errors, the quantity the paper relates to MLA."""
    counts = df[list(COUNT_COLUMNS)].rename(columns=COUNT_COLUMNS)
    return counts.div(df["num_group_top1_errors"], axis=0)[list(ERRORS)]


def plotted(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that may enter accuracy/portion figures: mistakes-only models have meaningless MLA."""
    keep = df["num_group_top1_errors"] > 0
    if "coverage" in df:
        keep &= df["coverage"] != "mistakes"
    return df[keep]


def training_bucket(training_data: object) -> str:
    """Coarse pre-training bucket; the published strings ("ImageNet-21k (14M)", ...) are too many."""
    if not isinstance(training_data, str) or not training_data.strip():
        return "unknown"
    text = training_data.lower()
    if text.startswith("imagenet-1k"):
        return "ImageNet-1k"
    if "imagenet-21k" in text or "imagenet-22k" in text:
        return "ImageNet-21k/22k"
    return "larger/other"


def save(fig: Figure, out_stem: Path) -> list[Path]:
    """Write PNG (for the HTML report) and SVG (for the paper) atomically, then free the figure."""
    out_stem = Path(out_stem)
    try:
        png = write_with(out_stem.with_suffix(".png"), lambda t: fig.savefig(t, format="png", dpi=PNG_DPI))
        svg = write_with(
            out_stem.with_suffix(".svg"), lambda t: fig.savefig(t, format="svg", metadata={"Date": None})
        )
    finally:
        plt.close(fig)
    return [png, svg]


def _buckets(df: pd.DataFrame) -> pd.Series:
    column = df["training_data"] if "training_data" in df else pd.Series(None, index=df.index)
    return column.map(training_bucket)


def _background(ax: Axes, published: pd.DataFrame, x: pd.Series, y: pd.Series) -> None:
    """Published models as a faint cloud, shaded and shaped by pre-training bucket."""
    buckets = _buckets(published)
    for bucket, (marker, grey) in BUCKETS.items():
        sel = buckets == bucket
        ax.scatter(x[sel], y[sel], s=9, marker=marker, color=grey, alpha=0.45, linewidths=0, zorder=1)


def _trend(ax: Axes, x: pd.Series, y: pd.Series, color: str) -> None:
    """Quadratic fit to the published points, drawn only over the range they cover."""
    ok = x.notna() & y.notna()
    if ok.sum() <= FIT_DEGREE:
        return
    fit = np.polynomial.Polynomial.fit(x[ok], y[ok], FIT_DEGREE)
    grid = np.linspace(x[ok].min(), x[ok].max(), 100)
    ax.plot(grid, fit(grid), color="black", lw=3.2, zorder=2)
    ax.plot(grid, fit(grid), color=color, lw=2, zorder=3)


def _ours(ax: Axes, ours: pd.DataFrame, x: pd.Series, y: pd.Series, color: str) -> None:
    """Our models on top: large, black-edged, numbered as in `_model_key` (full names would collide);
    beyond MAX_LABELLED models, one unnumbered series (numbers would cover the plot)."""
    buckets = _buckets(ours)
    if len(ours) > MAX_LABELLED:
        for bucket, (marker, _) in BUCKETS.items():
            sel = (buckets == bucket).to_numpy()
            ax.scatter(x[ours.index[sel]], y[ours.index[sel]], s=30, marker=marker, color=color,
                       edgecolors="black", linewidths=0.5, zorder=4)  # fmt: skip
        return
    labels = pd.Series(range(1, len(ours) + 1), index=ours.index)
    for rank, i in enumerate(x.loc[ours.index].sort_values().index):
        marker = BUCKETS[buckets[i]][0]
        ax.scatter(x[i], y[i], s=70, marker=marker, color=color, edgecolors="black", linewidths=1, zorder=4)
        offset = (6, 4) if rank % 2 == 0 else (6, -12)  # alternate so close neighbours stay legible
        ax.annotate(
            str(labels[i]), (x[i], y[i]), xytext=offset, textcoords="offset points", fontsize=8, zorder=5
        )


def _model_key(ours: pd.DataFrame) -> str:
    """Number -> model_dir_id, in the numbering `_ours` draws."""
    if len(ours) > MAX_LABELLED:
        return f"ours: {len(ours)} models\n(one row each in reports/stats)"
    return "ours:\n" + "\n".join(f"{n}  {m}" for n, m in enumerate(ours["model_dir_id"], start=1))


def _note(fig: Figure, note: str | None) -> None:
    """State the label sets on the figure itself, so a cropped figure still says what is compared."""
    if note:
        fig.get_layout_engine().set(rect=(0, NOTE_HEIGHT, 1, 1 - NOTE_HEIGHT))
        fig.text(0.01, 0.005, note, fontsize=8, style="italic", ha="left", va="bottom")


def _legend_handles(fit_color: str | None) -> list[Line2D]:
    handles = [
        Line2D([], [], ls="", marker=m, color=g, markersize=6, label=f"published, {b}")
        for b, (m, g) in BUCKETS.items()
    ]
    handles.append(
        Line2D([], [], ls="", marker="o", color="white", markeredgecolor="black", markersize=9, label="ours")
    )
    if fit_color:
        handles.append(Line2D([], [], color=fit_color, lw=2, label=f"published fit (deg {FIT_DEGREE})"))
    return handles


def portion_vs_mla(
    ours: pd.DataFrame, published: pd.DataFrame, group: str, out_stem: Path, note: str | None = None
) -> list[Path]:
    """One panel per error type: how its share of errors moves with MLA, ours against the published trend."""
    ours, published = plotted(ours), plotted(published)
    ours_p, pub_p = portions(ours), portions(published)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 4, figsize=(12, 7), layout="constrained")
        for ax, etype in zip(axes.flat, ERRORS, strict=False):
            color = ERROR_COLORS[etype]
            _background(ax, published, published["mla_group"], pub_p[etype])
            _trend(ax, published["mla_group"], pub_p[etype], color)
            _ours(ax, ours, ours["mla_group"], ours_p[etype], color)
            ax.set_title(etype)
            top = ax.get_ylim()[1]
            ax.set_ylim(-0.03 * top, top)  # a sliver below 0 so points at exactly 0 stay whole
            ax.grid(alpha=0.3)
        for ax in axes[-1]:
            ax.set_xlabel("MLA (%)")
        for ax in axes[:, 0]:
            ax.set_ylabel("portion of top-1 errors")
        key = axes.flat[-1]
        key.axis("off")
        key.legend(handles=_legend_handles("grey"), loc="upper left", frameon=False)
        key.text(0.02, 0.42, _model_key(ours), va="top", transform=key.transAxes)
        fig.suptitle(f"Portion of each error type vs MLA — group: {group}", fontsize=12)
        _note(fig, note)
        return save(fig, out_stem)


def stacked_bars(ours: pd.DataFrame, out_stem: Path) -> list[Path]:
    """What our models' remaining errors are made of, best MLA on top; at most MAX_BARS models,
    evenly spaced by MLA, so the figure stays readable for any number of models."""
    ours = plotted(ours).sort_values("mla_group")
    shown = len(ours)
    if shown > MAX_BARS:
        ours = ours.iloc[np.unique(np.linspace(0, len(ours) - 1, MAX_BARS).round().astype(int))]
    shares = portions(ours)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(10, 1.2 + 0.45 * len(ours)), layout="constrained")
        left = np.zeros(len(ours))
        names = [f"{m}  (MLA {a:.1f})" for m, a in zip(ours["model_dir_id"], ours["mla_group"], strict=True)]
        for etype in ERRORS:
            width = shares[etype].to_numpy()
            ax.barh(names, width, left=left, color=ERROR_COLORS[etype], edgecolor="white", label=etype)
            left += width
        ax.set_xlim(0, 1)
        ax.set_xlabel("portion of top-1 errors")
        if shown > len(ours):
            ax.set_title(f"{len(ours)} of {shown} models, evenly spaced by MLA")
        fig.legend(ncols=4, loc="outside lower center", frameon=False)
        return save(fig, out_stem)


def top1_vs_mla(
    ours: pd.DataFrame, published: pd.DataFrame, out_stem: Path, note: str | None = None
) -> list[Path]:
    """Top-1 against MLA: the gap above y=x is how much of top-1 error is not a real mistake."""
    ours, published = plotted(ours), plotted(published)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
        _background(ax, published, published["top1_val_acc"], published["mla_all"])
        _ours(ax, ours, ours["top1_val_acc"], ours["mla_all"], ERROR_COLORS["correct"])
        ax.text(0.02, 0.98, _model_key(ours), va="top", transform=ax.transAxes)
        lo = min(ax.get_xlim()[0], ax.get_ylim()[0])
        ax.axline((lo, lo), slope=1, color="black", ls="--", lw=1, label="y = x")
        ax.set_xlabel("top-1 accuracy (%)")
        ax.set_ylabel("MLA, all (%)")
        ax.grid(alpha=0.3)
        ax.legend(handles=[*_legend_handles(None), *ax.get_legend_handles_labels()[0]], loc="lower right")
        ax.set_title("Top-1 accuracy vs multi-label accuracy")
        _note(fig, note)
        return save(fig, out_stem)


def agreement_heatmap(table: pd.DataFrame, title: str, out_stem: Path) -> list[Path]:
    """Counts of expert verdicts against automated error types, to see where the two disagree."""
    with plt.rc_context(STYLE):
        if table.size == 0:
            fig, ax = plt.subplots(figsize=(6, 1.6), layout="constrained")
            ax.text(0.5, 0.5, "no expert pair is evaluated under this label set", ha="center", va="center")
            ax.set_axis_off()
            ax.set_title(title)
            return save(fig, out_stem)
        size = (1.6 + 1.1 * table.shape[1], 1.4 + 0.5 * table.shape[0])
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        sns.heatmap(table, annot=True, fmt="g", cmap="Blues", linewidths=0.5, cbar=False, ax=ax)
        ax.set_xticklabels(ax.get_xticklabels(), rotation=30, ha="right")
        ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
        ax.set_title(title)
        return save(fig, out_stem)
