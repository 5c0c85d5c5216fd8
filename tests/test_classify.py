import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errata import imagenet, outputs, predictions, zoo
from errata.cascade import rules
from errata.cascade.rules import CODE, EvalArrays
from errata.classify import job, metrics
from errata.cli import main
from errata.errors import ErrataError
from errata.results import summarize
from errata.taxonomy.tables import Taxonomy

N = imagenet.NUM_CLASSES


def table(*pairs):
    m = np.zeros((N, N), bool)
    for a, b in pairs:
        m[a, b] = True
    return m


def evalset(rows):
    """rows: (target, labels, problematic, imagenet_m) per image."""
    return pd.DataFrame(
        {
            "file_name": [imagenet.val_file_name(i) for i in range(len(rows))],
            "target": [r[0] for r in rows],
            "labels": [r[1] for r in rows],
            "problematic": [r[2] for r in rows],
            "in_imagenet_m": [r[3] for r in rows],
        }
    )


# target 10 with labels {10, 20}; superclass {10, 11}, {20, 21}; alias 10->12; co-occurrence 10~30
TAX = Taxonomy(
    alias=table((10, 12)),
    same_superclass=table((10, 11), (11, 10), (20, 21), (21, 20), *[(i, i) for i in range(N)]),
    common_cooccurrence=table((10, 30), (30, 10), (10, 11), (11, 10), (20, 30), (30, 20)),
    non_prototypical=frozenset({imagenet.val_file_name(0)}),
    class_groups=imagenet.class_groups(),
)
PLAIN_TAX = replace(TAX, non_prototypical=frozenset())


@pytest.fixture
def ev():
    return EvalArrays.build(evalset([(10, [10, 20], False, False)]), TAX)


@pytest.mark.parametrize(
    "top1, expected",
    [
        (10, "correct"),
        (12, "overlapping_classes"),
        (20, "multi_label"),
        (11, "fine_grained"),  # also a common co-occurrence pair: fine-grained wins
        (21, "fine_grained"),  # via the second label
        (30, "spurious_correlation"),  # and the image is non-prototypical: spurious wins
        (500, "non_prototypical"),
    ],
)
def test_cascade_order(ev, top1, expected):
    for fn in (rules.classify, rules.classify_plain):
        assert rules.ERROR_TYPES[fn(ev, TAX, np.array([top1]))[0]] == expected


def test_oov_input_sits_between_fine_grained_and_spurious(ev):
    oov = np.array([True])
    for fn in (rules.classify, rules.classify_plain):
        assert fn(ev, TAX, np.array([30]), oov)[0] == CODE["fine_grained_oov"]
        assert fn(ev, TAX, np.array([11]), oov)[0] == CODE["fine_grained"]


def test_model_failure_and_not_predicted():
    ev = EvalArrays.build(evalset([(10, [10], False, False)] * 2), PLAIN_TAX)
    codes = rules.classify(ev, TAX, np.array([500, -1]))
    assert codes.tolist() == [CODE["model_failure"], rules.NOT_PREDICTED]
    assert rules.names(codes).tolist() == ["model_failure", ""]


def test_prediction_of_target_outside_label_set_is_not_correct():
    ev = EvalArrays.build(evalset([(10, [20], False, False)]), PLAIN_TAX)
    assert rules.classify(ev, TAX, np.array([10]))[0] != CODE["correct"]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_vectorised_agrees_with_plain(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    k = 12  # a small class universe so every rule fires often
    n = data.draw(st.integers(1, 60))
    rows = [
        (int(rng.integers(k)), sorted(set(rng.integers(k, size=rng.integers(0, 4)).tolist())), False, False)
        for _ in range(n)
    ]

    def rand(p):
        m = np.zeros((N, N), bool)
        m[:k, :k] = rng.random((k, k)) < p
        return m

    tax = Taxonomy(
        alias=rand(0.1), same_superclass=rand(0.2), common_cooccurrence=rand(0.2),
        non_prototypical=frozenset(imagenet.val_file_name(i) for i in range(n) if rng.random() < 0.3),
        class_groups=TAX.class_groups,
    )  # fmt: skip
    ev = EvalArrays.build(evalset(rows), tax)
    top1 = rng.integers(-1, k, size=n)
    oov = rng.random(n) < 0.2 if data.draw(st.booleans()) else None
    assert np.array_equal(rules.classify(ev, tax, top1, oov), rules.classify_plain(ev, tax, top1, oov))
    verdicts = rules.verdict_table(ev, tax)  # every (image, class) at once, then one gather
    assert np.array_equal(rules.lookup(verdicts, top1), rules.classify_plain(ev, tax, top1))


def test_metrics_on_a_hand_computed_case():
    # class 1: 3 images (correct, multi_label, fine_grained); class 2: 1 image (model_failure)
    # plus one problematic image that must be ignored
    rows = [(1, [1], False, True), (1, [1], False, False), (1, [1], False, True), (2, [2], False, False),
            (2, [2], True, False)]  # fmt: skip
    ev = EvalArrays.build(evalset(rows), PLAIN_TAX)
    codes = np.array([CODE["correct"], CODE["multi_label"], CODE["fine_grained"], CODE["model_failure"],
                      CODE["correct"]], dtype=np.int8)  # fmt: skip
    top1 = np.array([1, 7, 8, 9, 2])
    s = metrics.summarize(codes, top1, ev)
    assert s["n_evaluated"] == 4 and s["n_problematic_skipped"] == 1
    assert s["top1"] == pytest.approx(100 * 2 / 5)
    assert s["mla"] == pytest.approx(100 * (2 / 3 + 0) / 2)
    assert s["mla_minor"] == pytest.approx(100 * (3 / 3 + 0) / 2)
    assert s["mla_explainable"] == pytest.approx(50.0)
    assert s["n_top1_errors"] == 3 and s["counts"]["model_failure"] == 1
    assert s["portions"]["multi_label"] == pytest.approx(1 / 3)
    assert s["portions_remaining"]["fine_grained"] == pytest.approx(1 / 2)
    assert s["has_imagenet_m"] and s["n_imagenet_m"] == 2 and s["n_imagenet_m_errors"] == 1
    organism = s["groups"]["organism"]  # classes 1 and 2 (goldfish, great white shark)
    assert organism["n_samples"] == 4 and s["groups"]["artifact"]["n_samples"] == 0


def test_image_belongs_to_every_group_of_its_labels():
    teapot, tabby = imagenet.class_index("teapot"), imagenet.class_index("tabby")
    ev = EvalArrays.build(evalset([(tabby, [tabby, teapot], False, False)]), PLAIN_TAX)
    assert ev.groups.tolist() == [[True, True, False]]


def write_csv(tmp_path, text, name="m.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("file_name,top1\nILSVRC2012_val_00000001.JPEG,1000\n", "class index 1000 outside"),
        ("file_name,top1\nILSVRC2012_val_00000001.JPEG,-3\n", "class index -3 outside"),
        ("file_name,top1\nILSVRC2012_val_00000001.JPEG,1\nILSVRC2012_val_00000001.JPEG,2\n", "duplicate"),
        ("file_name,top1\nILSVRC2012_val_00000001.JPEG,\n", "line 2: class indices must be integers .*''"),
        ("file_name,top1\nILSVRC2012_val_00000001.JPEG,1.5\n", "line 2: class indices must be .*'1.5'"),
        (
            "file_name,predicted_class,predicted_probability\nILSVRC2012_val_00000001.JPEG,1,nan\n",
            "line 2: probability must be a number, found 'nan'",
        ),
        ("name,cls\nx,1\n", "neither ImageNet-X"),
    ],
)
def test_bad_predictions_files(tmp_path, text, message):
    with pytest.raises(ErrataError, match=message):
        predictions.read(write_csv(tmp_path, text))


def test_unknown_file_names_are_an_error_partial_coverage_is_not():
    ev = EvalArrays.build(evalset([(1, [1], False, False)] * 3), PLAIN_TAX)
    bad = predictions.Predictions(np.array([imagenet.val_file_name(0), "cat.jpg"]), np.array([[1], [2]]))
    with pytest.raises(ErrataError, match="x: row 1: 'cat.jpg' is not an ImageNet validation file name"):
        predictions.check(bad, "x")
    part = predictions.Predictions(np.array([imagenet.val_file_name(2), imagenet.val_file_name(99)]),
                                   np.array([[5], [6]]))  # fmt: skip
    assert predictions.align(part, ev.positions).tolist() == [-1, -1, 5]


def test_npz_roundtrip_and_formats(tmp_path):
    a, b = imagenet.val_file_name(0), imagenet.val_file_name(1)
    p = predictions.Predictions(
        np.array([a, b]), np.array([[1, 2], [3, 4]]), np.array([[0.5, 0.2], [0.9, 0.1]])
    )
    back = predictions.read(predictions.write(p, tmp_path / "m.npz"))
    assert back.file_names.tolist() == [a, b] and back.top1.tolist() == [1, 3]
    assert back.probs is not None and back.probs.shape == (2, 2)
    top5 = write_csv(tmp_path, f"file_name,top1,top2\n{a},1,2\n{b},3,4\n")
    assert predictions.read(top5).topk.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ErrataError, match="unknown predictions format '.txt'"):
        predictions.read(write_csv(tmp_path, "x", "m.txt"))


@pytest.fixture(scope="module")
def classified(public_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("classified")
    preds = zoo.import_models(["resnet50.imagenetx", "vit_3b.experts"], out / "preds")
    assert main(["classify", "--predictions", *map(str, preds), "--labels", "real", "--out", str(out)]) == 0
    return out


def test_real_model_end_to_end(classified):
    s = json.loads((classified / "resnet50.imagenetx" / "summary.json").read_text())
    assert s["top1"] == pytest.approx(76.13)
    assert s["n_evaluated"] == 42_164 and s["oov_test_run"] is False and s["counts"]["fine_grained_oov"] == 0
    assert sum(s["counts"].values()) == s["n_evaluated"]
    assert sum(v for k, v in s["counts"].items() if k != "correct") == s["n_top1_errors"]
    assert s["mla"] > s["top1"] and s["mla_minor"] >= s["mla"] and s["mla_explainable"] >= s["mla_minor"]
    raw = pd.read_parquet(classified / "resnet50.imagenetx" / "errors.parquet")
    assert isinstance(raw["error_type"].dtype, pd.CategoricalDtype)  # stored dictionary-encoded
    errors = outputs.read_errors(classified / "resnet50.imagenetx" / "errors.parquet")
    assert (
        errors["error_type"].dtype == "string"
        and errors["file_name"].iloc[0] == "ILSVRC2012_val_00000001.JPEG"
    )
    assert {"file_name", "target", "top1", "error_type", "problematic"} <= set(errors.columns)
    assert len(errors) == 50_000
    counted = errors.loc[~errors["problematic"], "error_type"].value_counts().to_dict()
    assert counted == {k: v for k, v in s["counts"].items() if v}


def test_mistakes_only_model_is_partial(classified):
    s = json.loads((classified / "vit_3b.experts" / "summary.json").read_text())
    assert s["n_predicted"] == 378 and s["counts"]["correct"] == 0
    assert s["n_evaluated"] + s["n_problematic_skipped"] == 378


def test_mistakes_only_models_have_no_top1_or_mla_anywhere_a_user_reads(classified, stats_dir):
    """Over its mistakes alone a model's top-1 reads 0 and its MLA a fraction of the real one: the
    summary, the stats rows and the metrics give none, and say why; the other model keeps its own."""
    s = json.loads((classified / "vit_3b.experts" / "summary.json").read_text())
    accuracies = ("top1", "mla", "mla_minor", "mla_explainable")
    assert all(s[k] is None for k in accuracies) and s["not_measured"] == zoo.MISTAKES_ONLY_NOTE
    assert all(s["groups"][g][k] is None for g in imagenet.GROUPS for k in accuracies[1:])
    assert s["portions"]["model_failure"] == pytest.approx(0.2)  # what its mistakes are stays
    full = json.loads((classified / "resnet50.imagenetx" / "summary.json").read_text())
    assert full["top1"] == pytest.approx(76.13) and full["not_measured"] is None
    measured = ["top1_val_acc", "mla_all", "mla_all_minor_error", "mla_all_explainable_error"]
    for group in summarize.TABLES:
        rows = pd.read_csv(stats_dir / f"{group}.csv").set_index("model_dir_id")
        mistakes, model = rows.loc["vit_3b.experts"], rows.loc["resnet50.imagenetx"]
        assert mistakes[[*measured, "mla_group"]].isna().all(), group
        assert (mistakes["coverage"], mistakes["not_measured"]) == ("mistakes", zoo.MISTAKES_ONLY_NOTE)
        assert model[[*measured, "mla_group"]].notna().all() and pd.isna(model["not_measured"]), group
        assert mistakes["num_group_top1_errors"] == mistakes["num_group_samples"] > 0
    metrics = stats_dir.parent / "metrics"
    assert json.loads((metrics / "vit_3b.experts.json").read_text()) == {
        "coverage": "mistakes-only",
        "model_failure_share": 0.2,
    }
    assert sorted(p.name for p in metrics.iterdir()) == ["resnet50.imagenetx.json", "vit_3b.experts.json"]


def test_stats_tables_use_reference_columns_and_add_up(stats_dir):
    tables = {g: pd.read_csv(stats_dir / f"{g}.csv") for g in summarize.TABLES}
    ref_columns = [
        "top1_val_acc",
        "mla_all",
        "mla_all_minor_error",
        "mla_all_explainable_error",
        "num_group_samples",
        "num_group_correct",
        "num_group_top1_errors",
        "num_collapsed_mappings",
        "num_ambiguous",
        "num_same_superclass",
        "num_common_co_occ",
        "num_non_prototypical",
        "num_OOV_clip",
        "num_not_classified",
        "num_imagenet-m_errors",
    ]
    for name, df in tables.items():
        assert set(ref_columns) <= set(df.columns), name
        parts = df[list(summarize.COUNT_COLUMNS)].sum(axis=1)
        assert (parts == df["num_group_top1_errors"]).all(), name
        assert (df["num_group_correct"] + df["num_group_top1_errors"] == df["num_group_samples"]).all()
    groups = sum(tables[g]["num_group_samples"] for g in imagenet.GROUPS)
    assert (groups >= tables["all"]["num_group_samples"]).all()
    m = json.loads((stats_dir.parent / "metrics" / "resnet50.imagenetx.json").read_text())
    # the headline numbers only; model failures as a share of its 6,934 top-1 errors (`portions`)
    assert m == {"top1": 76.13, "mla": 87.3542, "model_failure_share": 0.4125}


def test_every_zoo_model_imports_with_its_coverage(public_data):
    sizes = {"all": imagenet.NUM_VAL_IMAGES}
    for model_id, meta in zoo.models().items():
        preds = zoo.load_predictions(model_id)
        assert (imagenet.val_positions(preds.file_names) >= 0).all(), model_id
        if meta["coverage"] in sizes:
            assert len(preds) == sizes[meta["coverage"]], model_id
    assert len(zoo.load_predictions("vit_3b.experts")) == 378
    assert len(zoo.load_predictions("greedy_soups.experts")) == 249


def test_cleanlab_index_mapping_agrees_with_the_validation_labels(public_data):
    """cleanlab's files are in class-folder order: mapped through its index, its original labels
    must equal the pinned validation labels, which checks the mapping its predictions use too."""
    from errata import sources

    labels = np.load(sources.fetch("cleanlab_original_labels"))
    names = zoo.load_predictions("resnet50.cleanlab_cv").file_names
    index = imagenet.validation_index()
    assert np.array_equal(index.loc[names, "target"].to_numpy(), labels)


# The ImageNet-X ResNet50 under ReaL with the bundled taxonomy and the default co-occurrence
# (2 per 30,000 images: 3 over all 50,000): per group, (samples, correct, top-1 errors) and the count of each
# error type by the reference's column name. Regression pins: a change of superclasses or
# co-occurrence must update them on purpose, and two swapped columns cannot pass.
RESNET50_REAL = {
    "all": (42164, 35230, 6934, {"num_collapsed_mappings": 219, "num_ambiguous": 1635,
            "num_same_superclass": 1714, "num_common_co_occ": 502, "num_non_prototypical": 4,
            "num_OOV_clip": 0, "num_not_classified": 2860}),
    "organism": (17474, 15614, 1860, {"num_collapsed_mappings": 57, "num_ambiguous": 440,
                 "num_same_superclass": 769, "num_common_co_occ": 49, "num_non_prototypical": 2,
                 "num_OOV_clip": 0, "num_not_classified": 543}),
    "artifact": (22588, 17588, 5000, {"num_collapsed_mappings": 165, "num_ambiguous": 1212,
                 "num_same_superclass": 904, "num_common_co_occ": 436, "num_non_prototypical": 2,
                 "num_OOV_clip": 0, "num_not_classified": 2281}),
    "other": (3345, 2600, 745, {"num_collapsed_mappings": 12, "num_ambiguous": 288,
              "num_same_superclass": 159, "num_common_co_occ": 73, "num_non_prototypical": 0,
              "num_OOV_clip": 0, "num_not_classified": 213}),
}  # fmt: skip
RESNET50_MLA = {  # mla, minor, explainable per group, in percent
    "all": (87.3542, 91.7391, 93.0126),
    "organism": (85.7077, 92.3336, 93.1096),
    "artifact": (80.8707, 86.1363, 88.1995),
    "other": (74.0725, 80.4582, 85.5808),
}


@pytest.fixture(scope="module")
def stats_dir(classified, tmp_path_factory):
    out = tmp_path_factory.mktemp("stats")
    summarize.write(classified, out / "stats", out / "metrics")
    return out / "stats"


@pytest.mark.parametrize("group", list(RESNET50_REAL))
def test_resnet50_stats_row_holds_the_pinned_counts_per_column(stats_dir, group):
    """Read back from the CSV a user opens, so a file written under another group's name fails."""
    row = pd.read_csv(stats_dir / f"{group}.csv").set_index("model_dir_id").loc["resnet50.imagenetx"]
    samples, correct, errors, counts = RESNET50_REAL[group]
    assert (row["num_group_samples"], row["num_group_correct"], row["num_group_top1_errors"]) == (
        samples, correct, errors,
    )  # fmt: skip
    assert {col: int(row[col]) for col in counts} == counts
    mla = (row["mla_group"], row["mla_group_minor_error"], row["mla_group_explainable_error"])
    assert mla == pytest.approx(RESNET50_MLA[group], abs=1e-4)
    assert row["top1_val_acc"] == pytest.approx(76.13) and row["mla_all"] == pytest.approx(87.3542, abs=1e-4)
    assert row["num_all_samples"] == 42164 and row["num_all_top1_errors"] == 6934
    assert pd.isna(row["num_imagenet-m_errors"])  # ReaL has no ImageNet-M
    # metadata copied from errata/data/zoo.yaml (figures bucket and filter models by it)
    meta = (row["arch"], row["arch_family"], row["training_data"], row["num_params"], row["coverage"])
    assert meta == ("resnet50", "cnn", "ImageNet-1k", 25557032, "all")
    assert (row["label_set"], row["oov_test_run"]) == ("real", False)


# One row per error type of the ResNet50's errors.parquet, as stored: (file, target, top1, type,
# problematic); the first image is problematic under ReaL, so it has no verdict.
RESNET50_ROWS = [
    ("ILSVRC2012_val_00000001.JPEG", 65, 65, None, True),
    ("ILSVRC2012_val_00000002.JPEG", 970, 795, "multi_label", False),
    ("ILSVRC2012_val_00000003.JPEG", 230, 230, "correct", False),
    ("ILSVRC2012_val_00000005.JPEG", 516, 520, "fine_grained", False),
    ("ILSVRC2012_val_00000026.JPEG", 846, 583, "model_failure", False),
    ("ILSVRC2012_val_00000055.JPEG", 358, 359, "overlapping_classes", False),
    ("ILSVRC2012_val_00021758.JPEG", 902, 543, "non_prototypical", False),
]


def test_resnet50_errors_file_holds_the_pinned_rows(classified):
    import pyarrow.parquet as pq

    table = pq.read_table(classified / "resnet50.imagenetx" / "errors.parquet").to_pandas()
    assert list(table.columns) == ["file_name", "target", "top1", "error_type", "problematic"]
    rows = table.set_index("file_name").astype({"error_type": object})
    for file, target, top1, etype, problematic in RESNET50_ROWS:
        row = rows.loc[file]
        got = (
            int(row["target"]),
            int(row["top1"]),
            None if pd.isna(row["error_type"]) else row["error_type"],
        )
        assert (*got, bool(row["problematic"])) == (target, top1, etype, problematic), file
    counts = table.loc[~table["problematic"], "error_type"].astype(str).value_counts().to_dict()
    assert counts == {
        "correct": 35230, "overlapping_classes": 219, "multi_label": 1635, "fine_grained": 1714,
        "spurious_correlation": 502, "non_prototypical": 4, "model_failure": 2860,
    }  # fmt: skip


def test_resnet50_summary_fields_are_pinned(classified):
    s = json.loads((classified / "resnet50.imagenetx" / "summary.json").read_text())
    assert (s["n_images"], s["n_predicted"], s["n_problematic_skipped"]) == (50000, 50000, 7836)
    assert s["n_outside_evaluation_set"] == 0 and s["n_skipped_unreadable"] == 0
    assert s["counts"] == {
        "correct": 35230, "overlapping_classes": 219, "multi_label": 1635, "fine_grained": 1714,
        "fine_grained_oov": 0, "spurious_correlation": 502, "non_prototypical": 4, "model_failure": 2860,
    }  # fmt: skip
    assert s["portions"]["model_failure"] == pytest.approx(2860 / 6934)
    assert s["portions"]["multi_label"] == pytest.approx(1635 / 6934)
    assert s["portions_remaining"]["model_failure"] == pytest.approx(2860 / (1714 + 502 + 4 + 2860))
    assert s["groups"]["artifact"]["counts"]["spurious_correlation"] == 436
    # co-occurrence at the reference's frequency (3 over all 50,000 images) keeps the spurious
    # portion near the reference's; at an absolute 2 over 50,000 it was 0.098
    assert s["portions"]["spurious_correlation"] == pytest.approx(502 / 6934) and 502 / 6934 < 0.08


@pytest.mark.slow
def test_classifying_with_a_built_taxonomy_never_loads_wordnet(classified, tmp_path):
    """What classify needs from WordNet (the class groups) is a taxonomy output."""
    code = (
        "import sys\n"
        "from errata.classify import job\n"
        f"job.run([{str(classified / 'preds' / 'resnet50.imagenetx.npz')!r}], {str(tmp_path / 'o')!r},"
        f" taxonomy_dir={str(classified / 'taxonomy')!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nltk', 'torch')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (
        json.loads((tmp_path / "o" / "resnet50.imagenetx" / "summary.json").read_text())["n_evaluated"]
        == 42164
    )


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_fast_csv_reader_agrees_with_the_checking_reader(tmp_path_factory, data):
    """`read_top1` parses well-formed CSVs with pyarrow and checks arrays; whatever it accepts must
    equal what the row-checking reader gives, and what it cannot vouch for goes to that reader."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    n = data.draw(st.integers(1, 300))
    positions = rng.choice(imagenet.NUM_VAL_IMAGES, n, replace=False)
    k = data.draw(st.integers(1, 3))
    classes = rng.integers(0, N, (n, k))
    imagenetx = k == 1 and data.draw(st.booleans())
    header = (
        "file_name,predicted_class,predicted_probability"
        if imagenetx
        else "file_name," + ",".join(f"top{i}" for i in range(1, k + 1))
    )
    flaw = data.draw(st.sampled_from(["none", "duplicate", "out of range", "space", "blank", "crlf"]))
    if flaw == "out of range":
        classes[-1, 0] = N
    rows = [
        ",".join([imagenet.val_file_name(p), *map(str, c)] + (["0.5"] if imagenetx else []))
        for p, c in zip(positions, classes, strict=True)
    ]
    if flaw == "duplicate":
        rows.append(rows[0])
    elif flaw == "space":
        rows[0] = rows[0].replace(",", ", ", 1)
    elif flaw == "blank":
        rows.insert(len(rows) // 2, "")
    newline = "\r\n" if flaw == "crlf" else "\n"
    path = tmp_path_factory.mktemp("fast") / "m.csv"
    path.write_text(newline.join([header, *rows]) + newline)
    try:
        expected = predictions.read(path).top1_by_position()
    except ErrataError:
        with pytest.raises(ErrataError):
            predictions.read_top1(path)
        return
    assert np.array_equal(predictions.read_top1(path).by_position, expected)


@pytest.mark.slow
def test_models_classified_in_worker_processes_equal_one_process(classified, tmp_path, monkeypatch):
    preds = sorted((classified / "preds").glob("*.npz"))
    kw = {"taxonomy_dir": classified / "taxonomy"}
    serial = job.run(preds, tmp_path / "serial", workers=1, **kw)
    monkeypatch.setattr(job, "MIN_MODELS_PER_WORKER", 1)
    forked = job.run(preds, tmp_path / "forked", workers=2, **kw)
    assert list(forked) == list(serial) and forked == serial
    for m in serial:
        a, b = (outputs.read_errors(tmp_path / d / m / "errors.parquet") for d in ("serial", "forked"))
        pd.testing.assert_frame_equal(a, b)
