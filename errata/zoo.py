"""The public model zoo (errata/data/zoo.yaml) and the importers that turn each model's public
files into the project's predictions format."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from errata import experts, lookup, predictions, sources
from errata.atomic import staged_dir
from errata.errors import ErrataError
from errata.packaged import data_file

ENTRY_KEYS = (
    "name",
    "arch",
    "arch_family",
    "training_data",
    "num_params",
    "format",
    "sources",
    "coverage",
    "reference",
)
REQUIRED_KEYS = ("name", "format", "sources", "coverage")
MISTAKES_ONLY = "mistakes"  # a zoo model's coverage when only its mistaken images are public
COVERAGE = ("all", MISTAKES_ONLY)


@cache
def models() -> dict[str, dict[str, Any]]:
    return load(data_file("zoo.yaml"))


def load(path: Path) -> dict[str, dict[str, Any]]:
    """A zoo file's models, each entry checked: known keys, a known format, and sources that name
    entries of the sources registry (or the experts' models), so a typo stops here with the entry,
    its line and close matches instead of failing later or importing nothing."""
    import yaml

    raw = yaml.safe_load(Path(path).read_text())
    lookup.check_keys(raw, ["models"], str(path), required=["models"])
    lookup.nonempty(raw["models"], "models", f"{path}: models")
    lines = lookup.yaml_lines(path, "models")
    for model_id, entry in raw["models"].items():
        where = f"{lookup.at(path, lines, str(model_id))}: zoo model {model_id!r}"
        lookup.check_keys(entry, ENTRY_KEYS, where, required=REQUIRED_KEYS)
        lookup.check_name("format", entry["format"], FORMATS, where)
        lookup.check_name("coverage", entry["coverage"], COVERAGE, where)
        wanted = FORMATS[entry["format"]].sources
        lookup.check_keys(entry["sources"], wanted, f"{where}: sources", required=wanted, what="source key")
        for key, name in entry["sources"].items():
            lookup.check_name(f"{key} name", name, wanted[key](), f"{where}: sources")
    return raw["models"]


MISTAKES_ONLY_NOTE = (
    "mistakes only: only the images this model got wrong are public, so its top-1 accuracy and MLA "
    "cannot be measured (over its mistakes alone top-1 reads 0 and MLA far below the model's); the "
    "error types of its mistakes can"
)


def mistakes_only(model_id: str) -> bool:
    """Whether a model's public predictions are its mistakes alone (zoo.yaml `coverage`)."""
    return models().get(model_id, {}).get("coverage") == MISTAKES_ONLY


def model(model_id: str, where: str = "") -> dict[str, Any]:
    lookup.check_name("zoo model", model_id, models(), where)
    return models()[model_id]


def _imagenetx_csv(srcs: dict[str, str]) -> predictions.Predictions:
    return predictions.read(sources.fetch(srcs["predictions"]))


def _cleanlab_npy(srcs: dict[str, str]) -> predictions.Predictions:
    """cleanlab orders images by class folder; its index-to-filepath file gives each row's file."""
    top1 = np.load(sources.fetch(srcs["predictions"]), allow_pickle=False)
    paths = json.loads(sources.fetch(srcs["index"]).read_text())
    if len(paths) != len(top1):
        raise ErrataError(f"cleanlab: {len(top1)} predictions but {len(paths)} file paths")
    names = np.array([Path(p).name for p in paths])
    return predictions.Predictions(names, top1.astype(np.int64)[:, None])


def _expert_mistakes(srcs: dict[str, str]) -> predictions.Predictions:
    df = experts.annotations(srcs["experts"])
    return predictions.Predictions(df["file_name"].to_numpy(str), df["top1"].to_numpy(np.int64)[:, None])


@dataclass(frozen=True)
class Format:
    """How a model's public files become predictions: the reader, and each key its `sources:` entry
    must have with the names that key may take."""

    read: Callable[[dict[str, str]], predictions.Predictions]
    sources: dict[str, Callable[[], Iterable[str]]]


FORMATS = {
    "imagenetx_csv": Format(_imagenetx_csv, {"predictions": sources.registry}),
    "cleanlab_npy": Format(_cleanlab_npy, {"predictions": sources.registry, "index": sources.registry}),
    "expert_mistakes": Format(_expert_mistakes, {"experts": lambda: experts.MODELS}),
}


def load_predictions(model_id: str) -> predictions.Predictions:
    meta = model(model_id)
    preds = FORMATS[meta["format"]].read(meta["sources"])
    predictions.check(preds, f"zoo model {model_id}")
    return preds


def import_models(model_ids: list[str], out: Path, where: str = "") -> list[Path]:
    """Write OUT/<model>.npz for each zoo model; all of them appear in `out` together, or none.
    `where` names the list for errors (such as params.yaml's import.models)."""
    for m in model_ids:
        model(m, where)  # every id known before any work
    with staged_dir(out) as stage:
        for m in model_ids:
            predictions.write(load_predictions(m), stage / f"{m}.npz")
    return [Path(out) / f"{m}.npz" for m in model_ids]
