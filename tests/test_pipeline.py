"""`dvc status` tells the truth: every input a stage reads is one of its deps, so editing it marks
that stage (and only the stages that read it) as changed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from repo_copy import (
    ROOT,
    STAGES,
    changed_stages,
    configure_small,
    copy_working_tree,
    dvc,
    env,
    run,
    stages_run,
)

from errata import imagenet
from errata.pipeline import stage_deps


def test_the_tests_stage_list_is_dvc_yamls():
    assert set(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]) == STAGES | {"predict"}


def test_the_design_pages_stage_table_is_dvcs_own_graph():
    """docs/design.md's "runs after" column names each stage's direct upstream stages, as
    `dvc dag` has them (the predict@ stages exist only when `predict.models` lists models)."""
    chart = run(ROOT, [sys.executable, "-m", "dvc", "dag", "--md"])
    nodes = dict(re.findall(r'(node\d+)\["([^"]+)"\]', chart))
    upstream = {name: set() for name in nodes.values()}
    for a, b in re.findall(r"(node\d+)-->(node\d+)", chart):
        upstream[nodes[b]].add(nodes[a])
    text = (ROOT / "docs" / "design.md").read_text().split("## The pipeline")[1].split("\n\n")[2]
    rows = [line.split("|")[1:3] for line in text.splitlines()[2:]]
    table = {
        stage.strip(" `"): {s.strip() for s in after.split(",")} - {"—", "predict"}
        for stage, after in rows
        if not stage.strip(" `").startswith("predict@")
    }
    assert table == upstream


def test_dvc_yaml_code_deps_are_the_generated_ones():
    assert stage_deps.stale(ROOT / "dvc.yaml") == {}, "run `python -m errata.pipeline.stage_deps`"


def test_generator_follows_imports_everywhere_and_packaged_data(tmp_path):
    pkg = tmp_path / "errata"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "deep.py").write_text("X = 1\n")
    (pkg / "a.py").write_text("def f():\n    from errata import b\n    return b\n")
    (pkg / "b.py").write_text('from errata.packaged import data_file\nDATA = data_file("b.yaml")\n')
    (pkg / "packaged.py").write_text("def data_file(name): ...\n")
    (pkg / "unused.py").write_text('from errata.packaged import data_file\ndata_file("never.yaml")\n')
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "s.py").write_text("import errata.a\nfrom errata.sub.deep import X\n")
    assert stage_deps.code_deps(Path("stages/s.py"), tmp_path) == [
        "errata/__init__.py",
        "errata/a.py",
        "errata/b.py",
        "errata/data/b.yaml",
        "errata/packaged.py",
        "errata/sub/__init__.py",
        "errata/sub/deep.py",
        "stages/s.py",
    ]


def test_check_reports_a_missing_dep(tmp_path):
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    pipeline["stages"]["classify"]["deps"].remove("errata/imagenet.py")
    shutil.copytree(ROOT / "errata", tmp_path / "errata")
    shutil.copytree(ROOT / "stages", tmp_path / "stages")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    assert stage_deps.stale(tmp_path / "dvc.yaml") == {"classify": (["errata/imagenet.py"], [])}
    stage_deps.write(tmp_path / "dvc.yaml")
    assert stage_deps.stale(tmp_path / "dvc.yaml") == {}


def test_check_reports_layout_vars_that_differ_from_the_layout_file(tmp_path):
    """dvc.yaml's paths are an inline copy of errata/data/layout.yaml (so that DVC does not list
    them as params): a path changed in either place alone is stale until regenerated."""
    shutil.copytree(ROOT / "errata", tmp_path / "errata")
    shutil.copytree(ROOT / "stages", tmp_path / "stages")
    shutil.copy2(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    layout = tmp_path / "errata/data/layout.yaml"
    layout.write_text(layout.read_text().replace("stats: reports/stats ", "stats: reports/tables "))
    assert set(stage_deps.stale(tmp_path / "dvc.yaml")) == {"vars"}
    stage_deps.write(tmp_path / "dvc.yaml")
    assert stage_deps.stale(tmp_path / "dvc.yaml") == {}
    assert (
        yaml.safe_load((tmp_path / "dvc.yaml").read_text())["vars"][0]["layout"]["stats"] == "reports/tables"
    )
    assert "${layout.stats}" in (tmp_path / "dvc.yaml").read_text()  # the stages still name it


@pytest.fixture(scope="module")
def reproduced(public_data, val_folder, tmp_path_factory) -> Path:
    """A copy of the working tree with the small pipeline of `repo_copy.configure_small` (one
    random-weight model over a generated image folder), after a full `dvc repro`."""
    repo = copy_working_tree(tmp_path_factory.mktemp("pipeline") / "repo")
    configure_small(repo, val_folder, [PREDICTED])
    dvc(repo, "repro", "--quiet")
    assert changed_stages(repo) == set()
    return repo


PREDICTED = "test_resnet.r160_in1k"
PREDICT = f"predict@{PREDICTED}"
ALL = STAGES | {PREDICT}


@pytest.mark.slow
@pytest.mark.parametrize(
    "path, stages",
    [
        ("labels/small.csv", {"prepare"}),
        ("defs/superclasses.yaml", {"taxonomy"}),
        ("errata/imagenet.py", ALL),
        ("errata/labelsets.py", {"prepare", "cooccurrence", "classify", "agreement", "oov"}),
        ("errata/inference/runner.py", {PREDICT}),
        ("errata/modelspec.py", {PREDICT, "classify", "oov"}),
        ("errata/cascade/rules.py", {"classify", "agreement", "oov"}),  # not the report: a reader
        ("errata/oov/proposals.py", {"oov_prompts", "oov", "classify"}),
        ("errata/oov/clip/embed.py", {"oov_embed", "oov_prompts"}),
        ("errata/results/summarize.py", {"summarize", "report"}),
        ("errata/outputs.py", {"classify", "oov", "agreement", "summarize", "report"}),
        ("errata/report/figures.py", {"report"}),
        ("errata/data/zoo.yaml", {"import", "classify", "summarize", "report"}),  # coverage: mistakes
        ("errata/data/sources.json", ALL),
        # the stages that build a taxonomy; the others read the built tables
        ("errata/data/overlapping_classes.yaml", {"taxonomy", "cooccurrence", "classify"}),
        ("stages/classify.py", {"classify"}),
        ("predictions/README.md", {"oov", "classify"}),  # your own predictions files (import.files)
    ],
)
def test_editing_an_input_marks_the_stages_that_read_it(reproduced, path, stages):
    target = reproduced / path
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"\n")
        assert changed_stages(reproduced) == stages
    finally:
        target.write_bytes(original)
    assert changed_stages(reproduced) == set()


@pytest.mark.slow
def test_editing_an_image_reruns_inference_and_the_reports_thumbnails_only(reproduced, val_folder):
    image = val_folder / imagenet.val_file_name(0)
    original = image.read_bytes()
    try:
        image.write_bytes(original + b"\0")
        assert changed_stages(reproduced) == {PREDICT, "oov_embed", "report"}
    finally:
        image.write_bytes(original)


@pytest.mark.slow
def test_the_clip_test_ran_and_classify_used_its_decisions(reproduced):
    report = json.loads((reproduced / "data/oov/oov.json").read_text())
    assert report["run"] is True and report["gate"] == "zero_shot"
    assert report["models"] == ["resnet50.imagenetx", PREDICTED]
    assert report["n_images_embedded"] == 39 and report["n_pairs"] == report["n_pairs_new"] > 0
    summary = json.loads((reproduced / "data/classified" / PREDICTED / "summary.json").read_text())
    assert summary["oov_test_run"] is True and summary["oov_gate"] == "zero_shot"


@pytest.mark.slow
def test_adding_a_model_adds_its_predict_stage_and_reclassifies(reproduced):
    params_file = reproduced / "params.yaml"
    original = params_file.read_text()
    params = yaml.safe_load(original)
    params["predict"]["models"].append("test_vit.r160_in1k")
    try:
        params_file.write_text(yaml.safe_dump(params, sort_keys=False))
        assert changed_stages(reproduced) == {"predict@test_vit.r160_in1k", "oov", "classify", "report"}
    finally:
        params_file.write_text(original)
    summary = json.loads((reproduced / "data/classified" / PREDICTED / "summary.json").read_text())
    # the 5 labelled images are predicted; the corrupt 7th image is skipped and counted
    assert summary["n_predicted"] == 5 and summary["n_skipped_unreadable"] == 1


@pytest.mark.slow
def test_a_new_model_reruns_only_its_stage_and_the_stages_reading_all_models(reproduced):
    """No other predict stage reruns, and the decisions table persists between runs of the oov
    stage: pairs already decided are reused."""
    params_file = reproduced / "params.yaml"
    original = params_file.read_text()
    params = yaml.safe_load(original)
    params["predict"]["models"].append("test_vit.r160_in1k")
    before = json.loads((reproduced / "data/oov/oov.json").read_text())
    try:
        params_file.write_text(yaml.safe_dump(params, sort_keys=False))
        # the one-machine way to decode once for several models: only the unfinished one runs
        command = [sys.executable, "stages/predict.py", "--together", PREDICTED, "test_vit.r160_in1k"]
        together = run(reproduced, [*command, "--out", "data/inference"])
        assert f"{PREDICTED}: finished earlier" in together
        assert stages_run(dvc(reproduced, "repro")) == {
            "predict@test_vit.r160_in1k", "oov", "classify", "summarize", "report"
        }  # fmt: skip
        grown = json.loads((reproduced / "data/oov/oov.json").read_text())
    finally:
        params_file.write_text(original)
    dvc(reproduced, "repro", "--quiet")
    back = json.loads((reproduced / "data/oov/oov.json").read_text())
    assert grown["models"][-1] == "test_vit.r160_in1k"
    assert 0 < grown["n_pairs_new"] == grown["n_pairs"] - before["n_pairs"]
    assert (back["n_pairs"], back["n_pairs_new"]) == (before["n_pairs"], 0)
    assert changed_stages(reproduced) == set()


@pytest.mark.slow
def test_a_label_file_outside_labels_dir_is_refused(reproduced, tmp_path):
    """Last in this file: DVC removes the stage's outputs before running it."""
    outside = tmp_path / "elsewhere.csv"
    shutil.copy2(reproduced / "labels" / "small.csv", outside)
    params_file = reproduced / "params.yaml"
    original = params_file.read_text()
    params = yaml.safe_load(original)
    params["labels"]["set"] = f"custom:{outside}"
    try:
        params_file.write_text(yaml.safe_dump(params, sort_keys=False))
        done = subprocess.run(
            [sys.executable, "-m", "dvc", "repro", "prepare"],
            cwd=reproduced, env=env(reproduced), capture_output=True, text=True,
        )  # fmt: skip
    finally:
        params_file.write_text(original)
    assert done.returncode != 0
    assert f"label file {outside} is outside labels/" in done.stdout + done.stderr
