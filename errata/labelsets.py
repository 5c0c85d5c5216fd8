"""Label sets -> the evaluation set: for every evaluated image its target, label set and flags.

Specs (CLI `--labels`, param `labels.set`):
  real             ReaL labels (pinned source), original labels from the pinned validation index
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

from errata import imagenet, inputs, lookup
from errata.atomic import staged_dir, write_json, write_with
from errata.errors import ErrataError

COLUMNS = ["file_name", "target", "labels", "problematic", "in_imagenet_m"]
VAL_PREFIX = "ILSVRC2012_val_"
CUSTOM_WHAT = "custom label CSV (file_name,target,labels[,problematic])"
EVALSET_FILE = "evalset.parquet"
KINDS = ("real", "multilabel", "custom")
DEFAULT = "real"  # the label set when none is named
LABEL_SET_KEY = b"errata.label_set"


def build(spec: str) -> pd.DataFrame:
    """The evaluation set for a label-set spec, validated."""
    check_spec(spec)
    kind, _, arg = spec.partition(":")
    if kind == "real":
        return from_real()
    return from_multilabel(Path(arg)) if kind == "multilabel" else from_custom(Path(arg))


def check_spec(spec: str, where: str = "") -> None:
    """`real`, `multilabel:PATH` or `custom:PATH`; `where` (such as params.yaml's line) heads the error."""
    kind, _, arg = spec.partition(":")
    if kind in KINDS and (kind == "real") != bool(arg):
        return
    if kind in KINDS:
        hint = " (real takes no PATH)" if kind == "real" else f" ({kind} needs a PATH)"
    else:
        close = lookup.close_matches(kind, KINDS)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise ErrataError(
        f"{where + ': ' if where else ''}unknown label set {spec!r}{hint}; "
        "use 'real', 'multilabel:PATH' or 'custom:PATH'"
    )


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
    inputs.require_text(path, "multi-label JSON file (human_accuracy_v3.0.0.json)")
    try:
        return json.loads(Path(path).read_text())
    except UnicodeDecodeError:
        raise ErrataError(f"{path}: is not UTF-8 text; expected the multi-label JSON file") from None
    except json.JSONDecodeError as exc:
        raise ErrataError(f"{path}: not valid JSON ({exc})") from None


def from_custom(path: Path) -> pd.DataFrame:
    """Read a CSV `file_name,target,labels[,problematic]`; without `problematic`, the ReaL rule."""
    df = inputs.read_csv(path, CUSTOM_WHAT)
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


def write_custom(evalset: pd.DataFrame, path: Path) -> None:
    """Write an evaluation set as a `custom:` CSV with its `problematic` column, so any label set
    (ReaL, the multi-label file) becomes a file a user can edit into their own and read back as is."""
    labels = [" ".join(map(str, ls)) for ls in evalset["labels"]]
    frame = pd.DataFrame(
        {
            "file_name": evalset["file_name"],
            "target": evalset["target"],
            "labels": labels,
            "problematic": evalset["problematic"].astype(int),
        }
    )
    write_with(Path(path), lambda tmp: frame.to_csv(tmp, index=False))


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


def describe(stats: dict[str, Any]) -> str:
    return (
        f"{stats['n_images']} images, {stats['n_problematic']} problematic "
        f"({stats['n_empty_labels']} with no label, {stats['n_without_original_label']} without the "
        f"original label), {stats['n_non_problematic']} evaluated"
    )


def write(evalset: pd.DataFrame, spec: str, out_dir: Path) -> dict[str, Any]:
    """Write `evalset.parquet` (recording `spec` in its metadata) and `counts.json`; return the counts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(evalset, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), LABEL_SET_KEY: spec.encode()})
    stats = counts(evalset, spec)
    with staged_dir(out_dir) as stage:
        pq.write_table(table, stage / EVALSET_FILE)
        write_json(stage / "counts.json", stats)
    return stats


def read(path: Path) -> tuple[pd.DataFrame, str]:
    """An evaluation set written by `write`, and the label-set spec it was built from."""
    import pyarrow.parquet as pq

    inputs.require_file(path, f"evaluation set ({EVALSET_FILE} written by `errata prepare`)")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a file that is not Parquet
        raise ErrataError(f"{path}: not a Parquet evaluation set ({exc})") from None
    spec = (table.schema.metadata or {}).get(LABEL_SET_KEY)
    if spec is None or table.column_names != COLUMNS:
        raise ErrataError(
            f"{path}: not an evaluation set written by `errata prepare` (columns {table.column_names}, "
            f"label set {'recorded' if spec else 'not recorded'}); rebuild it with `errata prepare`"
        )
    df = table.drop_columns(["labels"]).to_pandas()
    df.insert(COLUMNS.index("labels"), "labels", table["labels"].to_pylist())
    return df, spec.decode()


def spec_path(spec: str) -> Path | None:
    """The file a `multilabel:`/`custom:` spec names (None for `real`)."""
    kind, _, arg = spec.partition(":")
    return Path(arg) if kind in ("multilabel", "custom") and arg else None


def require_tracked(spec: str, labels_dir: Path) -> None:
    """For the DVC pipeline: a label file must sit under `labels_dir`, a declared dependency, or
    editing it would leave `dvc status` reporting stale results as up to date."""
    path = spec_path(spec)
    if path is None:
        return
    inside = Path(labels_dir).resolve()
    if not path.resolve().is_relative_to(inside):
        raise ErrataError(
            f"label file {path} is outside {labels_dir}/: the pipeline tracks label files only there. "
            f"Copy it in (or `dvc add` it there) and set labels.set to "
            f"'{spec.partition(':')[0]}:{Path(labels_dir) / path.name}'"
        )


def evaluation_set(labels: str | None, evalset_path: Path | None) -> tuple[pd.DataFrame, str]:
    """The evaluation set and its label-set spec: read from `evalset_path` (which records the spec
    it was built from) or built from `labels`."""
    if evalset_path is None:
        spec = labels or DEFAULT
        return build(spec), spec
    evalset, spec = read(evalset_path)
    if labels is not None and labels != spec:
        raise ErrataError(
            f"--evalset {evalset_path} was built from label set {spec!r}, not --labels {labels!r}; "
            f"leave out --labels, or rebuild the evaluation set with `errata prepare --labels {labels}`"
        )
    return evalset, spec
