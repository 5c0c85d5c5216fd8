import numpy as np
import pandas as pd
import pytest

from errata import imagenet
from errata.classify import metrics
from errata.outputs import ERROR_TYPES
from errata.results import per_class


def errors_table(rows):
    """rows: (target, top1, error_type or None for a problematic image)."""
    return pd.DataFrame(
        {
            "file_name": [imagenet.val_file_name(i) for i in range(len(rows))],
            "target": np.array([r[0] for r in rows], np.int16),
            "top1": np.array([r[1] for r in rows], np.int16),
            "error_type": pd.array([r[2] for r in rows], dtype="string"),
            "problematic": [r[2] is None for r in rows],
        }
    )


ERRORS = errors_table(
    [
        (5, 5, "correct"),
        (5, 3, "model_failure"),
        (5, 6, "multi_label"),
        (5, 4, "fine_grained"),
        (5, 1, None),  # problematic: counts nowhere
        (7, 2, "spurious_correlation"),
        (7, 7, "correct"),
    ]
)


def test_class_table_counts_and_accuracies_by_hand():
    table = per_class.class_table(ERRORS).set_index("class_index")
    assert table.index.tolist() == [5, 7]
    assert table["name"].tolist() == ["electric ray", "cock"]
    assert table["n_evaluated"].tolist() == [4, 2]
    assert table.loc[5, ["correct", "multi_label", "fine_grained", "model_failure"]].tolist() == [1, 1, 1, 1]
    assert table.loc[5, ["overlapping_classes", "spurious_correlation"]].tolist() == [0, 0]
    assert table.loc[7, ["correct", "spurious_correlation", "model_failure"]].tolist() == [1, 1, 0]
    # class 5: 2 of 4 MLA-correct, 3 with fine-grained, still 3 with the explainable types
    assert table.loc[5, ["mla", "mla_minor", "mla_explainable"]].tolist() == [50.0, 75.0, 75.0]
    # class 7: the spurious correlation counts only as explainable
    assert table.loc[7, ["mla", "mla_minor", "mla_explainable"]].tolist() == [50.0, 50.0, 100.0]


def test_class_table_means_are_the_models_mla_variants():
    """The mean over classes must be what the summary reports: checked against metrics.block,
    which counts the same images through its own bincount path."""
    rng = np.random.default_rng(0)
    n = 3000
    target = rng.integers(0, 40, n)
    codes = rng.integers(0, len(ERROR_TYPES), n)
    problematic = rng.random(n) < 0.1
    errors = errors_table(
        [(t, 0, None if p else ERROR_TYPES[c]) for t, c, p in zip(target, codes, problematic, strict=True)]
    )
    counts = np.zeros((imagenet.NUM_CLASSES, len(ERROR_TYPES)), np.int64)
    np.add.at(counts, (target[~problematic], codes[~problematic]), 1)
    expected = metrics.block(counts, np.zeros(0, np.int64))
    table = per_class.class_table(errors)
    assert len(table) == 40
    assert table["n_evaluated"].sum() == (~problematic).sum()
    for variant in metrics.MLA_CORRECT:
        assert table[variant].mean() == pytest.approx(expected[variant])


def test_class_errors_lists_the_wrong_images_of_one_class_in_cascade_order():
    wrong = per_class.class_errors(ERRORS, 5)
    assert wrong["error_type"].tolist() == ["multi_label", "fine_grained", "model_failure"]
    assert wrong["top1"].tolist() == [6, 4, 3]
    assert wrong["prediction"].tolist() == ["stingray", "hammerhead", "tiger shark"]
    assert wrong["file_name"].tolist() == [imagenet.val_file_name(i) for i in (2, 3, 1)]
    assert per_class.class_errors(ERRORS, 8).empty


def test_names_shared_by_two_classes_carry_their_index():
    names = imagenet.display_names()
    assert (names[638], names[639]) == ("maillot (638)", "maillot (639)")
    assert (names[134], names[517]) == ("crane (134)", "crane (517)")
    assert (names[264], names[474]) == ("Cardigan (264)", "cardigan (474)")  # the same up to case
    assert names[0] == "tench" and sum(n.endswith(")") for n in names) == 6
    one = per_class.class_errors(errors_table([(638, 639, "overlapping_classes")]), 638)
    assert one["prediction"].tolist() == ["maillot (639)"]


def test_rankings_leave_out_classes_with_few_images():
    """A class of 7 images with MLA 0 would lead the lowest-MLA list; below MIN_IMAGES it is not ranked."""
    table = pd.DataFrame(
        {"images": [7.0, 40.0, 25.0, 24.9], "mla": [0.0, 60.0, 70.0, 1.0]},
        index=pd.Index([3, 1, 2, 9], name="class"),
    )
    assert per_class.MIN_IMAGES == 25
    assert per_class.worst(table, "mla", 5)["class"].tolist() == [1, 2]
    assert per_class.worst(table, "mla", 5, ascending=False)["class"].tolist() == [2, 1]
