"""The report's sections for a paper reader (provenance, models, per class, confusions with examples
and thumbnails, ImageNet-M) checked against the errors and stats tables, computed independently here."""

import hashlib
import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.transforms import Bbox
from PIL import Image
from report_build import N_OWN, report_inputs

from errata import __version__, imagenet, outputs
from errata.cli import main
from errata.errors import ErrataError
from errata.pipeline import model_files
from errata.report import figures, provenance
from errata.report import html as h
from errata.report import page as report_page
from errata.results import summarize
from errata.results.summarize import COUNT_COLUMNS
from errata.taxonomy import tables

REPO = Path(__file__).resolve().parents[1]
FULL = ["mine", "resnet50.imagenetx", "vit.imagenetx"]  # all but the mistakes-only model


def rows_of(page: str, caption: str) -> list[list[str]]:
    """The body rows (cell texts) of the table with this caption."""
    table = re.search(rf"<caption>{re.escape(html.escape(caption))}</caption>(.*?)</table>", page, re.S)
    assert table, caption
    body = table.group(1).split("<tbody>")[1]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def header_of(page: str, caption: str) -> list[str]:
    table = re.search(rf"<caption>{re.escape(html.escape(caption))}</caption>(.*?)</thead>", page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<th>(.*?)</th>", table.group(1))]


def section_of(page: str, heading: str) -> str:
    return re.search(rf"<h2>{re.escape(html.escape(heading))}</h2>(.*?)</section>", page, re.S).group(1)


@pytest.fixture(scope="module")
def built(report_build):
    """Two zoo models, one mistakes-only, and a user's own CSV over part of the images; the report
    built with a params file whose images.val holds no images."""
    return report_build


@pytest.fixture(scope="module")
def page(built) -> str:
    return (built / "out" / "index.html").read_text()


@pytest.mark.slow
def test_provenance_shows_the_params_used(built, page):
    params = yaml.safe_load((built / "params.yaml").read_text())
    shown = dict(rows_of(page, f"{built / 'params.yaml'}: every parameter that changes a result"))
    assert list(shown) == list(provenance.RESULT_PARAMS)
    assert shown["predict.clip_templates"] == "simple" and shown["oov.gate"] == "none"
    assert shown["import.files"] == str(built / "predictions" / "mine.csv")
    assert shown["import.models"] == ", ".join(params["import"]["models"])
    assert shown["cooccurrence.min_count"] == str(params["cooccurrence"]["min_count"])


@pytest.mark.slow
def test_provenance_values_are_the_inputs_hashes_each_explained(built, page):
    facts = {r[0]: r[1:] for r in rows_of(page, "This page")}
    assert list(facts) == ["errata version", "label set", "inputs sha256"]
    assert facts["errata version"][0] == __version__ and facts["label set"][0] == "real"
    assert all(len(why) > 20 for _, why in facts.values())  # each value says what it is
    assert re.fullmatch(r"[0-9a-f]{16}", facts["inputs sha256"][0])
    inputs = {r[0]: r[1:] for r in rows_of(page, "The inputs, as read")}
    assert list(inputs) == ["stats", "classified", "agreement", "params", "coverage", "cooccurrence"]
    params = (built / "params.yaml").read_bytes()
    assert inputs["params"] == [
        str(built / "params.yaml"),
        "1",
        str(len(params)),
        hashlib.sha256(params).hexdigest()[:16],
    ]
    stats = [f for f in (built / "stats").rglob("*") if f.is_file()]
    assert inputs["stats"][1:3] == [str(len(stats)), str(sum(f.stat().st_size for f in stats))]
    assert len({v[3] for v in inputs.values()}) == len(inputs)  # a hash per input, not one for all
    section = html.unescape(section_of(page, "Provenance: what was run, with what"))
    assert "git log -1 --format" not in section and "commit and date" not in section
    assert "No commit or date is written into the page" in section


def test_an_input_fingerprint_changes_with_any_file_and_nothing_else(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        (folder / "sub").mkdir(parents=True)
        (folder / "a.csv").write_text("x\n1\n")
        (folder / "sub" / "b.json").write_text("{}")
    same = provenance.fingerprint(one)
    assert same == provenance.fingerprint(two) and (same.files, same.size) == (2, 6)
    (two / "a.csv").write_text("x\n2\n")
    edited = provenance.fingerprint(two)
    (two / "a.csv").write_text("x\n1\n")
    (two / "sub" / "b.json").rename(two / "sub" / "c.json")
    renamed = provenance.fingerprint(two)
    assert len({same.sha256, edited.sha256, renamed.sha256}) == 3
    single = provenance.fingerprint(one / "a.csv")
    assert single == provenance.Fingerprint(1, 4, hashlib.sha256(b"x\n1\n").hexdigest())  # as sha256sum
    assert provenance.combined({"a": same, "b": single}) != provenance.combined({"a": edited, "b": single})


@pytest.mark.slow
def test_gates_say_what_ran_from_the_taxonomy_outputs(built, page):
    gates = dict(rows_of(page, "The cascade's tests, as run"))
    cov = pd.read_json(built / "tax" / tables.COVERAGE, typ="series")
    cooc = pd.read_json(built / "tax" / tables.COOC_REPORT, typ="series")
    fine = f"{cov['n_definitions']} superclasses, {cov['n_pairs_sharing']} class pairs sharing one"
    assert gates["fine_grained"] == fine
    spurious = (
        f"{cooc['n_common_pairs']} common co-occurrence pairs (at least {cooc['effective_min_count']} "
        f"co-occurrences: {cooc['min_count']} per {cooc['per_images']} images, scaled; "
        f"images {cooc['images']}, {cooc['n_images_counted']} images counted)"
    )
    assert gates["spurious_correlation"] == spurious
    assert (cooc["n_images_counted"], cooc["effective_min_count"]) == (50_000, 3)
    assert gates["overlapping_classes"] == f"{cov['n_overlapping_pairs']} overlapping class pairs"
    assert "out-of-vocabulary test was not run" in gates["fine_grained_oov"]


@pytest.mark.slow
def test_every_classified_model_is_listed_with_where_it_came_from(built, page):
    rows = {r[0]: r for r in rows_of_section(page, "Models classified")}
    assert sorted(rows) == sorted([*FULL, "vit_3b.experts"])
    assert rows["mine"][1] == f"import.files: {built / 'predictions' / 'mine.csv'}"
    stats = pd.read_csv(built / "stats" / "all.csv").set_index("model_dir_id")
    assert rows["mine"][2:7] == [
        "not given", "user", "real", str(N_OWN), str(stats.loc["mine", "num_group_samples"])
    ]  # fmt: skip
    assert rows["vit.imagenetx"][2] == "unknown" and rows["resnet50.imagenetx"][2] == "ImageNet-1k"
    assert all(cell for row in rows.values() for cell in row)  # no empty cell
    legend = html.unescape(section_of(page, "Models classified")).split("</table>")[1]
    for value in {r[3] for r in rows.values()}:  # every coverage value shown is defined
        assert f"<li>coverage {value}: " in legend, value
    assert "<li>coverage user: a model from outside the zoo" in legend
    assert (
        "unknown: the source does not say" in legend and "not given: a model from outside the zoo" in legend
    )
    assert 0 < stats.loc["mine", "num_group_samples"] < stats.loc["vit.imagenetx", "num_group_samples"]
    assert rows["resnet50.imagenetx"][1].startswith("import.models: ResNet50 (ImageNet-X)")
    assert rows["vit.imagenetx"][5] == "50000" and rows["vit_3b.experts"][3] == "mistakes"
    assert set(stats.index) == set(rows)  # the own model reaches the stats, and so the summary table


def rows_of_section(page: str, heading: str) -> list[list[str]]:
    body = section_of(page, heading).split("<tbody>")[1]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def independent_per_class(classified: Path) -> pd.DataFrame:
    """Per class: mean over models of the share of evaluated images counted right, model failures,
    and evaluated images per model."""
    ok = ["correct", "overlapping_classes", "multi_label"]
    per_model = []
    for m in FULL:
        e = outputs.read_errors(classified / m / outputs.ERRORS_FILE)
        e = e[~e["problematic"]]
        per_model.append(
            e.assign(ok=e["error_type"].isin(ok), failure=e["error_type"] == "model_failure")
            .groupby("target")
            .agg(share=("ok", "mean"), failures=("failure", "sum"), n=("ok", "size"))
        )
    both = pd.concat(per_model)
    by_class = both.groupby(level=0)
    return pd.DataFrame(
        {
            "mla": 100 * by_class["share"].mean(),
            "failures": by_class["failures"].sum(),
            "images": by_class["n"].mean(),
        }
    )


@pytest.mark.slow
def test_per_class_tables_hold_the_independently_counted_mla_and_failures(built, page):
    everything = independent_per_class(built / "classified")
    assert (everything["images"] < 25).sum() > 5  # small classes exist, and must not be ranked
    expected = everything[everything["images"] >= 25]
    n = report_page.N_CLASSES_SHOWN
    lowest_caption = f"The {n} classes with the lowest MLA (classes with at least 25 images per model)"
    lowest = rows_of(page, lowest_caption)
    most = rows_of(
        page, f"The {n} classes with the most model failures (classes with at least 25 images per model)"
    )
    head = header_of(page, lowest_caption)
    assert head[:4] == ["class", "name", "images per model", "MLA %"] and head[-1] == "model_failure"
    shown = [int(r[0]) for r in lowest]
    assert [r[3] for r in lowest] == [f"{v:.2f}" for v in expected.loc[shown, "mla"]]
    assert [r[2] for r in lowest] == [str(round(v)) for v in expected.loc[shown, "images"]]  # a mean, rounded
    assert expected.loc[shown, "mla"].max() <= expected.drop(index=shown)["mla"].min() + 1e-9  # the n lowest
    assert expected.loc[shown, "mla"].is_monotonic_increasing
    assert everything["mla"].min() < expected.loc[shown, "mla"].min()  # a small class would have led
    want_most = expected.reset_index().sort_values(["failures", "target"], ascending=[False, True]).head(n)
    assert [int(r[0]) for r in most] == want_most["target"].tolist()
    assert [int(r[-1]) for r in most] == want_most["failures"].tolist()
    assert [r[1] for r in most] == [imagenet.display_names()[int(r[0])] for r in most]
    section = html.unescape(section_of(page, "Per class"))
    assert f"({len(expected)} of 1000)" in section


@pytest.mark.slow
def test_per_class_tables_leave_out_the_columns_zero_in_every_row(built, page):
    """fine_grained_oov (the test did not run) is 0 in every class: no column of zeros, and a line
    under the table names each column left out."""
    section = html.unescape(section_of(page, "Per class"))
    n = report_page.N_CLASSES_SHOWN
    for what in ("lowest MLA", "most model failures"):
        caption = f"The {n} classes with the {what} (classes with at least 25 images per model)"
        head, rows = header_of(page, caption), rows_of(page, caption)
        columns = list(zip(*rows, strict=True))
        errors = [h for h in head if h in figures.ERRORS]
        assert "fine_grained_oov" not in head and "model_failure" in head
        assert all(any(v != "0" for v in columns[head.index(e)]) for e in errors), what
        left_out = [e for e in figures.ERRORS if e not in head]
        after = section.split(caption)[1]
        assert (
            f"Not shown, 0 in every class above: {', '.join(left_out)}." in after.split("</table>")[1][:300]
        )


@pytest.mark.slow
def test_confusion_examples_are_that_confusion_in_an_errors_table(built, page):
    tables = {m: outputs.read_errors(built / "classified" / m / outputs.ERRORS_FILE) for m in FULL}
    everything = pd.concat(tables.values())
    checked = 0
    for etype in figures.ERRORS:
        caption = f"{etype}: most frequent confusions"
        if html.escape(caption) not in page:
            assert (everything["error_type"] == etype).sum() == 0, etype
            continue
        head = header_of(page, caption)
        assert head == ["target", "label", "top1", "prediction", "count", "examples"]
        of_type = everything[everything["error_type"] == etype]
        counts = of_type.groupby(["target", "top1"]).size()
        for target, label, top1, prediction, count, examples in rows_of(page, caption):
            assert counts[int(target), int(top1)] == int(count), (etype, target, top1)
            assert (label, prediction) == (
                imagenet.display_names()[int(target)],
                imagenet.display_names()[int(top1)],
            )
            for name in examples.split(", "):
                hit = of_type[(of_type["file_name"] == name)]
                assert ((hit["target"] == int(target)) & (hit["top1"] == int(top1))).any(), (etype, name)
                checked += 1
        assert int(rows_of(page, caption)[0][4]) == counts.max()
    assert checked > 50
    pairs = [r[:4] for r in rows_of(page, "overlapping_classes: most frequent confusions")]
    assert ["638", "maillot (638)", "639", "maillot (639)"] in pairs  # never "maillot → maillot"
    assert "No thumbnails: no ImageNet validation images in" in page


@pytest.mark.slow
def test_thumbnails_of_example_errors_where_images_are_configured(built, tmp_path):
    stats = pd.read_csv(built / "stats" / "all.csv")
    bare = report_page.confusion_section(built / "classified", stats, None)
    text = "".join(bare.blocks)
    assert "No thumbnails: no images folder was given" in text
    firsts = re.findall(r"<td>(ILSVRC2012_val_\d{8}\.JPEG)", text)
    assert firsts
    rng = np.random.default_rng(0)
    for name in firsts[1:]:
        Image.fromarray(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)).save(tmp_path / name, "JPEG")
    (tmp_path / firsts[0]).write_bytes(b"not a JPEG")  # unreadable: left out, the rest still shown
    with_images = "".join(report_page.confusion_section(built / "classified", stats, tmp_path).blocks)
    captions = [
        html.unescape(re.sub(r"<[^>]+>", " ", c))
        for c in re.findall(r"<figcaption>(.*?)</figcaption>", with_images)
    ]
    assert "No thumbnails" not in with_images and captions
    assert not any(firsts[0] in c for c in captions)
    names = imagenet.class_names()
    mf = rows_of("<section>" + with_images, "model_failure: most frequent confusions")
    first_mf = mf[0][5].split(", ")[0]
    target, top1 = int(mf[0][0]), int(mf[0][2])
    assert f"{names[target]} ({target}) → {names[top1]} ({top1})  {first_mf} " in captions
    elsewhere = tmp_path / "elsewhere"  # an image folder without any of the example files
    elsewhere.mkdir()
    Image.fromarray(rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)).save(
        elsewhere / imagenet.val_file_name(49_999)
    )
    none = html.unescape(
        "".join(report_page.confusion_section(built / "classified", stats, elsewhere).blocks)
    )
    assert f"No thumbnails: none of the example files is in {elsewhere} (images.val)." in none
    for block in re.findall(r'<div class="thumbs">(.*?)</div>', with_images):
        assert 0 < block.count('<figure class="thumb">') <= report_page.N_THUMBNAILS
        assert block.count("data:image/jpeg;base64,") == block.count('<figure class="thumb">')


def test_imagenet_m_numbers_or_why_not():
    stats = pd.DataFrame(
        {
            "model_dir_id": ["a", "b"],
            "label_set": ["real", "real"],
            "num_all_imagenet-m_samples": [np.nan, np.nan],
            "num_imagenet-m_errors": [np.nan, np.nan],
        }
    )
    text = "".join(report_page.imagenet_m_section(stats).blocks)
    assert "No ImageNet-M numbers: label set &#x27;real&#x27; does not list the 68 ImageNet-M images" in text
    counts = {"num_all_imagenet-m_samples": [68.0, 60.0], "num_imagenet-m_errors": [9.0, 17.0]}
    m = stats.assign(label_set="multilabel:labels/h.json", **counts)
    page = "".join(report_page.imagenet_m_section(m).blocks)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", page)[1:]]
    assert rows == [["a", "68", "9"], ["b", "60", "17"]]


def test_report_stage_declares_exactly_the_result_params():
    stage = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]["report"]
    assert stage["params"] == list(provenance.RESULT_PARAMS)
    assert set(provenance.result_params(REPO / "params.yaml")) == set(provenance.RESULT_PARAMS)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    for key in provenance.RESULT_PARAMS:  # dvc refuses a declared param that params.yaml lacks
        section, _, name = key.partition(".")
        assert name in params[section], key


@pytest.mark.slow
def test_the_report_is_rebuilt_byte_for_byte(built, page, tmp_path):
    """A report DVC can rebuild exactly is one a clone can pull: no build time or commit in it."""
    report_page.build(report_inputs(built), tmp_path / "out")
    assert (tmp_path / "out" / "index.html").read_text() == page


def test_own_predictions_files_join_the_pipelines_models(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "predictions").mkdir()
    params = {
        "import": {"models": ["resnet50.imagenetx"], "files": ["predictions/mine.csv"]},
        "predict": {"models": []},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    dirs = Path("data/predictions"), Path("data/inference"), Path("predictions")
    untracked = r"predictions/mine.csv: no such file here. .*`git add predictions/mine.csv`"
    with pytest.raises(ErrataError, match=untracked):
        model_files.prediction_files(*dirs)
    (tmp_path / "predictions" / "mine.csv").write_text("file_name,top1\n")
    assert model_files.prediction_files(*dirs) == [
        Path("data/predictions/resnet50.imagenetx.npz"),
        Path("predictions/mine.csv"),
    ]
    params["import"]["files"] = ["elsewhere/mine.csv"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(ErrataError, match="elsewhere/mine.csv is outside predictions/"):
        model_files.prediction_files(*dirs)


def test_model_source_names_the_param_that_brought_the_model():
    def source(summary):
        return report_page.model_source(summary, Path("data/inference"))

    assert source({"model": "x", "predictions": "data/inference/timm/x.npz"}).startswith("predict.models")
    assert source({"model": "x", "predictions": "predictions/x.csv"}) == "import.files: predictions/x.csv"
    zoo_model = {"model": "resnet50.imagenetx", "predictions": "data/predictions/resnet50.imagenetx.npz"}
    assert source(zoo_model) == "import.models: ResNet50 (ImageNet-X) (Idrissi et al. 2022, ImageNet-X)"


def test_figure_caveats_say_what_was_not_run():
    stats = pd.DataFrame({"label_set": ["real"], "oov_test_run": [False]})
    lines, panels = report_page.figure_caveats(stats)
    assert report_page.OOV_NOT_RUN + " (no error is fine_grained_oov)" in lines
    assert set(panels) == {"fine_grained_oov", "non_prototypical"}
    lines, panels = report_page.figure_caveats(stats.assign(oov_test_run=True))
    assert set(panels) == {"non_prototypical"} and not any("FG-OOV" in line for line in lines)


def models(n: int, mla: np.ndarray, seed: int) -> pd.DataFrame:
    """A stats table of `n` models with these MLAs and random error-type counts."""
    rng = np.random.default_rng(seed)
    counts = pd.DataFrame(rng.integers(0, 500, (n, len(COUNT_COLUMNS))), columns=list(COUNT_COLUMNS))
    return counts.assign(
        model_dir_id=[f"m{i}" for i in range(n)],
        training_data="ImageNet-1k",
        num_group_top1_errors=counts.sum(axis=1),
        mla_group=mla,
        mla_all=mla,
        top1_val_acc=mla - 10,
        coverage="all",
    )


def crowded(n: int) -> pd.DataFrame:
    """`n` models in three tight clumps, the case where numbers next to points collide."""
    df = models(n, 80 + 5 * (np.arange(n) % 3) + 0.05 * np.arange(n), seed=5)
    df[list(COUNT_COLUMNS)] = df[list(COUNT_COLUMNS)].iloc[0].to_numpy()  # same portions: one clump a panel
    return df.assign(num_group_top1_errors=df[list(COUNT_COLUMNS)].sum(axis=1))


def test_point_labels_do_not_overlap(drawn):
    published = models(30, np.linspace(60, 95, 30), seed=2)
    figures.top1_vs_mla(crowded(11), published, Path("unused"), ["a caveat"])
    panels = {"fine_grained_oov": "FG-OOV test not run:\n0 by construction"}
    figures.portion_vs_mla(crowded(11), published, "all", Path("unused"), ["c"], panels)
    for fig in drawn:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            labels = [t for t in ax.texts if re.fullmatch(r"\d+(,\d+)*", t.get_text())]
            numbers = sorted(int(n) for t in labels for n in t.get_text().split(","))
            if not labels:
                continue
            assert numbers == list(range(1, 12)), ax.get_title()  # every model numbered once
            boxes = [t.get_window_extent(renderer) for t in labels]
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not a.overlaps(b), (ax.get_title(), a, b)
            radius = figures.MARKER_PT / 2 * fig.dpi / 72 - 1  # our circles, less a pixel of antialiasing
            ours = [c for c in ax.collections if c.get_sizes()[0] == figures.OUR_SIZE]
            for x, y in ax.transData.transform([c.get_offsets()[0] for c in ours]):
                marker = Bbox.from_extents(x - radius, y - radius, x + radius, y + radius)
                assert not any(box.overlaps(marker) for box in boxes), ax.get_title()
    oov = next(ax for ax in drawn[1].axes if ax.get_title() == "fine_grained_oov")
    assert "FG-OOV test not run:\n0 by construction" in [t.get_text() for t in oov.texts]
    assert "a caveat" in [t.get_text() for t in drawn[0].texts]


def test_tables_let_long_headers_wrap_and_scroll_rather_than_overflow():
    table = h.table_html(pd.DataFrame({"spurious_correlation": [1]}))
    assert table.startswith('<div class="scroll">') and "spurious_<wbr>correlation" in table


@pytest.mark.slow
def test_imagenet_m_numbers_under_the_multilabel_set(public_data, tmp_path):
    """End to end from a small multi-label file: 5 ImageNet-M images, 2 predicted right and 3 wrong
    (a class far from the target, never an overlapping pair), so 3 ImageNet-M errors."""
    index = imagenet.validation_index()
    names = [imagenet.val_file_name(i) for i in range(20)]
    targets = [int(index.loc[n, "target"]) for n in names]
    annots = {n: {"correct": [imagenet.wnids()[t]]} for n, t in zip(names, targets, strict=True)}
    labels = tmp_path / "human_accuracy.json"
    labels.write_text(
        json.dumps({"initial_annots": annots, "problematic_images": {}, "imagenet_m": names[:5]})
    )
    wrong = [(t + 500) % imagenet.NUM_CLASSES for t in targets]
    top1 = targets[:2] + wrong[2:5] + targets[5:]
    pd.DataFrame({"file_name": names, "top1": top1}).to_csv(tmp_path / "m.csv", index=False)
    args = ["classify", "--labels", f"multilabel:{labels}", "--predictions", str(tmp_path / "m.csv")]
    assert main([*args, "--out", str(tmp_path / "classified")]) == 0
    stats = summarize.write(tmp_path / "classified", tmp_path / "stats", tmp_path / "metrics")["all"]
    page = "".join(report_page.imagenet_m_section(stats).blocks)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", page)[1:]]
    assert rows == [["m", "5", "3"]]


def test_the_summary_table_shows_each_number_under_its_own_header():
    """Each column of the page's summary table, read back from its HTML: a header over another
    column's numbers (MLA showing MLA minor, say) fails."""
    row = {
        "model_dir_id": "m", "top1_val_acc": 76.13, "mla_all": 87.35, "mla_all_minor_error": 91.61,
        "mla_all_explainable_error": 92.91, "num_group_samples": 42164, "num_group_top1_errors": 6934,
        "num_collapsed_mappings": 219, "num_ambiguous": 1635, "num_same_superclass": 1665,
        "num_OOV_clip": 0, "num_common_co_occ": 513, "num_non_prototypical": 4, "num_not_classified": 2898,
        "coverage": "all",
    }  # fmt: skip
    text = str(report_page.summary_table(pd.DataFrame([row])))
    caption = "Per model, non-problematic images (error-type columns are counts)"
    shown = dict(zip(header_of(text, caption), rows_of(text, caption)[0], strict=True))
    assert shown == {
        "model": "m", "top-1 %": "76.13", "MLA %": "87.35", "MLA minor %": "91.61",
        "MLA explainable %": "92.91", "evaluated": "42164", "top-1 errors": "6934",
        "overlapping_classes": "219", "multi_label": "1635", "fine_grained": "1665", "fine_grained_oov": "0",
        "spurious_correlation": "513", "non_prototypical": "4", "model_failure": "2898",
    }  # fmt: skip


@pytest.mark.slow
def test_agreement_rates_have_readable_headers_each_explained_and_the_zoo_ids(built, page):
    rep = json.loads((built / "agreement" / "agreement.json").read_text())["models"]
    head = header_of(page, "Agreement rates")
    assert head == [
        "model", "pairs reviewed", "pairs compared", "same category", "same category, expert OOV left out",
        "Major called model failure", "model failure rated Major", "counted correct by MLA",
    ]  # fmt: skip
    rows = {r[0]: r[1:] for r in rows_of(page, "Agreement rates")}
    assert list(rows) == ["vit_3b.experts", "greedy_soups.experts"]
    vit = rep["vit_3b.experts"]
    assert rows["vit_3b.experts"] == [
        str(vit["n_annotated"]), str(vit["n_pairs"]),
        *(f"{vit[k]:.3f}" for k in ("category_agreement", "category_agreement_without_expert_oov",
                                     "major_called_model_failure", "model_failure_that_is_major",
                                     "automated_counted_correct")),
    ]  # fmt: skip
    section = html.unescape(section_of(page, "Agreement with the experts"))
    notes = re.findall(r"<li>(.*?)</li>", section)
    assert [n.split(": ")[0] for n in notes] == head[1:]  # one line of explanation per header
    assert "share of the experts' Major errors that the cascade calls model_failure" in section
    assert "vit_3b.experts: expert category x automated" in section
    text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", page)
    assert "vit3b" not in text and "category_agreement" not in text and "major_called" not in text


@pytest.mark.slow
def test_mistakes_only_models_sit_apart_in_the_summary_without_top1_or_mla(page):
    """vit_3b.experts (only its mistakes are public) is in a table of its own, under a caption that
    says why, with no top-1 or MLA column; the models with all their predictions keep theirs."""
    models = {r[0]: r for r in rows_of(page, report_page.SUMMARY_CAPTION)}
    assert set(models) == {"resnet50.imagenetx", "vit.imagenetx", "mine"}
    assert header_of(page, report_page.SUMMARY_CAPTION)[1:3] == ["top-1 %", "MLA %"]
    assert models["resnet50.imagenetx"][1] == "76.13"
    header = header_of(page, report_page.MISTAKES_ONLY_CAPTION)
    (apart,) = rows_of(page, report_page.MISTAKES_ONLY_CAPTION)
    shown = dict(zip(header, apart, strict=True))
    assert not {"top-1 %", "MLA %", "MLA minor %", "MLA explainable %"} & set(header)
    assert shown["model"] == "vit_3b.experts" and shown["evaluated"] == shown["top-1 errors"] != "0"
    assert "0.00" not in apart
