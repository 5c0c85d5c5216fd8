"""DVC experiments over label sets and model lists: the worked example of docs/experiments.md, run
as written in a committed copy of the pipeline, and what `dvc exp show`, `dvc params diff` and
`dvc metrics diff` then report, checked against the counts and stats tables the runs wrote."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from doc_pages import marked_block
from repo_copy import copy_working_tree, dvc, env, relative_mirror

from errata.results import summarize

LABEL_SET = "custom:labels/real_plus_original.csv"
METRICS = "reports/metrics.json"
AFTER_SUMMARIZE = ("agreement", "report")
MIRROR = "../shared/data"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def _experiment(repo: Path, name: str) -> tuple[str, dict, dict]:
    """The commit, params and metrics of experiment `name`, as `dvc exp show --json` reports them."""
    for baseline in json.loads(dvc(repo, "exp", "show", "--json")):
        for exp in baseline.get("experiments") or []:
            for rev in exp["revs"]:
                if rev["name"] == name:
                    data = rev["data"]
                    return rev["rev"], data["params"]["params.yaml"]["data"], data["metrics"][METRICS]["data"]
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

    before = json.loads((baseline / METRICS).read_text())
    rev, _, after = _experiment(baseline, "real-plus-original")
    assert set(after) == set(before)
    counts = json.loads((baseline / "data/prepared/counts.json").read_text())
    for model in ("resnet50.imagenetx", "vit.imagenetx", "dino.imagenetx"):  # all 50,000 images predicted
        assert before[model]["n_evaluated"] == counts["n_non_problematic"]
        # every image ReaL annotated is evaluated once its original label is accepted
        assert after[model]["n_evaluated"] == counts["n_images"] - counts["n_empty_labels"]
        assert after[model]["top1"] == before[model]["top1"]  # always over the original labels
        assert after[model]["mla"] != before[model]["mla"]

    # the experiment's metrics are its stats table's numbers
    stats = pd.read_csv(io.StringIO(_git(baseline, "show", f"{rev}:reports/stats/all.csv")))
    assert (stats["label_set"] == LABEL_SET).all()
    for row in stats.itertuples():
        assert after[row.model_dir_id]["mla"] == pytest.approx(row.mla_all, abs=1e-4)
        assert after[row.model_dir_id]["top1"] == pytest.approx(row.top1_val_acc, abs=1e-4)

    diff = json.loads(
        dvc(baseline, "metrics", "diff", "HEAD", "real-plus-original", "--json", "--targets", METRICS)
    )[METRICS]
    mla = diff["resnet50.imagenetx.mla"]
    assert (mla["old"], mla["new"]) == (
        before["resnet50.imagenetx"]["mla"],
        after["resnet50.imagenetx"]["mla"],
    )
    assert "resnet50.imagenetx.top1" not in diff  # unchanged numbers are not listed

    # the page's --keep recipe: exactly the columns it names
    shown = dvc(
        baseline, "exp", "show", "--csv", "--drop", ".*",
        "--keep", r"Experiment$|labels.set$|resnet50\.imagenetx\.(top1|mla|n_evaluated)$",
    )  # fmt: skip
    table = pd.read_csv(io.StringIO(shown))
    assert set(table.columns) == {
        "Experiment",
        "resnet50.imagenetx.top1",
        "resnet50.imagenetx.mla",
        "resnet50.imagenetx.n_evaluated",
        "labels.set",
    }
    assert table.set_index("Experiment").loc["real-plus-original", "labels.set"] == LABEL_SET


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
    before = json.loads((baseline / METRICS).read_text())
    assert after == {m: before[m] for m in models}  # same label set: the same numbers


def test_metrics_are_one_flat_block_per_model(tmp_path):
    """`<model>.<metric>` names one number: metric names have no dots and nothing is nested."""
    summary = {
        "model": "resnet50.a1_in1k",
        "top1": 80.1,
        "mla": 88.0,
        "mla_minor": 91.0,
        "mla_explainable": 93.0,
        "n_evaluated": 42164,
        "oov_gate": None,
        "portions": {"model_failure": 0.4},
        "portions_remaining": {"model_failure": 0.5},
    }
    block = summarize.metrics_json([summary])["resnet50.a1_in1k"]
    assert not any("." in key for key in block)
    assert not any(isinstance(value, dict | list) for value in block.values())
    assert block["oov_gate"] == "not run" and block["model_failure_share_of_remaining_errors"] == 0.5
