"""The `report` stage: figures (ours over the published 962 models), expert agreement, per-class
results, the most frequent confusions with example files (and thumbnails where images are
configured), ImageNet-M, and the provenance of it all, in one self-contained HTML page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from errata import experts, imagefolder, imagenet, zoo
from errata.errors import ErrataError
from errata.outputs import ERRORS_FILE
from errata.papers import published
from errata.report import figures, provenance, thumbnails
from errata.report import html as h
from errata.results import confusions, per_class, summarize

N_CLASSES_SHOWN = 15
N_THUMBNAILS = 6
OOV_NOT_RUN = "FG-OOV test not run: 0 by construction"
NON_PROTOTYPICAL = (
    "non_prototypical: a lookup of the experts' 36 images, not a detector (near 0 by construction)"
)

SUMMARY_COLUMNS = {
    "model_dir_id": "model",
    "top1_val_acc": "top-1 %",
    "mla_all": "MLA %",
    "mla_all_minor_error": "MLA minor %",
    "mla_all_explainable_error": "MLA explainable %",
    "num_group_samples": "evaluated",
    "num_group_top1_errors": "top-1 errors",
    **summarize.COUNT_COLUMNS,
}
# Every coverage value a stats row can hold (zoo.yaml's, and summarize's for models outside the zoo)
COVERAGE = {
    "all": "predictions for all 50,000 validation images",
    zoo.MISTAKES_ONLY: "only the images the model got wrong are public (the experts' files): its "
    "accuracies are not meaningful",
    "user": "a model from outside the zoo (your predictions file, or a model run on your images): it "
    "covers the images it predicted",
}
UNKNOWN = "unknown"
NOT_GIVEN = "not given"
# agreement.json's rates per model -> (the header shown, what it is); shares are of the pairs compared
AGREEMENT_RATES = {
    "n_annotated": ("pairs reviewed", "the (file, prediction) pairs the experts reviewed"),
    "n_pairs": (
        "pairs compared",
        "those whose image is evaluated and not problematic under the label set; every share is of these",
    ),
    "category_agreement": ("same category", "share of pairs whose error type is the experts' category"),
    "category_agreement_without_expert_oov": (
        "same category, expert OOV left out",
        "the same share over the pairs the experts did not call fine-grained OOV (the FG-OOV test may "
        "not have run)",
    ),
    "major_called_model_failure": (
        "Major called model failure",
        "share of the experts' Major errors that the cascade calls model_failure",
    ),
    "model_failure_that_is_major": (
        "model failure rated Major",
        "share of the cascade's model_failure verdicts that the experts rated Major",
    ),
    "automated_counted_correct": (
        "counted correct by MLA",
        "share of pairs whose error type MLA counts correct (overlapping_classes, multi_label)",
    ),
}
IMAGENET_M_COLUMNS = {
    "model_dir_id": "model",
    "num_all_imagenet-m_samples": "ImageNet-M images evaluated",
    "num_imagenet-m_errors": "ImageNet-M errors (MLA counts wrong)",
}


def label_set_note(stats: pd.DataFrame) -> str:
    ours = ", ".join(sorted(set(stats["label_set"])))
    return f"ours: label set '{ours}'; published (grey): {published.LABEL_SET_SHORT}; not directly comparable"


def figure_caveats(stats: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """What every figure must say about itself (lines under it), and per error-type panel."""
    lines = [label_set_note(stats)]
    panels = {
        "non_prototypical": "a lookup of the experts' 36 images,\nnot a detector: near 0 by construction"
    }
    if not stats["oov_test_run"].any():
        lines.append(OOV_NOT_RUN + " (no error is fine_grained_oov)")
        panels["fine_grained_oov"] = OOV_NOT_RUN.replace(": ", ":\n")
    lines.append(NON_PROTOTYPICAL)
    return lines, panels


def make_figures(stats: dict[str, pd.DataFrame], agreement_dir: Path, out: Path) -> dict[str, Path]:
    """Every figure as PNG + SVG under `out`; returns the PNG of each by a short key."""
    lines, panels = figure_caveats(stats["all"])
    pngs: dict[str, Path] = {}
    pngs["top1_vs_mla"] = figures.top1_vs_mla(
        stats["all"], published.stats("all"), out / "top1_vs_mla", lines[:1]
    )[0]
    pngs["stacked_bars"] = figures.stacked_bars(stats["all"], out / "error_types_per_model", lines[1:])[0]
    for table in summarize.TABLES:
        pngs[f"portion_{table}"] = figures.portion_vs_mla(
            stats[table], published.stats(table), table, out / f"portion_vs_mla_{table}", lines, panels
        )[0]
    label_set = json.loads((Path(agreement_dir) / "agreement.json").read_text())["label_set"]
    note = [
        f"pairs whose image is not problematic under label set '{label_set}'; "
        "the experts had no model-failure category (their severe errors are Major)"
    ]
    for model in experts.MODELS:
        for kind in ("category", "severity"):
            stem = f"{experts.file_stem(model)}_{kind}"
            title = f"{model}: expert {kind} x automated error type"
            pngs[f"{model}_{kind}"] = figures.agreement_heatmap(
                pd.read_csv(Path(agreement_dir) / f"{stem}.csv", index_col=0),
                title,
                out / f"agreement_{stem}",
                note,
            )[0]
    return pngs


MISTAKES_ONLY_COLUMNS = {
    k: v for k, v in SUMMARY_COLUMNS.items() if k not in ("top1_val_acc", *summarize.MLA_COLUMNS)
}
SUMMARY_CAPTION = "Per model, non-problematic images (error-type columns are counts)"
MISTAKES_ONLY_CAPTION = (
    "Mistakes-only models, apart: only the images they got wrong are public, so they have no top-1 "
    "or MLA; the error types of their mistakes (counts)"
)


def summary_table(stats: pd.DataFrame) -> h.Html:
    """The models, and apart from them those whose public predictions are only their mistakes."""
    apart = _mistakes_only(stats)
    tables = [
        (~apart, SUMMARY_COLUMNS, SUMMARY_CAPTION),
        (apart, MISTAKES_ONLY_COLUMNS, MISTAKES_ONLY_CAPTION),
    ]
    return h.Html(
        "".join(
            h.table_html(
                stats.loc[rows, list(columns)].rename(columns=columns).reset_index(drop=True), caption
            )
            for rows, columns, caption in tables
            if rows.any()
        )
    )


def model_source(summary: dict[str, Any], inference_dir: Path | None) -> str:
    """Where a classified model's predictions came from, in the params' words."""
    path = Path(summary["predictions"])
    if inference_dir is not None and path.is_relative_to(inference_dir):
        return "predict.models (run on images.val)"
    if summary["model"] in zoo.models():
        meta = zoo.models()[summary["model"]]
        return f"import.models: {meta['name']} ({meta['reference']})"
    return f"import.files: {path}"


def models_section(
    summaries: list[dict[str, Any]], stats: pd.DataFrame, inference_dir: Path | None
) -> h.Section:
    """One row per classified model: where it came from (the summaries) and its stats row's metadata."""
    counts = pd.DataFrame(
        {
            "model": [s["model"] for s in summaries],
            "predictions from": [model_source(s, inference_dir) for s in summaries],
            "images predicted": [s["n_predicted"] for s in summaries],
            "evaluated (non-problematic)": [s["n_evaluated"] for s in summaries],
            "outside the evaluation set": [s["n_outside_evaluation_set"] for s in summaries],
            "unreadable, skipped": [s["n_skipped_unreadable"] for s in summaries],
        }
    )
    meta = stats[["model_dir_id", "training_data", "coverage", "label_set", "oov_gate"]].rename(
        columns={
            "model_dir_id": "model",
            "training_data": "pre-training data",
            "label_set": "label set",
            "oov_gate": "FG-OOV gate",
        }
    )
    rows = counts.merge(meta, on="model", how="left")
    from_zoo = rows["model"].isin(list(zoo.models()))
    rows["pre-training data"] = rows["pre-training data"].fillna(
        pd.Series(np.where(from_zoo, UNKNOWN, NOT_GIVEN), index=rows.index)
    )
    first = ["model", "predictions from", "pre-training data", "coverage", "label set"]
    rows = rows[[*first, *counts.columns[2:], "FG-OOV gate"]]
    undefined = set(rows["coverage"]) - set(COVERAGE)
    if undefined:
        raise ErrataError(f"coverage {sorted(undefined)} has no meaning in the report's legend (COVERAGE)")
    legend = [
        f"pre-training data: what the model learnt from (errata/data/zoo.yaml); {UNKNOWN}: the source "
        f"does not say (left empty rather than guessed); {NOT_GIVEN}: a model from outside the zoo "
        "carries no metadata.",
        *(
            f"coverage {value}: {meaning}."
            for value, meaning in COVERAGE.items()
            if value in set(rows["coverage"])
        ),
    ]
    return h.Section(
        "Models classified",
        [
            h.paragraph(
                f"Every model the pipeline classified ({len(summaries)}): the public zoo "
                "(import.models), models run on your images (predict.models) and your own predictions "
                "files (import.files, in predictions/)."
            ),
            h.table_html(rows),
            h.note_list(legend),
        ],
    )


def provenance_section(summaries: list[dict[str, Any]], inputs: Inputs) -> h.Section:
    params_path = inputs.params
    info = provenance.describe(params_path)
    prints = _fingerprints(inputs)
    facts = {
        "errata version": (info["errata version"], "the version of the errata package that built this page"),
        "label set": (
            ", ".join(sorted({s["label_set"] for s in summaries})),
            "the labels the models' errors were judged against (labels.set)",
        ),
        "inputs sha256": (
            provenance.combined(prints)[: provenance.HASH_CHARS],
            "one hash over every input's hash below: the same value means the same inputs, and so "
            "the same page byte for byte",
        ),
    }
    blocks = [
        h.table_html(
            pd.DataFrame(facts, index=["value", "what it is"]).T.rename_axis("what"),
            caption="This page",
        ),
        h.table_html(
            pd.DataFrame(
                {
                    "input": list(prints),
                    "path": [str(getattr(inputs, k)) for k in prints],
                    "files": [f.files for f in prints.values()],
                    "bytes": [f.size for f in prints.values()],
                    "sha256": [f.sha256[: provenance.HASH_CHARS] for f in prints.values()],
                }
            ),
            caption="The inputs, as read",
        ),
        h.paragraph(
            f"sha256: the first {provenance.HASH_CHARS} hex digits of the SHA-256 of the input file (as "
            "sha256sum prints it; of a folder: over every file under it, by relative name, length and "
            "content, in sorted order); files "
            "and bytes: what was read. No commit or date is written into the page, so that it rebuilds "
            "byte for byte from the same inputs; the commit is the one whose dvc.lock records these "
            "inputs (git log -1 -- dvc.lock, with dvc status clean)."
        ),
    ]
    if info["params"] is not None:
        shown = {k: _param_text(v) for k, v in info["params"].items()}
        blocks.append(
            h.table_html(
                pd.DataFrame({"value": shown}).rename_axis("parameter"),
                caption=f"{params_path}: every parameter that changes a result",
            )
        )
    else:
        blocks.append(h.paragraph("Built outside the pipeline: no params.yaml was given."))
    blocks.append(h.table_html(_gates(summaries, inputs), caption="The cascade's tests, as run"))
    return h.Section("Provenance: what was run, with what", blocks)


def _fingerprints(inputs: Inputs) -> dict[str, provenance.Fingerprint]:
    """Every input file the report read, by its Inputs field (images.val, for thumbnails only, aside)."""
    fields = ("stats", "classified", "agreement", "params", "coverage", "cooccurrence", "oov")
    paths = {f: getattr(inputs, f) for f in fields}
    return {f: provenance.fingerprint(p) for f, p in paths.items() if p is not None and Path(p).exists()}


def _param_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "(none)"
    return str(value)


def _read_json(path: Path | None) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path is not None and path.exists() else None


def _gates(summaries: list[dict[str, Any]], inputs: Inputs) -> pd.DataFrame:
    """Each cascade test with what it ran on, from the reports of the stages that built them."""
    first = summaries[0]
    coverage = _read_json(inputs.coverage) or {}
    cooc = _read_json(inputs.cooccurrence)
    oov = _read_json(inputs.oov)
    oov_notes = sorted({s["notes"][0] for s in summaries})
    if oov and not oov.get("run", True):
        oov_notes.append(f"why: {oov['reason']}")
    rows = {
        "overlapping_classes": f"{coverage.get('n_overlapping_pairs', '?')} overlapping class pairs",
        "multi_label": f"label set {first['label_set']}",
        "fine_grained": (
            f"{coverage.get('n_definitions', '?')} superclasses, "
            f"{coverage.get('n_pairs_sharing', '?')} class pairs sharing one"
        ),
        "fine_grained_oov": "; ".join(oov_notes),
        "spurious_correlation": (
            f"{cooc['n_common_pairs']} common co-occurrence pairs (at least {cooc['effective_min_count']} "
            f"co-occurrences: {cooc['min_count']} per {cooc['per_images']} images, scaled; images "
            f"{cooc['images']}, {cooc['n_images_counted']} images counted)"
            if cooc
            else "co-occurrence pairs: not recorded"
        ),
        "non_prototypical": f"lookup of {coverage.get('n_non_prototypical_files', '?')} expert images",
    }
    return pd.DataFrame({"test": list(rows), "as run": list(rows.values())})


def _agreement_section(agreement_dir: Path, pngs: dict[str, Path]) -> h.Section:
    report = json.loads((Path(agreement_dir) / "agreement.json").read_text())
    rates = pd.DataFrame.from_dict(report["models"], orient="index")  # keeps the counts integers
    rates = rates[list(AGREEMENT_RATES)].rename(columns={k: v for k, (v, _) in AGREEMENT_RATES.items()})
    blocks = [
        h.paragraph(
            f"The cascade run on exactly the (file, prediction) pairs the experts of Vasudevan et al. "
            f"reviewed, with label set {report['label_set']}; {report['note']}. The experts had no "
            f"'model failure' category: their severe errors are the Major ones."
        ),
        h.table_html(rates.rename_axis("model"), caption="Agreement rates", float_format="{:.3f}"),
        h.note_list([f"{header}: {why}." for header, why in AGREEMENT_RATES.values()]),
    ]
    for model in report["models"]:
        for kind in ("category", "severity"):
            table = pd.read_csv(Path(agreement_dir) / f"{experts.file_stem(model)}_{kind}.csv", index_col=0)
            blocks.append(
                h.table_html(table, caption=f"{model}: expert {kind} x automated", float_format="{:.0f}")
            )
            blocks.append(h.image_html(pngs[f"{model}_{kind}"], f"{model} {kind} agreement heatmap"))
    return h.Section("Agreement with the experts", blocks)


def _mistakes_only(stats: pd.DataFrame) -> pd.Series:
    """The stats rows of models whose public predictions are only their mistakes."""
    return stats["coverage"] == zoo.MISTAKES_ONLY


def _not_mistakes_only(stats: pd.DataFrame) -> list[str]:
    """Every model but the mistakes-only ones (whose errors are not a sample of their predictions)."""
    return stats.loc[~_mistakes_only(stats), "model_dir_id"].tolist()


def per_class_section(classified: Path, stats: pd.DataFrame) -> h.Section:
    full = _not_mistakes_only(stats)
    table = per_class.across_models(Path(classified) / m / ERRORS_FILE for m in full)
    columns = {"class": "class", "name": "name", "images": "images per model", "mla": "MLA %"}
    columns |= {t: t for t in figures.ERRORS}
    shown = {
        "lowest MLA": per_class.worst(table, "mla", N_CLASSES_SHOWN),
        "most model failures": per_class.worst(table, "model_failure", N_CLASSES_SHOWN, ascending=False),
    }
    n_ranked = len(per_class.ranked(table))
    blocks = [
        h.paragraph(
            "MLA per class is the share of the class's evaluated images that MLA counts right, averaged "
            f"over the {len(full)} models that are not mistakes-only ({', '.join(full)}); error-type "
            "columns are counts summed over those models. Only classes with at least "
            f"{per_class.MIN_IMAGES} evaluated images per model are ranked ({n_ranked} of {len(table)}): "
            "in a smaller class one image moves the share by several points."
        )
    ]
    for what, df in shown.items():
        zero = [t for t in figures.ERRORS if not df[t].any()]
        df = df[[c for c in columns if c not in zero]].rename(columns=columns)
        df = df.assign(**{"images per model": df["images per model"].round().astype(int)})  # a mean
        caption = (
            f"The {N_CLASSES_SHOWN} classes with the {what} "
            f"(classes with at least {per_class.MIN_IMAGES} images per model)"
        )
        blocks.append(h.table_html(df, caption=caption))
        if zero:
            blocks.append(h.paragraph(f"Not shown, 0 in every class above: {', '.join(zero)}."))
    return h.Section("Per class", blocks)


def confusion_section(classified: Path, stats: pd.DataFrame, images: Path | None) -> h.Section:
    full = _not_mistakes_only(stats)
    paths = [Path(classified) / m / ERRORS_FILE for m in full]
    counts = confusions.count(paths)
    tops = {e: confusions.top_confusions(counts, e) for e in figures.ERRORS}
    tops = confusions.with_examples({e: t for e, t in tops.items() if not t.empty}, paths)
    found, why_not = _images(images, [f for t in tops.values() for f in _first_examples(t)])
    blocks = [
        h.paragraph(
            f"Summed over the models that are not mistakes-only: {', '.join(full)}. Examples are validation "
            "files in which one of them made that confusion."
        ),
    ]
    if why_not:
        blocks.append(h.paragraph(f"No thumbnails: {why_not}."))
    names = imagenet.class_names()
    for etype, table in tops.items():
        blocks.append(
            h.table_html(table, caption=f"{etype}: most frequent confusions", float_format="{:.0f}")
        )
        thumbs = [
            (jpeg, f"{names[r.target]} ({r.target}) → {names[r.top1]} ({r.top1})", f)
            for r, f in zip(table.itertuples(), _first_examples(table), strict=True)
            if f in found and (jpeg := thumbnails.thumbnail(found[f])) is not None
        ][:N_THUMBNAILS]
        if thumbs:
            blocks.append(h.thumbnails_html(thumbs))
    return h.Section("Most frequent confusions per error type, with examples", blocks)


def _first_examples(table: pd.DataFrame) -> list[str]:
    return [e.split(", ")[0] for e in table["examples"]]


def _images(images: Path | None, files: list[str]) -> tuple[dict[str, Path], str | None]:
    """The example files found under `images` (images.val), or why there are none."""
    if images is None:
        return {}, "no images folder was given (images.val)"
    reason = imagefolder.absent(images)
    if reason:
        return {}, f"{reason}; set images.val to an ImageNet validation folder to see the example errors"
    found = thumbnails.find(images, files)
    return found, None if found else f"none of the example files is in {images} (images.val)"


def imagenet_m_section(stats: pd.DataFrame) -> h.Section:
    has_m = stats["num_all_imagenet-m_samples"].notna()
    if not has_m.any():
        sets = ", ".join(sorted(set(stats["label_set"])))
        return h.Section(
            "ImageNet-M",
            [
                h.paragraph(
                    f"No ImageNet-M numbers: label set '{sets}' does not list the 68 ImageNet-M images "
                    "(Vasudevan et al. 2022); only the multi-label set does (labels.set: "
                    "multilabel:labels/human_accuracy_v3.0.0.json)."
                )
            ],
        )
    df = stats.loc[has_m, list(IMAGENET_M_COLUMNS)].rename(columns=IMAGENET_M_COLUMNS)
    df = df.astype({c: int for c in list(IMAGENET_M_COLUMNS.values())[1:]})
    return h.Section(
        "ImageNet-M",
        [
            h.paragraph(
                "ImageNet-M: the 68 validation images of Vasudevan et al. 2022 that strong models still "
                "get wrong; an error here is an evaluated ImageNet-M image whose verdict MLA counts wrong."
            ),
            h.table_html(df),
        ],
    )


def not_run(stats: pd.DataFrame) -> list[str]:
    notes = []
    if not stats["oov_test_run"].any():
        notes.append(
            "The CLIP fine-grained out-of-vocabulary test was not run (it needs ImageNet images and CLIP "
            "weights): no error is classified fine_grained_oov, and those errors fall to later categories."
        )
    else:
        gates = stats.groupby("oov_gate")["model_dir_id"].apply(list).to_dict()
        notes.append(
            "The CLIP fine-grained out-of-vocabulary test ran with gate "
            + "; ".join(f"{g} for {', '.join(ms)}" for g, ms in gates.items())
            + (": FG-OOV counts under different gates are not comparable." if len(gates) > 1 else ".")
        )
    notes.append(
        "non_prototypical is a lookup of the 36 images the experts labelled non-prototypical, not a "
        "detector: it is close to zero for every model by construction."
    )
    mistakes = stats.loc[_mistakes_only(stats), "model_dir_id"].tolist()
    if mistakes:
        notes.append(
            f"{', '.join(mistakes)}: only the mistaken images are public, so they have no top-1 or MLA "
            "(the Summary shows them apart, with the error types of their mistakes); they are left "
            "out of the figures, the per-class tables and the confusions, and used for the agreement "
            "with the experts."
        )
    notes.append(label_set_note(stats) + ".")
    return notes


@dataclass(frozen=True)
class Inputs:
    """What the report reads: the pipeline's outputs, each by its path (dvc.yaml declares them)."""

    stats: Path
    classified: Path
    agreement: Path
    params: Path | None = None  # the provenance and images.val (thumbnails)
    coverage: Path | None = None  # the taxonomy's coverage.json
    cooccurrence: Path | None = None  # the co-occurrence report (cooccurrence.json)
    oov: Path | None = None  # the FG-OOV report (oov.json): why the test did (not) run
    inference: Path | None = None  # where predict writes: models found there were run on images.val


def build(inputs: Inputs, out_dir: Path) -> dict[str, Any]:
    """Write figures under OUT/figures and OUT/index.html."""
    stats_dir, classified, agreement_dir = inputs.stats, inputs.classified, inputs.agreement
    params_path = inputs.params
    stats = summarize.read_stats(stats_dir)
    summaries = summarize.read_summaries(classified)
    images = provenance.result_params(params_path)["images.val"] if params_path else None
    pngs = make_figures(stats, agreement_dir, Path(out_dir) / "figures")
    figure_blocks = [h.image_html(pngs["top1_vs_mla"], "top-1 vs multi-label accuracy")]
    figure_blocks.append(h.image_html(pngs["stacked_bars"], "error types per model"))
    figure_blocks += [
        h.image_html(pngs[f"portion_{t}"], f"portion of each error type, {t}") for t in summarize.TABLES
    ]
    sections = [
        h.Section("Summary", [summary_table(stats["all"])]),
        h.Section("What was not run, and caveats", [h.note_list(not_run(stats["all"]))]),
        provenance_section(summaries, inputs),
        models_section(summaries, stats["all"], inputs.inference),
        h.Section("Figures", figure_blocks),
        per_class_section(classified, stats["all"]),
        confusion_section(classified, stats["all"], Path(images) if images else None),
        imagenet_m_section(stats["all"]),
        _agreement_section(agreement_dir, pngs),
    ]
    page = h.build_html("errata: the remaining errors of ImageNet classifiers", sections)
    urls = h.find_external_urls(page)
    if urls:
        raise ErrataError(f"the report would load external URLs: {urls[:3]}")
    h.write(Path(out_dir) / "index.html", page)
    return {"figures": len(pngs), "bytes": len(page)}
