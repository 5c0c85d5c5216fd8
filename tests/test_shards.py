"""`errata shards`: the predict stages dealt to machines, and the exact command each one runs (the
commands themselves are run by tests/test_remote.py)."""

from __future__ import annotations

import json

import pytest
import yaml

from errata.cli import main
from errata.errors import ErrataError
from errata.inference import together
from errata.pipeline import shards

MODELS = ["resnet50.a1_in1k", "torchvision/resnet50.IMAGENET1K_V2", "open_clip/ViT-B-32.openai", "vit.x"]


def test_one_shard_per_model_in_params_order():
    plan = shards.plan(MODELS)
    assert [s.stages for s in plan] == [(f"predict@{m}",) for m in MODELS]
    assert plan[1].command == (
        "dvc repro --single-item predict@torchvision/resnet50.IMAGENET1K_V2"
        " && dvc push --run-cache predict@torchvision/resnet50.IMAGENET1K_V2"
    )


# resnet50.a1_in1k and vit.x share a preprocessing
KEYS = dict(zip(MODELS, ["a", "b", "c", "a"], strict=True))


def test_machines_get_the_models_grouped_by_preprocessing_and_run_them_together_first():
    plan = shards.plan(MODELS, machines=3, preprocessing=KEYS)
    assert [s.models for s in plan] == [
        ("resnet50.a1_in1k", "vit.x"),
        ("torchvision/resnet50.IMAGENET1K_V2",),
        ("open_clip/ViT-B-32.openai",),
    ]
    assert plan[0].command == (
        "python stages/predict.py --together resnet50.a1_in1k vit.x --out data/inference"
        " && dvc repro --single-item predict@resnet50.a1_in1k predict@vit.x"
        " && dvc push --run-cache predict@resnet50.a1_in1k predict@vit.x"
    )
    assert len(shards.plan(MODELS, machines=10)) == 4  # never an empty shard


def test_shards_are_cut_to_near_equal_sizes_a_group_spanning_a_cut_at_most():
    models = [f"m{i}" for i in range(10)]
    keys = {m: "odd" if i % 2 else "even" for i, m in enumerate(models)}
    plan = shards.plan(models, machines=3, preprocessing=keys)
    assert [s.models for s in plan] == [
        ("m0", "m2", "m4", "m6"),
        ("m8", "m1", "m3"),
        ("m5", "m7", "m9"),
    ]
    # without keys every model is its own group: params order, cut the same way
    assert [len(s.models) for s in shards.plan(models, machines=4)] == [3, 3, 2, 2]


def test_names_that_need_quoting_are_quoted():
    assert shards.plan(["a model", "b"], machines=1)[0].command == (
        "python stages/predict.py --together 'a model' b --out data/inference"
        " && dvc repro --single-item 'predict@a model' predict@b"
        " && dvc push --run-cache 'predict@a model' predict@b"
    )


def test_bad_requests_are_refused(tmp_path):
    with pytest.raises(ErrataError, match="--machines must be at least 1"):
        shards.plan(MODELS, machines=0)
    with pytest.raises(ErrataError, match=r"shard index 4 outside 0..3 \(4 shards\)"):
        shards.pick(shards.plan(MODELS), 4)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"predict": {"models": []}}))
    with pytest.raises(ErrataError, match="predict.models is empty"):
        shards.from_params(params)


def test_cli_prints_what_a_scheduler_reads(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(together, "preprocessing_keys", lambda models: KEYS)  # resolving: test_inference
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"predict": {"models": MODELS}}))
    assert main(["shards", "--params", str(params), "--count"]) == 0
    assert capsys.readouterr().out == "4\n"
    assert main(["shards", "--params", str(params), "--index", "2"]) == 0
    assert capsys.readouterr().out == (
        "dvc repro --single-item predict@open_clip/ViT-B-32.openai"
        " && dvc push --run-cache predict@open_clip/ViT-B-32.openai\n"
    )
    assert main(["shards", "--params", str(params), "--machines", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["0", "1"]
    assert lines[0].split("\t")[1].startswith("python stages/predict.py --together resnet50.a1_in1k vit.x")
    assert main(["shards", "--params", str(params), "--json", "--machines", "2", "--index", "1"]) == 0
    (shard,) = json.loads(capsys.readouterr().out)
    assert shard["index"] == 1
    assert shard["models"] == ["torchvision/resnet50.IMAGENET1K_V2", "open_clip/ViT-B-32.openai"]
    assert shard["stages"] == [
        "predict@torchvision/resnet50.IMAGENET1K_V2",
        "predict@open_clip/ViT-B-32.openai",
    ]
    assert main(["shards", "--params", str(params), "--index", "9"]) == 2
    assert "shard index 9 outside 0..3" in capsys.readouterr().err
