"""The files a user edits or swaps (the zoo, the sources registry, the overlapping classes, the
layout, params.yaml, presets): an unknown key, an unknown name or an empty list is an error that
names the file, the entry and its line, with the names probably meant; the shipped files pass."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from errata import labelsets, lookup, sources, zoo
from errata.errors import ErrataError
from errata.packaged import data_file
from errata.pipeline import layout, model_files, params, presets
from errata.taxonomy import overlapping

ROOT = Path(__file__).resolve().parents[1]


def edited(tmp_path: Path, name: str, old: str, new: str, source: Path | None = None) -> Path:
    """A copy of a shipped file with one text edit, as a user would make it."""
    text = (source or data_file(name)).read_text()
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new, 1))
    return out


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_shipped_files_pass_their_checks():
    assert len(zoo.load(data_file("zoo.yaml"))) == 7
    assert len(sources.load_registry(data_file("sources.json"))) == len(sources.registry())
    assert overlapping.load_raw(data_file("overlapping_classes.yaml"))["mutual"]
    assert layout.load(data_file("layout.yaml"))["inference"] == Path("data/inference")
    assert set(params.read(ROOT / "params.yaml")) == set(params.KEYS)
    # every key the shipped params.yaml has is known, and every known key is there to be set
    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert {s: tuple(keys) for s, keys in shipped.items()} == params.KEYS


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "sources: {predictions: imagenetx_vit}",
            "sources: {predictions: imagenetx_vitt}",
            "zoo model 'vit.imagenetx': sources: unknown predictions name 'imagenetx_vitt'; "
            "close: imagenetx_vit",
        ),
        (
            "format: cleanlab_npy",
            "format: cleanlab_np",
            "zoo model 'resnet50.cleanlab_cv': unknown format 'cleanlab_np'; close: cleanlab_npy",
        ),
        (
            "    coverage: mistakes\n    reference: Vasudevan et al. 2022\n  greedy",
            "    coverage: mistakes\n    referense: Vasudevan et al. 2022\n  greedy",
            "zoo model 'vit_3b.experts': unknown key 'referense'; close: reference",
        ),
        (
            "sources: {experts:",
            "sources: {expert:",
            "zoo model 'vit_3b.experts': sources: unknown source key 'expert'; close: experts",
        ),
    ],
    ids=["source name", "format", "entry key", "source key"],
)
def test_a_zoo_entry_with_an_unknown_name_is_refused_at_its_line(tmp_path, old, new, message):
    path = edited(tmp_path, "zoo.yaml", old, new)
    model = message.split("'")[1]
    with pytest.raises(ErrataError) as err:
        zoo.load(path)
    assert str(err.value).startswith(f"{path}:{line_of(path, model + ':')}: {message}")


def test_an_empty_zoo_is_refused(tmp_path):
    path = tmp_path / "zoo.yaml"
    path.write_text("models: {}\n")
    with pytest.raises(ErrataError, match=r"zoo.yaml: models: no models"):
        zoo.load(path)


def test_a_source_entry_with_an_unknown_field_or_a_repeated_name_is_refused(tmp_path):
    path = edited(
        tmp_path, "sources.json", '"name": "real_labels",\n   "repo"', '"name": "real_labels",\n   "rep"'
    )
    with pytest.raises(ErrataError) as err:
        sources.load_registry(path)
    line = line_of(path, '"name": "real_labels"')
    assert str(err.value).startswith(f"{path}:{line}: source 'real_labels': unknown field 'rep'; close: repo")

    raw = json.loads(data_file("sources.json").read_text())
    raw["sources"].append(raw["sources"][0])
    path.write_text(json.dumps(raw, indent=1))
    with pytest.raises(ErrataError, match="source 'vit3b_mistakes': a second source of that name"):
        sources.load_registry(path)
    with pytest.raises(ErrataError, match=r"unknown source 'real_label'; close: real_labels"):
        sources.get_source("real_label")


def test_an_overlapping_entry_whose_index_is_another_class_is_refused(tmp_path):
    path = edited(tmp_path, "overlapping_classes.yaml", "{664: monitor", "{665: monitor")
    with pytest.raises(ErrataError) as err:
        overlapping.load_raw(path)
    line = line_of(path, "665: monitor")
    assert str(err.value) == (
        f"{path}:{line}: mutual entry 5: class 665 is 'moped', not 'monitor' "
        "(close names: 664: monitor; 976: promontory; 228: komondor)"
    )
    path = edited(tmp_path, "overlapping_classes.yaml", "accepts: {876: tub}", "accept: {876: tub}")
    with pytest.raises(ErrataError, match=r"directed entry 7: unknown key 'accept'; close: accepts"):
        overlapping.load_raw(path)


def test_a_layout_path_must_be_relative_and_looked_up_by_a_known_name(tmp_path):
    path = edited(tmp_path, "layout.yaml", "oov: data/oov ", "oov: /data/oov ")
    with pytest.raises(ErrataError) as err:
        layout.load(path)
    assert str(err.value).startswith(f"{path}:{line_of(path, 'oov: /data/oov')}: layout path 'oov' must be")
    with pytest.raises(ErrataError, match=r"unknown layout path 'inferense'; close: inference"):
        layout.path("inferense")


def test_a_misspelt_params_key_is_refused_at_its_line(tmp_path):
    path = edited(tmp_path, "params.yaml", "  gate: zero_shot", "  gaet: zero_shot", ROOT / "params.yaml")
    with pytest.raises(ErrataError) as err:
        params.load("images", path)  # any section: the whole file is checked
    line = line_of(path, "gaet:")
    assert str(err.value).startswith(f"{path}:{line}: unknown key of oov 'gaet'; close: gate")
    path = edited(tmp_path, "params.yaml", "\nimport:", "\nimports:", ROOT / "params.yaml")
    with pytest.raises(ErrataError, match=r"params.yaml:\d+: unknown section 'imports'; close: import"):
        params.load("labels", path)


def test_an_unknown_zoo_model_in_params_stops_the_import_stage_with_nothing_written(tmp_path):
    path = edited(tmp_path, "params.yaml", "- vit.imagenetx", "- vit.imagenet", ROOT / "params.yaml")
    done = subprocess.run(
        [sys.executable, str(ROOT / "stages" / "import.py"), "--out", "preds"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    where = f"params.yaml:{line_of(path, 'models:')}: import.models"
    assert f"{where}: unknown zoo model 'vit.imagenet'; close: vit.imagenetx" in done.stderr
    assert not (tmp_path / "preds").exists()


def test_an_unknown_label_set_kind_names_the_kind_meant():
    with pytest.raises(
        ErrataError, match=r"here: unknown label set 'multilable:x' \(did you mean multilabel\?\)"
    ):
        labelsets.check_spec("multilable:x", "here")


def test_close_matches_are_listed_and_a_long_list_of_known_names_is_counted():
    err = lookup.unknown("thing", "abd", [f"x{i}" for i in range(20)] + ["abc"], "f.yaml:3")
    assert str(err) == "f.yaml:3: unknown thing 'abd'; close: abc (21 known)"
    with pytest.raises(ErrataError, match=r"^f: expected a mapping with keys a, b"):
        lookup.check_keys(["a"], ["a", "b"], "f")
    with pytest.raises(ErrataError, match=r"^f: missing key 'b'$"):
        lookup.check_keys({"a": 1}, ["a", "b"], "f", required=["b"])


def test_yaml_lines_reach_keys_and_list_items(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a:\n  b: 1\n  c:\n    - 1\n    - 2\n")
    assert lookup.yaml_lines(path) == {"a": 1}
    assert lookup.yaml_lines(path, "a") == {"b": 2, "c": 3}
    assert lookup.yaml_lines(path, "a", "c") == {"0": 4, "1": 5}
    assert lookup.yaml_lines(path, "nope") == {}


def test_a_missing_own_file_names_the_file_there_and_no_model_at_all_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "predictions").mkdir()
    (tmp_path / "predictions" / "my_model.csv").write_text("file_name,top1\n")
    listed = {"import": {"models": [], "files": ["predictions/my_modle.csv"]}, "predict": {"models": []}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(listed))
    dirs = Path("data/predictions"), Path("data/inference"), Path("predictions")
    with pytest.raises(
        ErrataError, match=r"my_modle.csv: no such file here; close: predictions/my_model.csv\."
    ):
        model_files.prediction_files(*dirs)
    listed["import"]["files"] = []
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(listed))
    with pytest.raises(
        ErrataError, match=r"^params.yaml: no models to classify \(import.models, predict.models"
    ):
        model_files.prediction_files(*dirs)


def test_a_preset_that_sets_nothing_is_refused_and_params_yaml_left_as_it_was(tmp_path):
    shutil.copy2(ROOT / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "preset.yaml").write_text("# all commented out\n# oov:\n#   gate: knn_train\n")
    with pytest.raises(ErrataError, match=r"preset.yaml: no params to set: name at least one"):
        presets.apply(tmp_path / "preset.yaml", tmp_path / "params.yaml")
    assert (tmp_path / "params.yaml").read_text() == (ROOT / "params.yaml").read_text()
