import json
from pathlib import Path

import pandas as pd
import pytest

from errata import imagenet, labelsets
from errata.cli import main
from errata.errors import ErrataError

pytestmark = pytest.mark.usefixtures("public_data")

TENCH, GOLDFISH, RED_WOLF = "n01440764", "n01443537", "n02114712"


def val(i: int) -> str:
    return imagenet.val_file_name(i)


def test_real_counts_match_the_published_ones():
    ev = labelsets.build("real")
    stats = labelsets.counts(ev, "real")
    assert stats["n_images"] == 50_000
    assert stats["n_empty_labels"] == 3_163
    assert stats["n_without_original_label"] == 4_673
    assert stats["n_non_problematic"] == 42_164
    assert list(ev.columns) == labelsets.COLUMNS
    assert ev.loc[1, "labels"] == [795, 970] and ev.loc[1, "file_name"] == val(1)


def multilabel_file(tmp_path: Path, **overrides) -> Path:
    """A small file in the human_accuracy_v3.0.0.json format."""
    target1 = int(imagenet.validation_index().loc[val(1), "target"])
    wnid1 = imagenet.wnids()[target1]
    data = {
        "initial_annots": {
            val(0): {"correct": [imagenet.wnids()[65]], "wrong": [TENCH]},
            val(1): {"correct": [wnid1], "unclear": [GOLDFISH]},
            val(2): {"wrong": [RED_WOLF]},
            "imagenet2candidates_mturk/n01440764_1.jpg": {"correct": [TENCH]},
        },
        "problematic_images": {val(2): "no label"},
        "imagenet_m": [val(1)],
    }
    data.update(overrides)
    path = tmp_path / "human_accuracy.json"
    path.write_text(json.dumps(data))
    return path


def test_multilabel_reads_correct_and_unclear_skips_non_val(tmp_path):
    ev = labelsets.build(f"multilabel:{multilabel_file(tmp_path)}")
    assert ev["file_name"].tolist() == [val(0), val(1), val(2)]
    assert ev.loc[0, "labels"] == [65]
    assert 1 in ev.loc[1, "labels"]
    assert ev.loc[2, "labels"] == []
    assert ev["problematic"].tolist() == [False, False, True]
    assert ev["in_imagenet_m"].tolist() == [False, True, False]
    assert labelsets.counts(ev, "x")["n_imagenet_m"] == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"initial_annots": []}, "top level"),
        ({"problematic_images": ["a"]}, "problematic_images"),
        ({"imagenet_m": {"a": 1}}, "imagenet_m"),
        ({"imagenet_m": [val(40)]}, "imagenet_m entry"),
        ({"initial_annots": {val(0): {"correct": ["n99999999"]}}}, "unknown wnid 'n99999999'"),
        ({"initial_annots": {val(0): {"correct": TENCH}}}, "expected a list of wnids"),
        ({"initial_annots": {"ILSVRC2012_val_09999999.JPEG": {}}}, "unknown validation file"),
    ],
)
def test_multilabel_errors_name_file_and_place(tmp_path, overrides, message):
    path = multilabel_file(tmp_path, **overrides)
    with pytest.raises(ErrataError, match=message) as err:
        labelsets.build(f"multilabel:{path}")
    assert str(path) in str(err.value)


def test_multilabel_invalid_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ErrataError, match="not valid JSON"):
        labelsets.build(f"multilabel:{path}")


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def test_custom_with_and_without_problematic_column(tmp_path):
    path = write_csv(tmp_path, f"file_name,target,labels\n{val(0)},65,65 1\n{val(5)},3,\n{val(7)},2,4\n")
    ev = labelsets.build(f"custom:{path}")
    assert ev["labels"].tolist() == [[1, 65], [], [4]]
    assert ev["problematic"].tolist() == [False, True, True]
    path = write_csv(tmp_path, f"file_name,target,labels,problematic\n{val(0)},65,65,1\n")
    assert labelsets.build(f"custom:{path}")["problematic"].tolist() == [True]


@pytest.mark.parametrize(
    "body, message",
    [
        (f"file_name,target\n{val(0)},1\n", "missing column"),
        ("file_name,target,labels\n", "has a header but no rows"),
        (f"file_name,target,labels\n{val(0)},1,1,\n", "line 2: 4 fields where the header has 3"),
        (f"file_name,target,labels\n{val(0)},1,1\nnope.JPEG,1,1\n", "line 3: unknown validation file"),
        (f"file_name,target,labels\n{val(0)},1,1\n{val(0)},1,1\n", "line 3: duplicate file name"),
        (f"file_name,target,labels\n{val(0)},1000,1\n", "line 2: target: class index 1000 outside"),
        (f"file_name,target,labels\n{val(0)},-1,1\n", "class index -1 outside"),
        (f"file_name,target,labels\n{val(0)},1,1 dog\n", "line 2: labels: 'dog' is not a class index"),
        (f"file_name,target,labels,problematic\n{val(0)},1,1,yes\n", "problematic must be 0 or 1"),
    ],
)
def test_custom_errors_name_file_and_first_bad_row(tmp_path, body, message):
    path = write_csv(tmp_path, body)
    with pytest.raises(ErrataError, match=message) as err:
        labelsets.build(f"custom:{path}")
    assert str(path) in str(err.value)


@pytest.mark.parametrize("spec", ["reall", "custom:", "multilabel", "real:x"])
def test_unknown_spec(spec):
    with pytest.raises(ErrataError, match="unknown label set"):
        labelsets.build(spec)


def test_missing_file(tmp_path):
    with pytest.raises(ErrataError, match="no such file"):
        labelsets.build(f"custom:{tmp_path / 'nope.csv'}")


def test_cli_writes_outputs_and_leaves_nothing_on_error(tmp_path, capsys):
    good = write_csv(tmp_path, f"file_name,target,labels\n{val(0)},65,65\n")
    out = tmp_path / "out"
    assert main(["prepare", "--labels", f"custom:{good}", "--out", str(out)]) == 0
    evalset, spec = labelsets.read(out / "evalset.parquet")
    assert evalset["labels"].tolist() == [[65]] and spec == f"custom:{good}"
    assert json.loads((out / "counts.json").read_text())["n_non_problematic"] == 1

    bad = write_csv(tmp_path, f"file_name,target,labels\n{val(0)},65,x\n")
    out2 = tmp_path / "out2"
    assert main(["prepare", "--labels", f"custom:{bad}", "--out", str(out2)]) == 2
    assert "line 2" in capsys.readouterr().err
    assert not out2.exists()


def test_an_exported_label_set_reads_back_as_the_same_evaluation_set(tmp_path):
    """`errata labels export` writes what `custom:` reads: ReaL round-trips, flags included."""
    out = tmp_path / "real.csv"
    assert main(["labels", "export", "real", "--out", str(out)]) == 0
    back = labelsets.build(f"custom:{out}")
    real = labelsets.build("real")
    cols = ["file_name", "target", "labels", "problematic"]
    pd.testing.assert_frame_equal(back[cols], real[cols])
    assert out.read_text().splitlines()[:3] == [
        "file_name,target,labels,problematic",
        f"{val(0)},65,,1",  # no ReaL label: problematic
        f"{val(1)},970,795 970,0",
    ]
