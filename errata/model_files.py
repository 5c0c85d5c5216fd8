"""Where the pipeline keeps each model's predictions: imported zoo models in data/predictions,
models run by the `predict` stage in data/inference, and a user's own predictions files listed in
`import.files`, which must sit in predictions/ (a declared dependency, so `dvc status` sees edits)."""

from __future__ import annotations

from pathlib import Path

from errata import modelspec, params
from errata.errors import ErrataError

PREDICTIONS_DIR = Path("data/predictions")
INFERENCE_DIR = Path("data/inference")
OWN_DIR = Path("predictions")


def own_files(listed: list[str] | None, own_dir: Path = OWN_DIR) -> list[Path]:
    """`import.files`, each checked to be inside `own_dir`."""
    files = [Path(f) for f in listed or []]
    inside = Path(own_dir).resolve()
    for f in files:
        if not f.resolve().is_relative_to(inside):
            raise ErrataError(
                f"import.files: {f} is outside {own_dir}/: the pipeline tracks predictions files only "
                f"there. Copy it in and list it as {Path(own_dir) / f.name}"
            )
    return files


def prediction_files(params_file: Path = Path("params.yaml")) -> list[Path]:
    """Imported zoo models (`import.models`), models run by `predict` (`predict.models`), then the
    user's own files (`import.files`)."""
    imported = params.load("import", params_file)
    files = [PREDICTIONS_DIR / f"{m}.npz" for m in imported["models"]]
    predicted = params.load("predict", params_file)["models"]
    files += [INFERENCE_DIR / modelspec.parse(m).file_name for m in predicted]
    return files + own_files(imported.get("files"))
