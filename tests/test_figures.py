from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.markers import MarkerStyle
from matplotlib.transforms import Bbox

from errata.report import figures
from errata.report import html as html_report
from errata.results.summarize import COUNT_COLUMNS


def stats_frame(n: int, seed: int) -> pd.DataFrame:
    """A stats table in the reference's column format with plausible random values."""
    rng = np.random.default_rng(seed)
    errors = rng.integers(1000, 5000, n)
    shares = rng.dirichlet(np.ones(len(COUNT_COLUMNS)), n)
    counts = np.floor(shares * errors[:, None]).astype(int)
    mla = rng.uniform(70, 97, n)
    df = pd.DataFrame(counts, columns=list(COUNT_COLUMNS))
    return df.assign(
        model_dir_id=[f"m{i}" for i in range(n)],
        training_data=rng.choice(["ImageNet-1k (1.2M)", "ImageNet-21k (14M)", "JFT (300M)", None], n),
        num_group_top1_errors=counts.sum(axis=1),
        mla_group=mla,
        mla_all=mla,
        top1_val_acc=mla - rng.uniform(5, 12, n),
    )


@pytest.fixture
def ours() -> pd.DataFrame:
    df = stats_frame(4, seed=1)
    return df.assign(coverage=["all", "all", "mistakes", "all"])


@pytest.fixture
def published() -> pd.DataFrame:
    return stats_frame(30, seed=2)


def test_portions_by_hand():
    df = pd.DataFrame({col: [1, 0] for col in COUNT_COLUMNS} | {"num_group_top1_errors": [10, 4]})
    df.loc[1, "num_not_classified"] = 3
    df.loc[1, "num_ambiguous"] = 1
    got = figures.portions(df)
    assert list(got.columns) == list(figures.ERRORS)
    assert got.loc[0].tolist() == [0.1] * 7
    assert got.loc[1, "model_failure"] == 0.75 and got.loc[1, "multi_label"] == 0.25
    assert got.loc[1].sum() == 1


def test_every_error_type_has_a_colour():
    assert set(figures.ERROR_COLORS) == {"correct", *figures.ERRORS}
    assert len(set(figures.ERROR_COLORS.values())) == 8


def test_mistakes_only_models_are_not_plotted(ours):
    assert figures.plotted(ours)["model_dir_id"].tolist() == ["m0", "m1", "m3"]
    assert len(figures.plotted(ours.drop(columns="coverage"))) == 4


@pytest.mark.parametrize(
    ("text", "bucket"),
    [
        ("ImageNet-1k (self-supervised)", "ImageNet-1k"),
        ("ImageNet-22k", "ImageNet-21k/22k"),
        ("LAION-2B (2.3B)", "larger/other"),
        (None, "unknown"),
        (float("nan"), "unknown"),
    ],
)
def test_training_bucket(text, bucket):
    assert figures.training_bucket(text) == bucket


def assert_written(paths: list[Path], stem: Path) -> None:
    assert paths == [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    assert all(p.stat().st_size > 0 for p in paths)


def test_figures_write_png_and_svg(tmp_path, ours, published):
    note = "ours: ReaL labels; published: multi-label set"
    stem = tmp_path / "pvm"
    assert_written(figures.portion_vs_mla(ours, published, "organism", stem, note=note), stem)
    assert note in stem.with_suffix(".svg").read_text()
    stem = tmp_path / "bars"
    assert_written(figures.stacked_bars(ours, stem), stem)
    stem = tmp_path / "top1"
    assert_written(figures.top1_vs_mla(ours, published, stem, note=note), stem)
    table = pd.DataFrame([[5, 1], [0, 7]], index=["minor", "major"], columns=["multi_label", "model_failure"])
    stem = tmp_path / "heat"
    assert_written(figures.agreement_heatmap(table, "agreement", stem), stem)


def test_report_is_self_contained(tmp_path, ours):
    png = figures.stacked_bars(ours, tmp_path / "bars")[0]
    table = html_report.table_html(ours[["model_dir_id", "mla_group"]], caption="see https://example.org")
    sections = [
        html_report.Section("Results <all>", [table, html_report.image_html(png, "bars")]),
        html_report.Section("Notes", [html_report.note_list(["from http://a/b"])]),
    ]
    page = html_report.build_html("errata", sections)
    assert html_report.find_external_urls(page) == []
    assert "data:image/png;base64," in page and "&lt;all&gt;" in page
    out = html_report.write(tmp_path / "r.html", page)
    assert out.read_text() == page


def test_build_html_refuses_unescaped_strings():
    with pytest.raises(TypeError):
        html_report.build_html("t", [html_report.Section("s", ["<b>raw</b>"])])


@pytest.mark.parametrize(
    ("page", "url"),
    [
        ('<img src="https://x/y.png">', "https://x/y.png"),
        ('<link href="//cdn.x/y.css">', "//cdn.x/y.css"),
        ("<style>p { background: url(http://a/b) }</style>", "http://a/b"),
        ("<style>@import '//cdn.x/z.css';</style>", "//cdn.x/z.css"),
        ('<img src="&#47;&#47;x/e.png">', "//x/e.png"),
    ],
)
def test_find_external_urls_catches(page, url):
    assert url in html_report.find_external_urls(page)


def hand_model() -> pd.DataFrame:
    """One model whose 40 errors are split by hand: 4 fine-grained, 10 spurious, 26 model failure."""
    counts = {col: 0 for col in COUNT_COLUMNS}
    counts |= {"num_same_superclass": 4, "num_common_co_occ": 10, "num_not_classified": 26}
    return pd.DataFrame([counts]).assign(
        model_dir_id="hand", training_data="ImageNet-1k (1.2M)", num_group_top1_errors=40,
        mla_group=91.0, mla_all=91.0, top1_val_acc=80.0, coverage="all",
    )  # fmt: skip


def _our_points(ax) -> list[tuple[float, float]]:
    """Offsets of the large, black-edged markers `_ours` draws (the published cloud is size 9)."""
    big = [c for c in ax.collections if c.get_sizes()[0] == figures.OUR_SIZE]
    return [tuple(map(float, c.get_offsets()[0])) for c in big]


def test_top1_vs_mla_puts_top1_on_x_and_mla_on_y(drawn, published):
    figures.top1_vs_mla(hand_model(), published, Path("unused"), note="label sets differ")
    ax = drawn[0].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("top-1 accuracy (%)", "MLA, all (%)")
    assert _our_points(ax) == [(80.0, 91.0)]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-2:] == ["ours", "y = x"] and "published, ImageNet-1k" in legend
    assert "label sets differ" in [t.get_text() for t in drawn[0].texts]


def test_portion_vs_mla_draws_each_types_share_against_mla(drawn, published):
    figures.portion_vs_mla(hand_model(), published, "all", Path("unused"))
    panels = {ax.get_title(): ax for ax in drawn[0].axes if ax.get_title()}
    assert list(panels) == list(figures.ERRORS)
    assert _our_points(panels["fine_grained"]) == [(91.0, 0.1)]
    assert _our_points(panels["spurious_correlation"]) == [(91.0, 0.25)]
    assert _our_points(panels["model_failure"]) == [(91.0, 0.65)]
    assert _our_points(panels["multi_label"]) == [(91.0, 0.0)]
    assert panels["model_failure"].get_xlabel() == "MLA (%)"
    assert panels["overlapping_classes"].get_ylabel() == "portion of top-1 errors"


def test_stacked_bars_widths_are_the_portions(drawn):
    figures.stacked_bars(hand_model(), Path("unused"))
    ax = drawn[0].axes[0]
    widths = {c.get_label(): c.patches[0].get_width() for c in ax.containers}
    assert widths["fine_grained"] == pytest.approx(0.1) and widths["model_failure"] == pytest.approx(0.65)
    assert widths["spurious_correlation"] == pytest.approx(0.25) and widths["multi_label"] == 0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["hand  (MLA 91.0)"]
    legend = [t.get_text() for t in drawn[0].legends[0].get_texts()]
    assert legend == list(figures.ERRORS)


def test_agreement_heatmap_prints_each_cell_where_it_belongs(drawn):
    """Rows are normalised to the share of that expert verdict's pairs (colour and percentage), and
    each cell also prints its count as an integer; a colour bar and both axis titles say so."""
    table = pd.DataFrame([[5, 1], [0, 7]], index=["Minor", "Major"], columns=["multi_label", "model_failure"])
    table.index.name = "severity"
    figures.agreement_heatmap(
        table, "vit_3b.experts: expert severity x automated error type", Path("unused"), "a caveat"
    )
    ax, bar = drawn[0].axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["multi_label", "model_failure"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Minor", "Major"]
    cells = {
        (round(t.get_position()[1] - 0.5), round(t.get_position()[0] - 0.5)): t.get_text() for t in ax.texts
    }
    assert cells == {(0, 0): "83%\n(5)", (0, 1): "17%\n(1)", (1, 0): "0%\n(0)", (1, 1): "100%\n(7)"}
    colours = ax.collections[0].get_array().ravel()
    assert colours.tolist() == pytest.approx([5 / 6, 1 / 6, 0, 1])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("automated error type (errata)", "expert severity")
    assert bar.get_ylabel() == "share of the row's pairs" and bar.get_ylim() == (0, 1)
    assert ax.get_title().startswith("vit_3b.experts: expert severity x automated error type\n")
    assert "a caveat" in [t.get_text() for t in drawn[0].texts]


def test_many_models_stay_readable(drawn, published):
    """Beyond MAX_LABELLED models the points are one unnumbered series, and the bar chart shows
    MAX_BARS models evenly spaced by MLA, best and worst included."""
    many = stats_frame(100, seed=3).assign(coverage="all")
    figures.top1_vs_mla(many, published, Path("unused"))
    ax = drawn[0].axes[0]
    assert not [t for t in ax.texts if t.get_text().isdigit()]  # no per-model numbers
    ours = [c for c in ax.collections if c.get_sizes()[0] == figures.OUR_SIZE / 2]
    assert sum(len(c.get_offsets()) for c in ours) == 100
    assert "ours: 100 models" in ax.texts[0].get_text()
    figures.stacked_bars(many, Path("unused"))
    bars = drawn[1].axes[0]
    ticks = [t.get_text() for t in bars.get_yticklabels()]
    assert (
        len(ticks) == figures.MAX_BARS
        and bars.get_title() == f"{figures.MAX_BARS} of 100 models, evenly spaced by MLA"
    )
    by_mla = many.sort_values("mla_group")["model_dir_id"]
    assert ticks[0].startswith(f"{by_mla.iloc[0]} ") and ticks[-1].startswith(f"{by_mla.iloc[-1]} ")


def _shape(marker) -> bytes:
    """A marker's outline as scatter draws it, comparable between collections and legend handles."""
    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform()).vertices.round(4).tobytes()


@pytest.mark.parametrize("n", [4, figures.MAX_LABELLED + 3])
def test_ours_never_take_a_published_models_shape(drawn, published, n):
    """Whatever their pre-training data (unknown included), our markers are a shape the published
    buckets do not use, in the plot and in the legend."""
    ours = stats_frame(n, seed=4).assign(coverage="all")
    ours["training_data"] = (["ImageNet-1k", "ImageNet-21k", "JFT-300M", None] * n)[:n]
    figures.top1_vs_mla(ours, published, Path("unused"))
    figures.portion_vs_mla(ours, published, "all", Path("unused"))
    published_shapes = {_shape(m) for m, _ in figures.BUCKETS.values()}
    for fig in drawn:
        for ax in fig.axes:
            big = [c for c in ax.collections if c.get_sizes().size and c.get_sizes()[0] > 9]
            for c in big:
                assert c.get_paths()[0].vertices.round(4).tobytes() not in published_shapes, ax.get_title()
            assert sum(len(c.get_offsets()) for c in big) == (n if ax.get_title() != "" else 0)
            legend = ax.get_legend()
            if legend is not None:
                ours_handle = next(h for h in legend.legend_handles if h.get_label() == "ours")
                assert _shape(ours_handle.get_marker()) not in published_shapes


def _labels(fig, ax) -> list[tuple[Bbox, list[int]]]:
    """Each number label's box in pixels and the models it names, as `save` would draw them."""
    with plt.rc_context(figures.STYLE):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [
        (t.get_window_extent(renderer), [int(n) for n in t.get_text().split(",")])
        for t in ax.texts
        if t.get_text().replace(",", "").isdigit()
    ]


def test_a_shared_label_sits_at_every_point_it_names(drawn, published):
    """Six models in a row, each marker touching the next: a label shared by touching markers must
    not name points a marker or more away from it (the "1,4,6" beside only one of its points)."""
    ours = stats_frame(6, seed=6).assign(coverage="all", mla_all=80.0, top1_val_acc=np.linspace(70, 73.5, 6))
    figures.top1_vs_mla(ours, published, Path("unused"))
    fig = drawn[0]
    ax = fig.axes[0]
    labels = _labels(fig, ax)
    assert sorted(n for _, names in labels for n in names) == list(range(1, 7))
    assert max(len(names) for _, names in labels) <= 3  # the row is not one label
    px = fig.dpi / 72
    points = ax.transData.transform(np.column_stack([ours["top1_val_acc"], ours["mla_all"]]))
    step = (points[1, 0] - points[0, 0]) / (figures.MARKER_PT * px)
    assert 0.5 < step < 1, step  # neighbours' markers touch: the case that chained one label
    for box, names in labels:
        for n in names:
            x, y = points[n - 1]
            dx = max(box.x0 - x, 0, x - box.x1)
            dy = max(box.y0 - y, 0, y - box.y1)
            assert np.hypot(dx, dy) < 1.5 * figures.MARKER_PT * px, (names, n)


def test_labels_stay_off_the_fit_curves(drawn):
    """Our models lying on a flat published trend: their numbers go above or below the curve, not
    beside the points under it."""
    published = stats_frame(40, seed=7).assign(mla_group=np.linspace(60, 95, 40))
    ours = stats_frame(3, seed=8).assign(coverage="all", mla_group=[65.0, 77.0, 89.0])
    share = np.tile([0.3, 0.7], 20)  # a model_failure portion whose fit is flat at 0.5, where ours lie
    published["num_not_classified"] = (published["num_group_top1_errors"] * share).astype(int)
    ours["num_not_classified"] = ours["num_group_top1_errors"] // 2
    figures.portion_vs_mla(ours, published, "all", Path("unused"))
    fig = drawn[0]
    ax = next(a for a in fig.axes if a.get_title() == "model_failure")
    labels = _labels(fig, ax)
    assert len(labels) == 3
    for line in ax.get_lines():
        path = line.get_transform().transform_path(line.get_path())
        for box, names in labels:
            assert not path.intersects_bbox(box, filled=False), names
