"""The public model zoo (errata/data/zoo.yaml) and the importers that turn each model's public
files into the project's predictions format."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from errata import experts, predictions, sources
from errata.atomic import staged_dir
from errata.errors import ErrataError
from errata.packaged import data_file


@cache
def models() -> dict[str, dict[str, Any]]:
    import yaml

    return yaml.safe_load(data_file("zoo.yaml").read_text())["models"]


MISTAKES_ONLY = "mistakes"  # a zoo model's coverage when only its mistaken images are public
MISTAKES_ONLY_NOTE = (
    "mistakes only: only the images this model got wrong are public, so its top-1 accuracy and MLA "
    "cannot be measured (over its mistakes alone top-1 reads 0 and MLA far below the model's); the "
    "error types of its mistakes can"
)


def mistakes_only(model_id: str) -> bool:
    """Whether a model's public predictions are its mistakes alone (zoo.yaml `coverage`)."""
    return models().get(model_id, {}).get("coverage") == MISTAKES_ONLY


def model(model_id: str) -> dict[str, Any]:
    try:
        return models()[model_id]
    except KeyError:
        raise ErrataError(f"unknown zoo model {model_id!r}; known: {', '.join(models())}") from None


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


IMPORTERS: dict[str, Callable[[dict[str, str]], predictions.Predictions]] = {
    "imagenetx_csv": _imagenetx_csv,
    "cleanlab_npy": _cleanlab_npy,
    "expert_mistakes": _expert_mistakes,
}


def load_predictions(model_id: str) -> predictions.Predictions:
    meta = model(model_id)
    preds = IMPORTERS[meta["format"]](meta["sources"])
    predictions.check(preds, f"zoo model {model_id}")
    return preds


def import_models(model_ids: list[str], out: Path) -> list[Path]:
    """Write OUT/<model>.npz for each zoo model; all of them appear in `out` together, or none."""
    for m in model_ids:
        model(m)  # every id known before any work
    with staged_dir(out) as stage:
        for m in model_ids:
            predictions.write(load_predictions(m), stage / f"{m}.npz")
    return [Path(out) / f"{m}.npz" for m in model_ids]
