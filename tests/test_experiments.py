"""DVC experiments over label sets and model lists: the worked example of docs/experiments.md, run
as written in a committed copy of the pipeline, and what `dvc exp show`, `dvc params diff` and
`dvc metrics diff` then report, checked against the counts and stats tables the runs wrote."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from doc_pages import marked_block
from repo_copy import ROOT, copy_working_tree, dvc, env, relative_mirror

from errata.results import summarize

LABEL_SET = "custom:labels/real_plus_original.csv"
METRICS = "reports/metrics"  # a file per model
AFTER_SUMMARIZE = ("agreement", "report")
MIRROR = "../shared/data"
MODELS = ["dino.imagenetx", "resnet50.cleanlab_cv", "resnet50.imagenetx", "simclr.imagenetx", "vit.imagenetx"]
MISTAKES_ONLY = ["greedy_soups.experts", "vit_3b.experts"]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def _metrics(repo: Path) -> dict[str, dict]:
    """The workspace's metrics by model, from the files."""
    return {p.stem: json.loads(p.read_text()) for p in sorted((repo / METRICS).glob("*.json"))}


def _experiment(repo: Path, name: str) -> tuple[str, dict, dict]:
    """The commit, params and metrics by model of experiment `name`, as `dvc exp show --json`
    reports them."""
    for baseline in json.loads(dvc(repo, "exp", "show", "--json")):
        for exp in baseline.get("experiments") or []:
            for rev in exp["revs"]:
                if rev["name"] == name:
                    data = rev["data"]
                    metrics = {Path(path).stem: m["data"] for path, m in data["metrics"].items()}
                    return rev["rev"], data["params"]["params.yaml"]["data"], metrics
    raise AssertionError(f"no experiment {name!r} in dvc exp show")


@pytest.fixture(scope="module")
def baseline(public_data, tmp_path_factory) -> Path:
    """A committed copy of the pipeline after `dvc repro`, as a user's clone would be (an experiment
    commits every output dvc.lock names, so all must be in the cache), without the stages after
    `summarize`. Its mirror is the README's relative `../shared/data` (`MIRROR`): valid from the
    copy's root only, as in a clone beside shared/, so the experiments' temporary copies under
    .dvc/tmp/ must resolve it from the project root."""
    repo = copy_working_tree(tmp_path_factory.mktemp("experiments") / "repo")
    assert relative_mirror(repo) == MIRROR
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    for stage in AFTER_SUMMARIZE:  # the experiments stop at summarize: their stages only cost time
        del pipeline["stages"][stage]
    del pipeline["plots"]
    (repo / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    _git(repo, "config", "user.name", "errata tests")
    _git(repo, "config", "user.email", "tests@errata.invalid")
    dvc(repo, "repro", "--quiet", ERRATA_MIRROR=MIRROR)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "baseline")
    return repo


@pytest.mark.slow
def test_the_docs_label_set_experiment_compares_as_it_says(baseline):
    block = marked_block("tests/test_experiments.py")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=baseline,
        env=env(baseline, ERRATA_MIRROR=MIRROR),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "real-plus-original" in done.stdout

    params = json.loads(dvc(baseline, "params", "diff", "--json", "HEAD", "real-plus-original"))
    assert params == {
        "params.yaml": {
            "labels.set": {"old": "real", "new": LABEL_SET},
            "cooccurrence.images": {"old": "auto", "new": "all"},
        }
    }

    before = _metrics(baseline)
    rev, _, after = _experiment(baseline, "real-plus-original")
    assert set(after) == set(before) == set(MODELS + MISTAKES_ONLY)
    counts = json.loads((baseline / "data/prepared/counts.json").read_text())
    stats = {
        "HEAD": pd.read_csv(baseline / "reports/stats/all.csv").set_index("model_dir_id"),
        "exp": pd.read_csv(io.StringIO(_git(baseline, "show", f"{rev}:reports/stats/all.csv"))).set_index(
            "model_dir_id"
        ),
    }
    for model in ("resnet50.imagenetx", "vit.imagenetx", "dino.imagenetx"):  # all 50,000 images predicted
        assert stats["HEAD"].loc[model, "num_all_samples"] == counts["n_non_problematic"]
        # every image ReaL annotated is evaluated once its original label is accepted
        assert stats["exp"].loc[model, "num_all_samples"] == counts["n_images"] - counts["n_empty_labels"]
        assert after[model]["top1"] == before[model]["top1"]  # always over the original labels
        assert after[model]["mla"] != before[model]["mla"]
    for model in MISTAKES_ONLY:  # flagged, and nothing to compare as a model's accuracy
        assert set(after[model]) == {"coverage", "model_failure_share"}
        assert after[model]["coverage"] == "mistakes-only"

    # the experiment's metrics are its stats table's numbers
    assert (stats["exp"]["label_set"] == LABEL_SET).all()
    for model, row in stats["exp"].loc[MODELS].iterrows():
        assert after[model]["mla"] == pytest.approx(row.mla_all, abs=1e-4)
        assert after[model]["top1"] == pytest.approx(row.top1_val_acc, abs=1e-4)

    # `dvc metrics diff`: a row per number that changed, headline numbers only, none of the
    # mistakes-only models' accuracies
    diff = json.loads(dvc(baseline, "metrics", "diff", "HEAD", "real-plus-original", "--json"))
    changed = {(Path(path).stem, name) for path, names in diff.items() for name in names}
    assert {(m, "mla") for m in MODELS} <= changed
    assert not {(m, "top1") for m in MODELS} & changed  # unchanged numbers are not listed
    assert {name for _, name in changed} <= {"mla", "model_failure_share"}
    mla = diff[f"{METRICS}/resnet50.imagenetx.json"]["mla"]
    assert (mla["old"], mla["new"]) == (
        before["resnet50.imagenetx"]["mla"],
        after["resnet50.imagenetx"]["mla"],
    )

    # the page's --keep recipe: exactly the columns it names
    shown = dvc(
        baseline, "exp", "show", "--csv", "--drop", ".*",
        "--keep", r"Experiment$|labels.set$|.*/resnet50\.imagenetx\.json:(top1|mla)$",
    )  # fmt: skip
    table = pd.read_csv(io.StringIO(shown))
    assert list(table.columns) == [
        "Experiment",
        f"{METRICS}/resnet50.imagenetx.json:top1",
        f"{METRICS}/resnet50.imagenetx.json:mla",
        "labels.set",
    ]
    assert table.set_index("Experiment").loc["real-plus-original", "labels.set"] == LABEL_SET


@pytest.mark.slow
def test_dvc_exp_show_lists_headline_metrics_params_and_the_stages_deps(baseline):
    """`dvc exp show --csv` of the default pipeline, column by column: DVC's own five, three headline
    metrics per model (two for a mistakes-only one), params.yaml's params (no layout paths: dvc.yaml
    holds them inline), then one column per dependency of the stages (the code files each stage
    imports and the data it reads: DVC offers no way to hide them, `--drop` does)."""
    (baseline / "dvc.yaml").write_bytes((ROOT / "dvc.yaml").read_bytes())  # every stage, as a user has it
    try:
        columns = pd.read_csv(io.StringIO(dvc(baseline, "exp", "show", "--csv"))).columns.tolist()
    finally:
        _git(baseline, "checkout", "dvc.yaml")
    metrics = [
        f"{METRICS}/{m}.json:{name}"
        for m in sorted(MODELS + MISTAKES_ONLY)
        for name in (("coverage",) if m in MISTAKES_ONLY else ("top1", "mla")) + ("model_failure_share",)
    ]
    params_yaml = yaml.safe_load((ROOT / "params.yaml").read_text())
    params = [f"{section}.{key}" for section, values in params_yaml.items() for key in values]
    fixed = ["Experiment", "rev", "typ", "Created", "parent"]
    assert columns[: len(fixed) + len(metrics) + len(params)] == fixed + metrics + params
    assert (len(fixed), len(metrics), len(params)) == (5, 19, 25)
    deps = columns[len(fixed) + len(metrics) + len(params) :]
    values = {
        "layout": yaml.safe_load((ROOT / "errata/data/layout.yaml").read_text())["layout"],
        **params_yaml,
    }
    declared = {
        re.sub(r"\$\{(\w+)\.(\w+)\}", lambda v: str(values[v[1]][v[2]]), dep)
        for entry in yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"].values()
        if "foreach" not in entry or params_yaml["predict"]["models"]  # no predict@ stage by default
        for dep in entry.get("do", entry).get("deps", [])
    }
    assert "foreach: ${predict.models}" in (ROOT / "dvc.yaml").read_text()
    assert deps == sorted(declared)
    assert len(columns) == 149  # was 239: ~110 metrics and the 13 layout paths as params


@pytest.mark.slow
def test_a_model_list_experiment_classifies_only_the_listed_models(baseline):
    models = ["resnet50.imagenetx", "vit.imagenetx"]
    dvc(
        baseline,
        "exp",
        "run",
        "--temp",
        "-n",
        "two-models",
        "summarize",
        "-S",
        f"import.models=[{','.join(models)}]",
        ERRATA_MIRROR=MIRROR,  # the import stage fetches the models' files in .dvc/tmp/exps/
    )
    _, params, after = _experiment(baseline, "two-models")
    assert params["import"]["models"] == models and params["labels"]["set"] == "real"
    assert after == {m: _metrics(baseline)[m] for m in models}  # same label set: the same numbers


def test_headline_metrics_are_three_numbers_or_the_mistakes_only_flag():
    """What `dvc metrics show` lists per model; nothing nested, so no name grows dots."""
    summary = {
        "top1": 80.12341,
        "mla": 88.0,
        "not_measured": None,
        "portions": {"model_failure": 0.41234, "fine_grained": 0.3},
    }
    assert summarize.headline_metrics(summary) == {
        "top1": 80.1234,
        "mla": 88.0,
        "model_failure_share": 0.4123,
    }
    mistakes = summary | {"top1": None, "mla": None, "not_measured": "only its mistakes are public"}
    assert summarize.headline_metrics(mistakes) == {
        "coverage": "mistakes-only",
        "model_failure_share": 0.4123,
    }
