import pandas as pd

from errata.results import diff


def test_fixed_images_lists_one_models_errors_of_a_type_that_the_other_fixes():
    names = [f"f{i}" for i in range(5)]
    a = pd.DataFrame(
        {
            "file_name": names,
            "target": [1, 1, 2, 2, 2],
            "top1": [3, 4, 5, 6, 7],
            "problematic": [False] * 4 + [True],
            "error_type": [
                "model_failure",
                "model_failure",
                "fine_grained",
                "model_failure",
                "model_failure",
            ],
        }
    )
    # f0 fixed (correct), f1 not fixed (fine-grained), f2 fixed but of another type, f3 fixed by a
    # second label, f4 problematic
    b = a.assign(
        top1=[1, 0, 2, 9, 2], error_type=["correct", "fine_grained", "correct", "multi_label", "correct"]
    )
    both = diff.compare(a, b)
    fixed = diff.fixed_images(both, "a", "model_failure")
    assert fixed["file_name"].tolist() == ["f0", "f3"]
    assert fixed["label"].tolist() == ["goldfish", "great white shark"]
    assert fixed["prediction"].tolist() == ["tiger shark", "stingray"]
    assert fixed["fix"].tolist() == ["goldfish", "ostrich"]
    assert fixed["fix_verdict"].tolist() == ["correct", "multi_label"]
    # the erring model chosen by side: with the models swapped, the same images from side "b"
    swapped = diff.fixed_images(diff.compare(b, a), "b", "model_failure")
    pd.testing.assert_frame_equal(swapped, fixed)
    # b's fine-grained error on f1 is not fixed by a's model failure
    assert diff.fixed_images(both, "b", "fine_grained").empty


def test_fixed_images_name_a_shared_class_name_with_its_index():
    a = pd.DataFrame(
        {
            "file_name": ["f0"],
            "target": [638],
            "top1": [134],
            "problematic": [False],
            "error_type": ["model_failure"],
        }
    )
    b = a.assign(top1=[639], error_type=["overlapping_classes"])
    fixed = diff.fixed_images(diff.compare(a, b), "a", "model_failure")
    assert fixed[["label", "prediction", "fix"]].values.tolist() == [
        ["maillot (638)", "crane (134)", "maillot (639)"]
    ]
