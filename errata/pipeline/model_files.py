"""The predictions files the pipeline classifies: imported zoo models, models run by the `predict`
stage, and a user's own files listed in `import.files`, which must sit in the own-predictions
directory (a declared dependency, so `dvc status` sees edits)."""

from __future__ import annotations

from pathlib import Path

from errata import lookup, modelspec
from errata.errors import ErrataError
from errata.pipeline import params


def own_files(listed: list[str] | None, own_dir: Path) -> list[Path]:
    """`import.files`, each checked to be inside `own_dir`."""
    files = [Path(f) for f in listed or []]
    inside = Path(own_dir).resolve()
    for f in files:
        if not f.resolve().is_relative_to(inside):
            raise ErrataError(
                f"import.files: {f} is outside {own_dir}/: the pipeline tracks predictions files only "
                f"there. Copy it in and list it as {Path(own_dir) / f.name}"
            )
        if not f.exists():
            there = [str(p) for p in Path(own_dir).glob("*")]
            close = lookup.close_matches(str(f), there)
            raise ErrataError(
                f"import.files: {f}: no such file here{'; close: ' + ', '.join(close) if close else ''}. "
                f"If it is in your checkout, `git add {f}`: "
                f"`dvc exp run` runs in a copy that holds only the files git knows"
            )
    return files


def prediction_files(
    predictions_dir: Path, inference_dir: Path, own_dir: Path, params_file: Path = Path("params.yaml")
) -> list[Path]:
    """Imported zoo models (`import.models`), models run by `predict` (`predict.models`), then the
    user's own files (`import.files`)."""
    imported = params.load("import", params_file)
    files = [predictions_dir / f"{m}.npz" for m in imported["models"]]
    predicted = params.load("predict", params_file)["models"]
    files += [inference_dir / modelspec.parse(m).file_name for m in predicted]
    files += own_files(imported.get("files"), own_dir)
    lookup.nonempty(
        files, "models to classify (import.models, predict.models, import.files)", str(params_file)
    )
    return files
