"""Where the pipeline keeps each model's predictions: imported zoo models in data/predictions,
models run by the `predict` stage in data/inference."""

from __future__ import annotations

from pathlib import Path

from errata import modelspec, params

PREDICTIONS_DIR = Path("data/predictions")
INFERENCE_DIR = Path("data/inference")


def prediction_files(params_file: Path = Path("params.yaml")) -> list[Path]:
    """Imported zoo models (`import.models`), then models run by `predict` (`predict.models`)."""
    files = [PREDICTIONS_DIR / f"{m}.npz" for m in params.load("import", params_file)["models"]]
    predicted = params.load("predict", params_file)["models"]
    return files + [INFERENCE_DIR / modelspec.parse(m).file_name for m in predicted]
