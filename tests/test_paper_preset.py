"""The paper preset: published model ids -> library names by the rules in
errata/data/paper_model_names.yaml, the versioned result, and applying a preset to params.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from errata.errors import ErrataError
from errata.papers import cost as paper_cost
from errata.papers import preset as paper_preset
from errata.pipeline import presets

ROOT = Path(__file__).resolve().parents[1]
TORCHVISION = {
    "resnet50": {"IMAGENET1K_V1": 76.13, "IMAGENET1K_V2": 80.858},
    "vit_b_16": {
        "IMAGENET1K_V1": 81.072,
        "IMAGENET1K_SWAG_E2E_V1": 85.304,
        "IMAGENET1K_SWAG_LINEAR_V1": 81.886,
    },
}
REFUSED = {"convnext_base.fb_in1k_384"}
LIBRARY = paper_preset.Library(
    torchvision_weights=lambda arch: TORCHVISION.get(arch, {}),
    describe=lambda spec: {
        "refusal": "not a timm pretrained model" if spec in REFUSED else None,
        "size": 224,
        "preprocessing": "k",
        "gflops": None,
    },
)


def _map(model_id: str, source: str, top1: float | None = None) -> tuple[str, str]:
    rules, gap = paper_preset.load_rules()
    row = paper_preset.map_model(model_id, source, top1, rules, gap, LIBRARY)
    return row["spec"], row["note"]


@pytest.mark.parametrize(
    "model_id, source, top1, spec",
    [
        ("resnet50.a1_in1k", "timm", None, "resnet50.a1_in1k"),
        ("resnet50", "torchvision.models", 80.856, "torchvision/resnet50.IMAGENET1K_V2"),
        ("resnet50", "torchvision.models", 76.1, "torchvision/resnet50.IMAGENET1K_V1"),
        ("vit_b_16", "torchvision.models", 81.0, "torchvision/vit_b_16.IMAGENET1K_V1"),
        ("vit_b_16_swag", "torchvision.models", 85.286, "torchvision/vit_b_16.IMAGENET1K_SWAG_E2E_V1"),
        ("resnet50_swsl", "torch.hub", None, "resnet50.fb_swsl_ig1b_ft_in1k"),
        ("resnext101_32x8d_wsl", "torch.hub", None, "resnext101_32x8d.fb_wsl_ig1b_ft_in1k"),
        ("convnext-base-224", "huggingface", None, "convnext_base.fb_in1k"),
        ("convnext-base-224-22k-1k", "huggingface", None, "convnext_base.fb_in22k_ft_in1k"),
        ("convnext-large-384-22k-1k", "huggingface", None, "convnext_large.fb_in22k_ft_in1k_384"),
    ],
)
def test_each_source_maps_to_the_library_name(model_id, source, top1, spec):
    assert _map(model_id, source, top1)[0] == spec


def test_torchvision_weights_are_chosen_by_the_published_top1():
    spec, note = _map("resnet50", "torchvision.models", 80.856)
    assert note == "documented top-1 80.858, published 80.856"
    spec, note = _map("resnet50", "torchvision.models", 78.5)  # between V1 and V2: neither
    assert spec == "" and "closest IMAGENET1K_V2" in note
    spec, note = _map("vit_b_16_swag", "torchvision.models", 81.1)  # V1 is not a SWAG weight
    assert spec == "" and "closest IMAGENET1K_SWAG_LINEAR_V1" in note
    assert _map("resnet50", "torchvision.models", None) == (
        "",
        "no published top-1 to choose the torchvision weights by",
    )


def test_unmapped_models_say_why():
    assert _map("convnext-base-384", "huggingface") == (
        "", "convnext_base.fb_in1k_384: not a timm pretrained model",
    )  # fmt: skip
    assert _map("swin_b", "torchvision.models", 83.5)[1] == (
        "torchvision has no weights swin_b.* with a documented top-1"
    )
    assert _map("x", "keras", 70.0) == ("", "no naming rule for source 'keras'")


def test_the_versioned_preset_lists_exactly_the_mapped_models():
    mapping = pd.read_csv(paper_preset.MODELS_FILE, keep_default_na=False)
    preset = yaml.safe_load((ROOT / paper_preset.PRESET_FILE).read_text())
    mapped = mapping.loc[mapping["spec"] != ""]
    assert len(mapping) == 962 and mapping["model_id"].is_unique
    assert preset["predict"]["models"] == mapped["spec"].tolist()
    assert mapping.loc[mapping["spec"] == "", "note"].str.len().gt(0).all()  # every gap is explained
    assert (
        preset["labels"] == paper_preset.SETTINGS["labels"] and preset["oov"] == paper_preset.SETTINGS["oov"]
    )
    assert f"{len(mapped)} of the {len(mapping)}" in (ROOT / "docs" / "paper.md").read_text()


@pytest.mark.slow
def test_the_versioned_mapping_is_what_the_installed_libraries_give(public_data):
    assert paper_preset.main(["--check", "--preset", str(ROOT / paper_preset.PRESET_FILE)]) == 0


def test_a_preset_sets_only_its_keys_and_keeps_comments(tmp_path):
    params = tmp_path / "params.yaml"
    shutil.copy2(ROOT / "params.yaml", params)
    before = yaml.safe_load(params.read_text())
    preset = tmp_path / "preset.yaml"
    preset.write_text("labels:\n  set: custom:labels/x.csv\npredict:\n  models: [a.b, c.d]\n")
    changed = presets.apply(preset, params)
    assert changed == {"labels.set": ("real", "custom:labels/x.csv"), "predict.models": ([], ["a.b", "c.d"])}
    after = yaml.safe_load(params.read_text())
    assert after["labels"]["set"] == "custom:labels/x.csv" and after["predict"]["models"] == ["a.b", "c.d"]
    assert presets.leaves(after) == presets.leaves(before) | {k: new for k, (_, new) in changed.items()}
    assert "# real | multilabel:PATH | custom:PATH (see docs/experiments.md)" in params.read_text()
    assert presets.apply(preset, params) == {}


def test_a_preset_key_params_yaml_lacks_is_refused(tmp_path):
    params = tmp_path / "params.yaml"
    shutil.copy2(ROOT / "params.yaml", params)
    preset = tmp_path / "preset.yaml"
    preset.write_text("oov:\n  gat: knn_train\n")
    with pytest.raises(ErrataError, match=r"preset.yaml:2: oov.gat is not a key of .*; close: oov.gate"):
        presets.apply(preset, params)
    assert params.read_text() == (ROOT / "params.yaml").read_text()


BENCH = pd.DataFrame(
    {
        "model": ["resnet50", "resnet50", "vgg16", "vit_large_patch14_clip_336"],
        "infer_img_size": [224, 288, 224, 336],
        "infer_samples_per_sec": [5000.0, 2500.0, 2000.0, 400.0],
    }
)


def test_throughput_is_timm_s_at_the_input_size_else_scaled_by_gflops():
    specs = ["resnet50.a1_in1k", "resnet50.a1h_in1k", "torchvision/vgg16.IMAGENET1K_V1", "torchvision/x.Y"]
    models = pd.DataFrame(
        {
            "spec": specs,
            "size": [224, 288, 224, 224],
            "gflops": [None, None, 15.0, 0.75],
            "preprocessing": ["a", "b", "c", "c"],
        }
    )
    rated = paper_cost.throughput(models, BENCH).set_index("spec")
    assert rated["images_per_s"].tolist() == [5000.0, 2500.0, 2000.0, 40000.0]  # 15 x 2000 / 0.75
    assert rated["how"].tolist() == ["benchmarked", "benchmarked", "benchmarked", "gflops"]
    e = paper_cost.estimate(models, BENCH, n_images=1000)
    assert e.model_gpu_hours == pytest.approx((0.2 + 0.4 + 0.5 + 0.025) / 3600)
    assert e.clip_gpu_hours == pytest.approx((1000 + paper_cost.N_TRAIN_IMAGES) / 400 / 3600)
    assert e.slowest[0] == ("torchvision/vgg16.IMAGENET1K_V1", pytest.approx(0.5 / 3600))
    assert (e.n_benchmarked, e.n_from_gflops, e.n_preprocessings) == (3, 1, 3)
    # one machine: one decode and 3 transforms per image; 8 machines: 4 shards of one model each,
    # as many decodes and transforms as models, what each predict@<spec> stage alone costs
    share, hour = paper_cost.DECODE_SHARE, 1000 / paper_cost.DECODE_PER_S / 3600
    assert e.decode_hours_sharded[1] == (pytest.approx((share + 3 * (1 - share)) * hour), 3)
    assert e.decode_hours_sharded[8] == (pytest.approx(4 * hour), 4)
    assert e.decode_hours_per_stage == pytest.approx(4 * hour)


def test_a_model_with_neither_benchmark_nor_gflops_is_an_error():
    models = pd.DataFrame({"spec": ["deit_tiny.x"], "size": [224], "gflops": [None], "preprocessing": ["a"]})
    with pytest.raises(ValueError, match="no throughput for"):
        paper_cost.throughput(models, BENCH)


def test_the_paper_page_quotes_the_estimate_the_code_makes():
    assert paper_cost.render(paper_cost.paper_estimate()) in (ROOT / "docs" / "paper.md").read_text()
