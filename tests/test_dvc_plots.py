"""The `dvc plots` definitions in dvc.yaml: their custom templates agree with the stats columns and
the figures' colours (fast), and `dvc plots show` renders them from this checkout's `dvc repro`
outputs (`pytest --pipeline-outputs -m pipeline_outputs`, as .ci/run does after `dvc repro`)."""

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from errata.report.figures import ERROR_COLORS, ERRORS
from errata.results.summarize import COUNT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / ".dvc" / "plots"


def test_error_type_template_folds_every_count_column_under_its_error_type():
    spec = json.loads((TEMPLATES / "errata_error_types.json").read_text())
    fold = next(t for t in spec["transform"] if "fold" in t)["fold"]
    rename = next(t["calculate"] for t in spec["transform"] if t.get("as") == "error type")
    assert sorted(fold) == sorted(COUNT_COLUMNS)
    assert dict(re.findall(r"'(\w+)': '(\w+)'", rename)) == COUNT_COLUMNS
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == list(ERRORS) == spec["encoding"]["color"]["sort"]
    assert scale["range"] == [ERROR_COLORS[t] for t in ERRORS]


def test_every_custom_template_named_in_dvc_yaml_exists():
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    named = [v["template"] for p in plots if isinstance(p, dict) for v in p.values() if "template" in v]
    assert named == ["errata_top1_vs_mla", "errata_error_types"]
    assert all((TEMPLATES / f"{name}.json").exists() for name in named)


@pytest.mark.pipeline_outputs
def test_dvc_plots_show_renders_every_definition_from_the_stats_table(tmp_path):
    done = subprocess.run(
        ["dvc", "plots", "show", "--json", "-o", str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    rendered = json.loads(done.stdout)["data"]
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    ids = [p if isinstance(p, str) else next(iter(p)) for p in plots]
    assert sorted(rendered) == sorted(ids)
    stats = pd.read_csv(ROOT / "reports" / "stats" / "all.csv")
    for plot_id, (plot,) in rendered.items():
        if plot["type"] == "image":
            assert Path(plot["url"]).stat().st_size > 0
            continue
        assert plot["type"] == "vega"
        spec = plot["content"]
        assert "<DVC_METRIC" not in json.dumps(spec), f"{plot_id}: an anchor was left unfilled"
        values = spec["data"]["values"]
        assert [v["model_dir_id"] for v in values] == stats["model_dir_id"].tolist()
        shown = [float(v["mla_all"] or "nan") for v in values]  # empty for mistakes-only models
        assert shown == pytest.approx(stats["mla_all"].tolist(), nan_ok=True)
    page = subprocess.run(
        ["dvc", "plots", "show", "-o", str(tmp_path / "html")], cwd=ROOT, capture_output=True
    )
    assert page.returncode == 0, page.stderr
    html = (tmp_path / "html" / "index.html").read_text()
    for plot_id in ids:
        if plot_id.endswith(".png"):
            assert f'<img src="static/workspace_{re.sub(r"[/.]", "_", plot_id[:-4])}.png">' in html
        else:
            assert f"vegaEmbed('#{plot_id}'" in html
    # DVC's page loads Vega from the web (the README says so and points to reports/index.html)
    assert re.search(r"<script src=\"https://[^\"]*vega", html)
