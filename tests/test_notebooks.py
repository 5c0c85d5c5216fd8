"""The notebooks: stored without outputs (fast, always), and run top to bottom against this
checkout's `dvc repro` outputs (`pytest --pipeline-outputs -m pipeline_outputs`, as .ci/run does
after `dvc repro`), their numbers checked against the stats tables."""

import os
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from errata.results import per_class

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_one_model.ipynb",
        "02_two_models.ipynb",
        "03_published_models.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
    counted = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count is not None]
    assert not with_outputs and not counted, (
        f"{path.name}: cells {with_outputs or counted} hold outputs or execution counts; "
        f"strip them: jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)}"
    )
    assert nb.cells[0].cell_type == "markdown" and "**What this answers:**" in nb.cells[0].source
    assert code[0].metadata.get("tags") == ["parameters"]


def _run(path: Path) -> tuple[str, list[str]]:
    """Execute in the notebook's folder, as Jupyter does; everything it printed, in order, and the
    HTML of every table and Markdown it displayed."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2, (
        f"{path.name} drew fewer than 2 figures"
    )
    shown = [o["data"].get("text/html") or o["data"].get("text/markdown", "") for o in outputs if "data" in o]
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream"), shown


def _decimals(table_html: str) -> set[int]:
    """How many decimals the table's numbers show."""
    return {len(d) for d in re.findall(r"<td[^>]*>-?\d+\.(\d+)</td>", table_html)}


@pytest.fixture(scope="module")
def stats():
    return pd.read_csv(ROOT / "reports" / "stats" / "all.csv").set_index("model_dir_id")


@pytest.mark.pipeline_outputs
@pytest.mark.slow
def test_one_model_notebook_runs_and_prints_the_stats_tables_numbers(stats):
    row = stats.loc["resnet50.imagenetx"]
    printed, shown = _run(ROOT / "notebooks" / "01_one_model.ipynb")
    assert (
        f"resnet50.imagenetx: label set {row['label_set']}, {row['num_all_samples']:,} evaluated" in printed
    )
    assert f"top-1 {row['top1_val_acc']:.2f}%, MLA {row['mla_all']:.2f}%" in printed
    assert f"mean of per-class MLA: {row['mla_all']:.2f}% (summary: {row['mla_all']:.2f}%)" in printed
    worst = shown[shown.index(next(s for s in shown if s.startswith("**The 10 worst classes**"))) + 1]
    assert _decimals(worst) == {2}  # rounded for reading, not 14 digits
    rows = re.findall(r"<tr>\s*<th>\d+</th>\s*<td>\d+</td>\s*<td>[^<]*</td>\s*<td>(\d+)</td>", worst)
    images = [int(n) for n in rows]  # n_evaluated, the column after class_index and name
    assert len(images) == 10 and min(images) >= per_class.MIN_IMAGES  # no class of 7 images leads
    assert any(s.startswith("Rankings over the ") and "at least 25 evaluated images" in s for s in shown)


@pytest.mark.pipeline_outputs
@pytest.mark.slow
def test_two_models_notebook_runs_over_the_images_both_were_evaluated_on(stats):
    n = stats.loc["resnet50.imagenetx", "num_all_samples"]
    assert n == stats.loc["vit.imagenetx", "num_all_samples"]  # both cover every image
    printed, shown = _run(ROOT / "notebooks" / "02_two_models.ipynb")
    assert all(max(_decimals(t), default=0) <= 2 for t in shown)
    assert (
        f"A = resnet50.imagenetx, B = vit.imagenetx: {n} non-problematic images predicted by both" in printed
    )


@pytest.mark.pipeline_outputs
@pytest.mark.slow
def test_published_notebook_runs_with_our_full_coverage_models_on_top(stats, public_data, monkeypatch):
    """With the mirror given as the README gives it, relative to the project root (where a
    notebook, run from notebooks/, does not find it), as the published models' stats need it."""
    mirror = os.path.relpath(Path(os.environ["ERRATA_MIRROR"]).resolve(), ROOT)
    assert (ROOT / mirror).is_dir() and not (ROOT / "notebooks" / mirror).exists()
    monkeypatch.setenv("ERRATA_MIRROR", mirror)
    full = stats.index[stats["coverage"] != "mistakes"]
    printed, shown = _run(ROOT / "notebooks" / "03_published_models.ipynb")
    assert all(max(_decimals(t), default=0) <= 3 for t in shown)  # shares to 3 decimals, accuracies to 1 or 2
    assert "group all: 962 of 962 published models selected" in printed
    assert f"ours: {len(full)} models with full coverage: {', '.join(full)}" in printed
