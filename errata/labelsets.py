"""Label sets -> the evaluation set: for every evaluated image its target, label set and flags.

Specs (CLI `--labels`, param `labels.set`):
  real             ReaL labels shipped in timm, original labels from the pinned validation index
  multilabel:PATH  the `human_accuracy_v3.0.0.json` file of Shankar et al. / Vasudevan et al.
  custom:PATH      CSV `file_name,target,labels[,problematic]`, labels space-separated indices
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from errata import imagenet
from errata.atomic import write_json, write_with
from errata.errors import ErrataError

COLUMNS = ["file_name", "target", "labels", "problematic", "in_imagenet_m"]
VAL_PREFIX = "ILSVRC2012_val_"


def build(spec: str) -> pd.DataFrame:
    """The evaluation set for a label-set spec, validated."""
    kind, _, arg = spec.partition(":")
    if kind == "real" and not arg:
        return from_real()
    if kind == "multilabel" and arg:
        return from_multilabel(Path(arg))
    if kind == "custom" and arg:
        return from_custom(Path(arg))
    raise ErrataError(f"unknown label set {spec!r}; use 'real', 'multilabel:PATH' or 'custom:PATH'")


def _frame(
    file_names: list[str],
    targets: Iterable[int],
    labels: list[list[int]],
    problematic: Iterable[bool],
    imagenet_m: Iterable[bool] | None = None,
) -> pd.DataFrame:
    n = len(file_names)
    return pd.DataFrame(
        {
            "file_name": file_names,
            "target": np.fromiter(targets, dtype=np.int16, count=n),
            "labels": [sorted(set(ls)) for ls in labels],
            "problematic": np.fromiter(problematic, dtype=bool, count=n),
            "in_imagenet_m": np.zeros(n, bool)
            if imagenet_m is None
            else np.fromiter(imagenet_m, dtype=bool, count=n),
        },
        columns=COLUMNS,
    )


def problematic_rule(targets: Iterable[int], labels: list[list[int]]) -> list[bool]:
    """ReaL-style: an image is problematic if its label set is empty or lacks the original label."""
    return [not ls or t not in ls for t, ls in zip(targets, labels, strict=True)]


def from_real() -> pd.DataFrame:
    labels = imagenet.real_labels()
    index = imagenet.validation_index()
    if len(labels) != len(index):
        raise ErrataError(f"ReaL has {len(labels)} label lists, the validation index {len(index)}")
    names = index.index.tolist()
    targets = index["target"].tolist()
    return _frame(names, targets, labels, problematic_rule(targets, labels))


def _fail(path: Path, where: str, what: str) -> ErrataError:
    return ErrataError(f"{path}: {where}: {what}")


def from_multilabel(path: Path) -> pd.DataFrame:
    """Read the multi-label file. Keys read: `initial_annots` (image name -> {correct, wrong,
    unclear}: lists of wnids; label set = correct + unclear), `problematic_images` (object whose
    keys are image names) and `imagenet_m` (list of image names). Names not starting
    'ILSVRC2012_val_' are not validation images and are skipped."""
    raw = _load_json(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("initial_annots"), dict):
        raise _fail(path, "top level", "expected an object with an 'initial_annots' object")
    problematic = raw.get("problematic_images", {})
    imagenet_m = raw.get("imagenet_m", [])
    if not isinstance(problematic, dict):
        raise _fail(path, "'problematic_images'", "expected an object keyed by image name")
    if not isinstance(imagenet_m, list):
        raise _fail(path, "'imagenet_m'", "expected a list of image names")
    index = imagenet.validation_index()
    wnid_to_index = {w: i for i, w in enumerate(imagenet.wnids())}
    names: list[str] = []
    labels: list[list[int]] = []
    for name, annot in raw["initial_annots"].items():
        if not name.startswith(VAL_PREFIX):
            continue
        if name not in index.index:
            raise _fail(path, f"initial_annots[{name!r}]", "unknown validation file name")
        if not isinstance(annot, dict):
            raise _fail(path, f"initial_annots[{name!r}]", "expected an object of label lists")
        accepted = []
        for key in ("correct", "unclear"):
            values = annot.get(key, [])
            if not isinstance(values, list):
                raise _fail(path, f"initial_annots[{name!r}][{key!r}]", "expected a list of wnids")
            for wnid in values:
                if wnid not in wnid_to_index:
                    raise _fail(path, f"initial_annots[{name!r}][{key!r}]", f"unknown wnid {wnid!r}")
                accepted.append(wnid_to_index[wnid])
        names.append(name)
        labels.append(accepted)
    known = set(names)
    for name in imagenet_m:
        if name not in known:
            raise _fail(path, f"imagenet_m entry {name!r}", "not an annotated validation image")
    m = set(imagenet_m)
    return _frame(
        names,
        index.loc[names, "target"],
        labels,
        (n in problematic for n in names),
        (n in m for n in names),
    )


def _load_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ErrataError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise ErrataError(f"{path}: not valid JSON ({exc})") from None


def from_custom(path: Path) -> pd.DataFrame:
    """Read a CSV `file_name,target,labels[,problematic]`; without `problematic`, the ReaL rule."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ErrataError(f"{path}: no such file") from None
    missing = {"file_name", "target", "labels"} - set(df.columns)
    if missing:
        raise _fail(path, "header", f"missing column(s) {', '.join(sorted(missing))}")
    index = imagenet.validation_index()
    seen: set[str] = set()
    targets: list[int] = []
    labels: list[list[int]] = []
    flags: list[bool] = []
    has_flag = "problematic" in df.columns
    for i, row in enumerate(df.itertuples(index=False), start=2):
        where = f"line {i}"
        if row.file_name not in index.index:
            raise _fail(path, where, f"unknown validation file name {row.file_name!r}")
        if row.file_name in seen:
            raise _fail(path, where, f"duplicate file name {row.file_name!r}")
        seen.add(row.file_name)
        targets.append(_class_index(path, where, "target", row.target))
        labels.append([_class_index(path, where, "labels", v) for v in row.labels.split()])
        if has_flag:
            if row.problematic not in ("0", "1"):
                raise _fail(path, where, f"problematic must be 0 or 1, got {row.problematic!r}")
            flags.append(row.problematic == "1")
    if not has_flag:
        flags = problematic_rule(targets, labels)
    return _frame(df["file_name"].tolist(), targets, labels, flags)


def _class_index(path: Path, where: str, column: str, value: str) -> int:
    try:
        idx = int(value)
    except ValueError:
        raise _fail(path, where, f"{column}: {value!r} is not a class index") from None
    if not 0 <= idx < imagenet.NUM_CLASSES:
        raise _fail(path, where, f"{column}: class index {idx} outside 0..{imagenet.NUM_CLASSES - 1}")
    return idx


def counts(evalset: pd.DataFrame, spec: str) -> dict[str, Any]:
    empty = evalset["labels"].map(len) == 0
    missing_target = ~empty & ~np.array(
        [t in ls for t, ls in zip(evalset["target"], evalset["labels"], strict=True)]
    )
    return {
        "label_set": spec,
        "n_images": int(len(evalset)),
        "n_empty_labels": int(empty.sum()),
        "n_without_original_label": int(missing_target.sum()),
        "n_problematic": int(evalset["problematic"].sum()),
        "n_non_problematic": int((~evalset["problematic"]).sum()),
        "n_imagenet_m": int(evalset["in_imagenet_m"].sum()),
    }


def write(evalset: pd.DataFrame, spec: str, out_dir: Path) -> dict[str, Any]:
    """Write `evalset.parquet` and `counts.json` atomically; return the counts."""
    out_dir = Path(out_dir)
    write_with(out_dir / "evalset.parquet", lambda tmp: evalset.to_parquet(tmp, index=False))
    stats = counts(evalset, spec)
    write_json(out_dir / "counts.json", stats)
    return stats


def read(path: Path) -> pd.DataFrame:
    df = pd.read_parquet(path)
    df["labels"] = df["labels"].map(lambda a: [int(x) for x in a])
    return df
