from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from errata import figures, html_report
from errata.summarize import COUNT_COLUMNS


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
