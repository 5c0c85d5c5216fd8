"""Inference on CPU with randomly initialised tiny models and generated images: each library's class
order, the runner against a plain model(transform(image)) loop and against one-model runs, one decode
per image whatever the preprocessings, resume, unreadable files."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch
from conftest import CMYK, CORRUPT, GRAYSCALE, N_GENERATED_IMAGES, make_val_folder

from errata import imagefolder, imagenet, modelspec, predictions
from errata.cli import main
from errata.errors import ErrataError
from errata.inference import images as val_images
from errata.inference import models, runner, together

ROOT = Path(__file__).resolve().parents[1]
TINY_CLIP = "tiny-clip-test"
open_clip.add_model_config(ROOT / "tests" / "data" / f"{TINY_CLIP}.json")

# 5 preprocessings: test_vit and test_convnext share one (bicubic, mean/std 0.5); test_resnet's is
# bilinear, test_efficientnet's has ImageNet's mean/std; mobilenet_v3_small has torchvision's
# (resnet18's, at 1/30 of its FLOPs) and the CLIP open_clip's
SPECS = [
    "test_vit.r160_in1k",
    "test_convnext.r160_in1k",
    "test_resnet.r160_in1k",
    "torchvision/mobilenet_v3_small.IMAGENET1K_V1",
    f"open_clip/{TINY_CLIP}.none",
    "test_efficientnet.r160_in1k",
]
CONFIG = runner.RunConfig(
    batch_size=8, workers=0, chunk_size=16, on_unreadable="skip", random_weights=True, clip_templates="simple"
)
WITH_WORKERS = replace(CONFIG, workers=2, save_logits=True)


def test_timm_class_order_is_the_sorted_wnid_order():
    from timm.data import ImageNetInfo

    assert ImageNetInfo("imagenet-1k").label_names() == list(imagenet.wnids())


def _agreement(names: list[str]) -> float:
    """Share of classes whose library name is one of the class's own WordNet lemmas."""
    lemmas = [{x.lower() for x in ls} for ls in imagenet.class_lemmas()]
    return float(np.mean([n.lower() in ls for n, ls in zip(names, lemmas, strict=True)]))


def test_torchvision_and_open_clip_class_orders_are_the_projects():
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES
    from torchvision.models import ResNet50_Weights

    tv = ResNet50_Weights.IMAGENET1K_V2.meta["categories"]
    assert len(tv) == len(IMAGENET_CLASSNAMES) == 1000
    # both use their own readable names, in the sorted-wnid order: most are a lemma of that class,
    # and a shift by one place would match almost none
    assert _agreement(tv) > 0.9 and _agreement(list(IMAGENET_CLASSNAMES)) > 0.6
    assert _agreement(tv[1:] + tv[:1]) < 0.05
    assert (tv[0], tv[1], tv[999]) == ("tench", "goldfish", "toilet tissue")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("resnet50", "expected `name.tag`"),
        ("keras/resnet50.imagenet", "unknown library 'keras'"),
        ("test_vit.no_such_tag", "not a timm pretrained model"),
        ("vit_base_patch16_224.augreg_in21k", "its head has 21843 classes"),
        ("torchvision/resnet50.NOPE", "no weights 'NOPE'; known: IMAGENET1K_V1, IMAGENET1K_V2"),
        ("torchvision/fcn_resnet50.COCO_WITH_VOC_LABELS_V1", "its head has 21 classes"),
        ("open_clip/no-such-model.openai", "open_clip has no model 'no-such-model'"),
    ],
)
def test_bad_model_specs_are_rejected_with_a_reason(spec, message):
    with pytest.raises(ErrataError, match=message):
        models.resolve(modelspec.parse(spec), random_weights=True)


def test_describe_gives_each_librarys_input_size_without_loading_weights():
    from errata.inference import catalog

    clip = catalog.describe(f"open_clip/{TINY_CLIP}.none")
    assert (clip["refusal"], clip["size"], clip["gflops"]) == (None, 32, None)
    torchvision = catalog.describe("torchvision/mobilenet_v3_small.IMAGENET1K_V1")
    assert (torchvision["size"], torchvision["gflops"]) == (224, 0.057)
    assert catalog.describe("test_vit.r160_in1k")["size"] == 160
    assert clip["preprocessing"] not in (torchvision["preprocessing"], None)


def test_the_command_line_and_params_yaml_make_a_run_config_the_same_way():
    from errata.cli import build_parser
    from errata.pipeline import params

    args = ["predict", "--images", "x", "--models", "a.b", "--out", "o", "--batch-size", "7"]
    cli = runner.RunConfig.from_settings(
        vars(build_parser().parse_args([*args, "--clip-templates", "simple"]))
    )
    assert cli == runner.RunConfig(batch_size=7, clip_templates="simple")
    section = params.load("predict", ROOT / "params.yaml") | {"workers": 3, "on_unreadable": "skip"}
    assert runner.RunConfig.from_settings(section) == runner.RunConfig(workers=3, on_unreadable="skip")


def _direct_loop(spec: str, folder: Path) -> dict[str, np.ndarray]:
    """The plain way: each library's own transform, one image at a time, fp32."""
    resolved = models.resolve(modelspec.parse(spec), random_weights=True, clip_templates="simple")
    net = resolved.build()
    names, topk, probs = [], [], []
    for path in sorted(folder.rglob("ILSVRC2012_val_*.JPEG"), key=lambda p: p.name):
        try:
            image = val_images.load_rgb(path)
        except val_images.UNREADABLE:
            continue
        with torch.inference_mode():
            p = net(resolved.transform(image)[None]).softmax(-1)[0]
        top = p.topk(5)
        names.append(path.name)
        topk.append(top.indices.numpy())
        probs.append(top.values.numpy())
    return {"file_names": np.array(names), "topk": np.stack(topk), "probs": np.stack(probs)}


class DecodeLog:
    """Every decode's file name, appended to a file by this process and by DataLoader workers
    (forked, they inherit the patched loader)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.clear()

    def clear(self) -> None:
        self.path.write_text("")

    def record(self, path: Path) -> None:
        with open(self.path, "a") as f:
            f.write(f"{Path(path).name}\n")

    def counts(self) -> Counter[str]:
        return Counter(self.path.read_text().split())


@pytest.fixture(scope="module")
def counted_decodes(monkeypatch_module, tmp_path_factory):
    log = DecodeLog(tmp_path_factory.mktemp("decodes") / "decodes.txt")
    original = val_images.load_rgb

    def counting(path):
        log.record(path)
        return original(path)

    monkeypatch_module.setattr(val_images, "load_rgb", counting)
    return log


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def predicted(val_folder, tmp_path_factory, counted_decodes):
    """Every model of SPECS in one run, with 2 DataLoader workers, and the decodes it made."""
    out = tmp_path_factory.mktemp("predicted")
    counted_decodes.clear()
    images = imagefolder.select(imagefolder.list_images(val_folder), "found", val_folder)
    paths = runner.run([modelspec.parse(s) for s in SPECS], images, out, WITH_WORKERS)
    return out, paths, counted_decodes.counts()


@pytest.mark.slow
def test_each_image_is_decoded_once_whatever_the_preprocessings(predicted):
    _, paths, decodes = predicted
    groups = {runner.read_meta(p)["preprocessing"] for p in paths}
    assert len(paths) == 6 and len(groups) == 5
    assert len(decodes) == N_GENERATED_IMAGES and set(decodes.values()) == {1}  # the corrupt file too


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS)
def test_runner_equals_the_one_model_run_bit_for_bit(predicted, val_folder, tmp_path, spec):
    out, _, _ = predicted
    images = imagefolder.list_images(val_folder)
    [alone] = runner.run([modelspec.parse(spec)], images, tmp_path, replace(WITH_WORKERS, workers=0))
    with np.load(out / modelspec.parse(spec).file_name) as together, np.load(alone) as one:
        assert set(together.files) == set(one.files) >= {"topk", "probs", "logits", "skipped_files"}
        for key in set(one.files) - {"meta"}:
            assert np.array_equal(together[key], one[key]), key
    assert runner.read_meta(alone)["models_together"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS)
def test_runner_equals_a_direct_loop_with_the_librarys_transform(predicted, val_folder, spec):
    out, _, _ = predicted
    got = np.load(out / modelspec.parse(spec).file_name)
    want = _direct_loop(spec, val_folder)
    assert got["file_names"].tolist() == want["file_names"].tolist()
    assert np.array_equal(got["topk"], want["topk"])
    np.testing.assert_allclose(got["probs"], want["probs"], rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_output_records_what_it_ran_and_what_it_skipped(predicted):
    out, paths, _ = predicted
    with np.load(paths[3]) as z:
        meta = json.loads(str(z["meta"]))
        assert z["skipped_files"].tolist() == [imagenet.val_file_name(CORRUPT - 1)]
        assert len(z["file_names"]) == N_GENERATED_IMAGES - 1  # grayscale and CMYK are decoded
        assert {imagenet.val_file_name(GRAYSCALE - 1), imagenet.val_file_name(CMYK - 1)} <= set(
            z["file_names"]
        )
    assert meta["library"] == "torchvision" and meta["weights"] == "random (torch.manual_seed(0))"
    assert "resize_size=[256]" in meta["preprocessing"] and meta["device"] == "cpu"
    assert meta["n_images"] == N_GENERATED_IMAGES and meta["n_skipped_unreadable"] == 1
    assert meta["models_together"] == len(SPECS) and meta["wall_s"] > 0 and meta["images_per_s"] > 0
    assert not (out / runner.PARTIAL_DIR).exists()


@pytest.mark.slow
def test_class_folder_layout_gives_the_same_predictions(predicted, tmp_path):
    out, _, _ = predicted
    folder = make_val_folder(tmp_path / "val", layout="classes")
    images = imagefolder.list_images(folder)
    assert len(images) == N_GENERATED_IMAGES and images[0].parent.name.startswith("n")
    [path] = runner.run([modelspec.parse(SPECS[2])], images, tmp_path / "out", CONFIG)
    assert np.array_equal(np.load(path)["topk"], np.load(out / f"{SPECS[2]}.npz")["topk"])


def _same_predictions(path: Path, reference: Path) -> bool:
    with np.load(path) as got, np.load(reference) as want:
        return all(np.array_equal(got[k], want[k]) for k in ("file_names", "topk", "probs", "skipped_files"))


TWO_PREPROCESSINGS = [modelspec.parse(s) for s in (SPECS[2], SPECS[5])]


@pytest.mark.slow
def test_a_killed_run_resumes_decoding_only_unfinished_chunks_once(
    predicted, val_folder, tmp_path, counted_decodes
):
    out, _, _ = predicted
    images = imagefolder.list_images(val_folder)
    counted_decodes.clear()
    original = val_images.load_rgb

    def dies_on_the_21st(path):
        if sum(counted_decodes.counts().values()) == 20:
            raise KeyboardInterrupt
        return original(path)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(val_images, "load_rgb", dies_on_the_21st)
        with pytest.raises(KeyboardInterrupt):
            runner.run(TWO_PREPROCESSINGS, images, tmp_path, CONFIG)
    assert sum(counted_decodes.counts().values()) == 20  # chunk 0 (16 images) finished, chunk 1 not
    counted_decodes.clear()
    paths = runner.run(TWO_PREPROCESSINGS, images, tmp_path, CONFIG)
    resumed = counted_decodes.counts()
    assert len(resumed) == N_GENERATED_IMAGES - 16 and set(resumed.values()) == {1}
    assert all(_same_predictions(p, out / p.relative_to(tmp_path)) for p in paths)
    counted_decodes.clear()
    runner.run(TWO_PREPROCESSINGS, images, tmp_path, CONFIG)  # finished: nothing decoded again
    assert counted_decodes.counts() == Counter()


@pytest.mark.slow
def test_chunks_left_unmerged_are_merged_later_without_decoding_or_building_a_model(
    predicted, val_folder, tmp_path, counted_decodes
):
    """A shard's first step computes its models together (`finish=False`); each model's own run (its
    DVC stage) then only merges."""
    out, _, _ = predicted
    images = imagefolder.list_images(val_folder)
    counted_decodes.clear()
    assert runner.run(TWO_PREPROCESSINGS, images, tmp_path, CONFIG, finish=False)
    assert not any(runner.output_path(tmp_path, s).exists() for s in TWO_PREPROCESSINGS)
    assert set(counted_decodes.counts().values()) == {1}
    counted_decodes.clear()

    def no_model(*_):
        raise AssertionError("a model was built")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "_prepare", no_model)
        for spec in TWO_PREPROCESSINGS:
            [path] = runner.run([spec], images, tmp_path, CONFIG)
            assert _same_predictions(path, out / spec.file_name)
            assert runner.read_meta(path)["models_together"] == 2
    assert counted_decodes.counts() == Counter() and not (tmp_path / runner.PARTIAL_DIR).exists()


@pytest.mark.slow
def test_an_unreadable_image_stops_the_run_naming_it_and_keeps_finished_chunks(val_folder, tmp_path):
    config = runner.RunConfig(batch_size=4, workers=0, chunk_size=4, random_weights=True)
    with pytest.raises(
        ErrataError, match=rf"{imagenet.val_file_name(CORRUPT - 1)}: cannot decode this image"
    ):
        runner.run([modelspec.parse(SPECS[2])], imagefolder.list_images(val_folder), tmp_path, config)
    partial = tmp_path / runner.PARTIAL_DIR / SPECS[2]
    assert sorted(p.name for p in partial.glob("chunk_*.npz")) == ["chunk_000000.npz"]


def test_models_are_grouped_by_the_preprocessing_predict_resolves():
    keys = together.preprocessing_keys([*SPECS, "no_such_model.x"])
    assert keys["test_vit.r160_in1k"] == keys["test_convnext.r160_in1k"]
    assert len(set(keys.values())) == 6 and keys["no_such_model.x"] == "no_such_model.x"


def test_missing_images_are_all_listed_up_front(val_folder):
    with pytest.raises(ErrataError) as err:
        imagefolder.select(imagefolder.list_images(val_folder), "all", val_folder)
    text = str(err.value)
    assert "49960 of the 50000 validation images are missing" in text
    assert f"{imagenet.val_file_name(40)}..{imagenet.val_file_name(49_999)}" in text


@pytest.mark.slow
def test_predict_cli_output_is_classified(public_data, val_folder, tmp_path, capsys):
    out = tmp_path / "pred"
    args = ["predict", "--images", str(val_folder), "--models", SPECS[3], "--out", str(out)]
    assert main([*args, "--random-weights", "--expect", "found", "--workers", "0"]) == 2
    assert "cannot decode this image" in capsys.readouterr().err
    assert (
        main([*args, "--random-weights", "--expect", "found", "--workers", "0", "--on-unreadable", "skip"])
        == 0
    )
    npz = out / "torchvision" / "mobilenet_v3_small.IMAGENET1K_V1.npz"
    assert predictions.read(npz).topk.shape == (N_GENERATED_IMAGES - 1, 5)
    assert (
        main(["classify", "--predictions", str(npz), "--labels", "real", "--out", str(tmp_path / "c")]) == 0
    )
    summary = json.loads((tmp_path / "c" / "mobilenet_v3_small.IMAGENET1K_V1" / "summary.json").read_text())
    assert summary["n_skipped_unreadable"] == 1 and summary["n_predicted"] == N_GENERATED_IMAGES - 1


IMAGENET_ENV = "ERRATA_IMAGENET_VAL"


def _resnet50_v1_weights_cached() -> bool:
    from torchvision.models import ResNet50_Weights

    name = Path(ResNet50_Weights.IMAGENET1K_V1.url).name
    return (Path(torch.hub.get_dir()) / "checkpoints" / name).exists()


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get(IMAGENET_ENV) or not _resnet50_v1_weights_cached(),
    reason=f"needs the 50,000 ImageNet validation images (set {IMAGENET_ENV}) and torchvision's "
    "resnet50 IMAGENET1K_V1 weights in the torch hub cache; neither can be downloaded here",
)
def test_torchvision_resnet50_reproduces_the_imagenetx_predictions(public_data, tmp_path):
    """ImageNet-X's ResNet50 is torchvision's IMAGENET1K_V1: our inference must agree with its
    published predictions on at least 99.9% of the images."""
    from errata import zoo

    spec = "torchvision/resnet50.IMAGENET1K_V1"
    folder = Path(os.environ[IMAGENET_ENV])
    config = runner.RunConfig(batch_size=256, workers=8)
    [path] = runner.predict(folder, [spec], tmp_path, "all", config)
    ours = predictions.read(path).top1_by_position()
    theirs = zoo.load_predictions("resnet50.imagenetx").top1_by_position()
    assert (ours >= 0).all() and (ours == theirs).mean() >= 0.999


def _timm_by_hand(arch: str, image_path: Path) -> torch.Tensor:
    """The model's softmax over one image, from timm's own calls alone (not errata's resolver)."""
    import timm
    from timm.data import create_transform, resolve_data_config

    torch.manual_seed(0)
    net = timm.create_model(arch, pretrained=False).eval()
    transform = create_transform(**resolve_data_config({}, model=net), is_training=False)
    with torch.inference_mode():
        return net(transform(val_images.load_rgb(image_path))[None]).softmax(-1)[0]


def test_top5_are_each_models_softmax_under_its_own_preprocessing(val_folder, tmp_path):
    """Two timm models of different preprocessing (test_vit: bicubic, mean/std 0.5; test_resnet:
    bilinear, ImageNet mean/std) in one call: each file holds that model's top-5 classes and softmax
    probabilities, as timm computes them with that model's own data config. Storing logits, or
    running a model under the other's transform, fails this."""
    one = tmp_path / "val"
    one.mkdir()
    first = sorted(val_folder.glob("ILSVRC2012_val_*.JPEG"))[0]
    (one / first.name).write_bytes(first.read_bytes())
    specs = ["test_vit.r160_in1k", "test_resnet.r160_in1k"]
    config = runner.RunConfig(batch_size=1, workers=0, random_weights=True)
    runner.predict(one, specs, tmp_path / "out", "found", config)
    for spec in specs:
        stored = np.load(tmp_path / "out" / modelspec.parse(spec).file_name)
        want = _timm_by_hand(spec.split(".")[0], first)
        top = want.topk(5)
        assert stored["topk"][0].tolist() == top.indices.tolist(), spec
        np.testing.assert_allclose(stored["probs"][0], top.values.numpy(), rtol=1e-4, atol=1e-6)
        assert 0 < stored["probs"][0].sum() <= 1 and (np.diff(stored["probs"][0]) <= 0).all()


def test_each_spec_resolves_to_its_librarys_own_preprocessing():
    import timm
    from timm.data import create_transform, resolve_data_config
    from torchvision.models import get_model_weights

    for arch in ("test_vit.r160_in1k", "test_resnet.r160_in1k"):
        resolved = models.resolve(modelspec.parse(arch), random_weights=True)
        config = resolve_data_config({}, model=timm.create_model(arch.split(".")[0], pretrained=False))
        assert repr(resolved.transform) == repr(create_transform(**config, is_training=False)), arch
    vit, resnet = (models.resolve(modelspec.parse(s), random_weights=True) for s in SPECS[:3:2])
    assert vit.preprocessing != resnet.preprocessing
    tv = models.resolve(modelspec.parse(SPECS[3]), random_weights=True)
    weights = get_model_weights("mobilenet_v3_small")["IMAGENET1K_V1"]
    assert repr(tv.transform) == repr(weights.transforms())
