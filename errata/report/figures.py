"""Figures for the report: our models drawn over the published 962-model tables (Peychev et al.).

Every figure uses the same colour per error type, the same marker per pre-training bucket for the
published models and one shape no bucket uses (a star) for ours, so a reader can move between
figures without a new legend to learn. Inputs are stats tables in the
reference's column format; the caller loads them.
"""

# ruff: noqa: E402  (the Agg backend must be chosen before pyplot is imported)
from __future__ import annotations

from collections.abc import Mapping, Sequence
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

from errata import zoo
from errata.atomic import write_with
from errata.outputs import ERRORS
from errata.papers.published import PRETRAINING, training_bucket
from errata.results.summarize import COUNT_COLUMNS

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
# pre-training bucket -> (marker, grey used for the published background)
BUCKETS: dict[str, tuple[str, str]] = dict(
    zip(PRETRAINING, [("o", "#b0b0b0"), ("s", "#7a7a7a"), ("^", "#404040"), ("D", "#d8d8d8")], strict=True)
)
STYLE = {"font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8, "svg.hashsalt": "errata"}
PNG_DPI = 200
FIT_DEGREE = 2
MAX_LABELLED = 12  # our models drawn numbered; more are one series
MAX_BARS = 40  # models in the stacked-bar figure
NOTE_LINE_IN = 0.16  # inches kept free at the bottom of a figure per line of its note
OUR_MARKER = "*"  # a shape no published bucket uses, so ours are never read as published
OUR_SIZE = 150  # marker area (points^2) of our numbered models
MARKER_PT = OUR_SIZE**0.5  # their diameter in points
MARKER_HALF = 0.55 * MARKER_PT  # half the extent kept free around one
LABEL_FONT = 8
LABEL_BOX = {"facecolor": "white", "alpha": 0.8, "lw": 0, "pad": 0.5}  # readable over the grey cloud
CAVEAT_BOX = {"facecolor": "white", "alpha": 0.85, "lw": 0}


def portions(df: pd.DataFrame) -> pd.DataFrame:
    """Each error type's share of the group's top-1 errors, the quantity the paper relates to MLA."""
    counts = df[list(COUNT_COLUMNS)].rename(columns=COUNT_COLUMNS)
    return counts.div(df["num_group_top1_errors"], axis=0)[list(ERRORS)]


def plotted(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that may enter accuracy/portion figures: mistakes-only models have meaningless MLA."""
    keep = df["num_group_top1_errors"] > 0
    if "coverage" in df:
        keep &= df["coverage"] != zoo.MISTAKES_ONLY
    return df[keep]


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


def _ours(
    ax: Axes, ours: pd.DataFrame, x: pd.Series, y: pd.Series, color: str
) -> list[tuple[float, float, str]]:
    """Our models on top: large, black-edged, numbered as in `_model_key` (full names would collide);
    beyond MAX_LABELLED models, one unnumbered series (numbers would cover the plot). Returns the
    (x, y, number) to label once the axes' limits are final (`_label_points`)."""
    if len(ours) > MAX_LABELLED:
        ax.scatter(x, y, s=OUR_SIZE / 2, marker=OUR_MARKER, color=color, edgecolors="black", linewidths=0.5,
                   zorder=4)  # fmt: skip
        return []
    for i in ours.index:
        ax.scatter(x[i], y[i], s=OUR_SIZE, marker=OUR_MARKER, color=color, edgecolors="black", linewidths=1,
                   zorder=4)  # fmt: skip
    return [
        (float(x[i]), float(y[i]), str(n))
        for i, n in zip(ours.index, range(1, len(ours) + 1), strict=True)
        if pd.notna(x[i]) and pd.notna(y[i])
    ]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Overlapping area of two (x0, y0, x1, y1) boxes."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _label_points(fig: Figure, panels: list[tuple[Axes, list[tuple[float, float, str]]]]) -> None:
    """Number our points in each (axes, points) panel once the layout is final (one layout pass)."""
    if any(points for _, points in panels):
        fig.get_layout_engine().execute(fig)  # final positions, so data -> pixels is what will be saved
        for ax, points in panels:
            _label_panel(ax, points)


def _groups(screen: np.ndarray, reach: float) -> list[list[int]]:
    """Points that share one label: each within `reach` of every other in its group (not chained, so
    a group never spans more than `reach` and its label sits at all its points)."""
    groups: list[list[int]] = []
    for i, xy in enumerate(screen):
        near = next((g for g in groups if max(np.hypot(*(screen[j] - xy)) for j in g) < reach), None)
        if near is None:
            groups.append([i])
        else:
            near.append(i)
    return groups


def _line_boxes(ax: Axes) -> list[tuple[float, float, float, float]]:
    """The drawn lines (fit curves, y = x) as small boxes along their path, in pixels, so labels
    are placed off them rather than under them."""
    px = ax.get_figure().dpi / 72
    boxes = []
    for line in ax.get_lines():
        xy = line.get_transform().transform_path(line.get_path()).vertices
        half = line.get_linewidth() * px / 2 + px
        for a, b in zip(xy[:-1], xy[1:], strict=True):
            steps = max(1, int(np.hypot(*(b - a)) / half))
            for x, y in np.linspace(a, b, steps + 1):
                boxes.append((x - half, y - half, x + half, y + half))
    return boxes


def _label_panel(ax: Axes, points: list[tuple[float, float, str]]) -> None:
    """Labels that cover neither each other, the markers nor the lines: points whose markers
    overlap by half share one label ("3,5"), and each label takes the first free place around its
    group of markers."""
    if not points:
        return
    px = ax.get_figure().dpi / 72  # pixels per point
    screen = ax.transData.transform([(x, y) for x, y, _ in points])
    groups = _groups(screen, MARKER_PT / 2 * px)
    half = MARKER_HALF * px
    markers = [(x - half, y - half, x + half, y + half) for x, y in screen]
    taken = markers + _line_boxes(ax)
    frame = ax.bbox.extents
    renderer = ax.get_figure().canvas.get_renderer()
    for group in groups:
        text = ",".join(sorted((points[i][2] for i in group), key=int))
        label = ax.text(0, 0, text, fontsize=LABEL_FONT, ha="left", va="bottom", zorder=5, bbox=LABEL_BOX)
        extent = label.get_window_extent(renderer)
        w, h = extent.width, extent.height
        x0, y0 = screen[group].min(axis=0) - half
        x1, y1 = screen[group].max(axis=0) + half
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        gap = 1.5 * px
        places = [
            (x1 + gap, cy - h / 2), (cx - w / 2, y1 + gap), (cx - w / 2, y0 - gap - h),
            (x0 - gap - w, cy - h / 2), (x1 + gap, y1 + gap), (x1 + gap, y0 - gap - h),
            (x0 - gap - w, y1 + gap), (x0 - gap - w, y0 - gap - h),
        ]  # fmt: skip
        best, best_cost = places[0], float("inf")
        for bx, by in places:
            box = (bx, by, bx + w, by + h)
            outside = box[0] < frame[0] or box[1] < frame[1] or box[2] > frame[2] or box[3] > frame[3]
            cost = sum(_overlap(box, t) for t in taken) + w * h * outside
            if cost < best_cost:
                best, best_cost = (bx, by), cost
            if cost == 0:
                break
        taken.append((best[0], best[1], best[0] + w, best[1] + h))
        label.set_position(ax.transData.inverted().transform(best))


def _model_key(ours: pd.DataFrame) -> str:
    """Number -> model_dir_id, in the numbering `_ours` draws."""
    if len(ours) > MAX_LABELLED:
        return f"ours: {len(ours)} models\n(one row each in reports/stats)"
    return "ours:\n" + "\n".join(f"{n}  {m}" for n, m in enumerate(ours["model_dir_id"], start=1))


def _note(fig: Figure, note: str | Sequence[str] | None) -> None:
    """State the label sets and caveats on the figure itself, one line each, so a figure seen on its
    own still says what is compared and what was not run."""
    lines = [note] if isinstance(note, str) else list(note or [])
    if not lines:
        return
    line = NOTE_LINE_IN / fig.get_figheight()
    fig.get_layout_engine().set(rect=(0, line * (len(lines) + 0.3), 1, 1 - line * (len(lines) + 0.3)))
    for k, text in enumerate(reversed(lines)):
        fig.text(0.01, 0.005 + k * line, text, fontsize=8, style="italic", ha="left", va="bottom")


def _legend_handles(fit_color: str | None) -> list[Line2D]:
    handles = [
        Line2D([], [], ls="", marker=m, color=g, markersize=6, label=f"published, {b}")
        for b, (m, g) in BUCKETS.items()
    ]
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            marker=OUR_MARKER,
            color="white",
            markeredgecolor="black",
            markersize=12,
            label="ours",
        )  # fmt: skip
    )
    if fit_color:
        handles.append(Line2D([], [], color=fit_color, lw=2, label=f"published fit (deg {FIT_DEGREE})"))
    return handles


def portion_vs_mla(
    ours: pd.DataFrame,
    published: pd.DataFrame,
    group: str,
    out_stem: Path,
    note: str | Sequence[str] | None = None,
    caveats: Mapping[str, str] | None = None,
) -> list[Path]:
    """One panel per error type: how its share of errors moves with MLA, ours against the published
    trend; `caveats` (by error type) are written inside that type's panel."""
    ours, published = plotted(ours), plotted(published)
    ours_p, pub_p = portions(ours), portions(published)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 4, figsize=(12, 7), layout="constrained")
        points: dict[str, list[tuple[float, float, str]]] = {}
        for ax, etype in zip(axes.flat, ERRORS, strict=False):
            color = ERROR_COLORS[etype]
            _background(ax, published, published["mla_group"], pub_p[etype])
            _trend(ax, published["mla_group"], pub_p[etype], color)
            points[etype] = _ours(ax, ours, ours["mla_group"], ours_p[etype], color)
            ax.set_title(etype)
            top = ax.get_ylim()[1]
            ax.set_ylim(-0.03 * top, top)  # a sliver below 0 so points at exactly 0 stay whole
            ax.grid(alpha=0.3)
            if etype in (caveats or {}):
                ax.text(0.5, 0.5, caveats[etype], transform=ax.transAxes, ha="center", va="center", wrap=True,
                        fontsize=8, style="italic", bbox=CAVEAT_BOX)  # fmt: skip
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
        _label_points(fig, [(ax, points[etype]) for ax, etype in zip(axes.flat, ERRORS, strict=False)])
        return save(fig, out_stem)


def stacked_bars(ours: pd.DataFrame, out_stem: Path, note: str | Sequence[str] | None = None) -> list[Path]:
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
        fig.legend(ncols=4, loc="outside upper center", frameon=False)
        _note(fig, note)
        return save(fig, out_stem)


def top1_vs_mla(
    ours: pd.DataFrame, published: pd.DataFrame, out_stem: Path, note: str | Sequence[str] | None = None
) -> list[Path]:
    """Top-1 against MLA: the gap above y=x is how much of top-1 error is not a real mistake."""
    ours, published = plotted(ours), plotted(published)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
        _background(ax, published, published["top1_val_acc"], published["mla_all"])
        points = _ours(ax, ours, ours["top1_val_acc"], ours["mla_all"], ERROR_COLORS["correct"])
        ax.text(0.02, 0.98, _model_key(ours), va="top", transform=ax.transAxes)
        lo = min(ax.get_xlim()[0], ax.get_ylim()[0])
        ax.axline((lo, lo), slope=1, color="black", ls="--", lw=1, label="y = x")
        ax.set_xlabel("top-1 accuracy (%)")
        ax.set_ylabel("MLA, all (%)")
        ax.grid(alpha=0.3)
        ax.legend(handles=[*_legend_handles(None), *ax.get_legend_handles_labels()[0]], loc="lower right")
        ax.set_title("Top-1 accuracy vs multi-label accuracy")
        _note(fig, note)
        _label_points(fig, [(ax, points)])
        return save(fig, out_stem)


def agreement_heatmap(
    table: pd.DataFrame, title: str, out_stem: Path, note: str | Sequence[str] | None = None
) -> list[Path]:
    """Expert verdicts (rows) against automated error types, each row normalised to the share of that
    expert verdict's pairs, so rows of different sizes compare; every cell also prints its count."""
    with plt.rc_context(STYLE):
        if table.size == 0:
            fig, ax = plt.subplots(figsize=(6, 1.6), layout="constrained")
            ax.text(0.5, 0.5, "no expert pair is evaluated under this label set", ha="center", va="center")
            ax.set_axis_off()
            ax.set_title(title)
            _note(fig, note)
            return save(fig, out_stem)
        counts = table.astype(int)
        shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
        cells = [[f"{s:.0%}\n({c:d})" for s, c in zip(sr, cr, strict=True)]
                 for sr, cr in zip(shares.to_numpy(), counts.to_numpy(), strict=True)]  # fmt: skip
        size = (2.6 + 1.1 * table.shape[1], 1.7 + 0.55 * table.shape[0])
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        sns.heatmap(shares, annot=np.array(cells), fmt="", cmap="Blues", vmin=0, vmax=1, linewidths=0.5,
                    ax=ax, cbar_kws={"label": "share of the row's pairs"})  # fmt: skip
        ax.set_xticklabels(ax.get_xticklabels(), rotation=30, ha="right")
        ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
        ax.set_xlabel("automated error type (errata)")
        ax.set_ylabel(f"expert {table.index.name or 'verdict'}")
        ax.set_title(f"{title}\n(row-normalised; count in brackets)")
        _note(fig, note)
        return save(fig, out_stem)
