"""A model's predictions in memory, and the file formats they come in.

Formats (chosen by extension and header):
  .npz                  the project's own: `file_names` (str), `topk` (int, n x k), optional `probs`,
                        `skipped_files` and `meta` (written by `errata predict`)
  .csv, ImageNet-X      `file_name,predicted_class,predicted_probability`
  .csv, top-k           `file_name,top1[,top2..top5]`
Class indices are 0..999 in sorted-wnid order. `read` checks everything a classification relies
on, so a file that passes it cannot fail later. `read_top1` is the fast path for classifying many
models: typed CSV parsing with pyarrow and checks on arrays, falling back to `read` (and its
precise messages) for any file it cannot vouch for.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from errata import imagenet, inputs
from errata.atomic import write_npz
from errata.errors import ErrataError
from errata.imagenet import NUM_CLASSES

IMAGENETX_COLUMNS = ["file_name", "predicted_class", "predicted_probability"]
WHAT = "predictions file (file_name,top1[,top2..] or ImageNet-X CSV, or .npz)"
RowLabel = Callable[[int], str]


def csv_line(i: int) -> str:
    return f"line {i + 2}"


def array_row(i: int) -> str:
    return f"row {i}"


@dataclass(frozen=True)
class Predictions:
    """Top-k classes (best first) per file, with probabilities where known."""

    file_names: np.ndarray
    topk: np.ndarray
    probs: np.ndarray | None = None
    skipped_files: np.ndarray | None = None  # images inference could not decode (`errata predict`)

    @property
    def top1(self) -> np.ndarray:
        return self.topk[:, 0]

    def __len__(self) -> int:
        return len(self.file_names)

    @cached_property
    def positions(self) -> np.ndarray:
        """Validation index of each row (-1 where the file name is not a validation image)."""
        return imagenet.val_positions(self.file_names)

    def top1_by_position(self) -> np.ndarray:
        """Top-1 of each of the 50,000 validation images (-1 where not predicted); int16, 100 kB."""
        pos = self.positions
        if (pos < 0).any():
            raise ErrataError(f"{self.file_names[pos < 0][0]!r} is not an ImageNet validation file name")
        out = np.full(imagenet.NUM_VAL_IMAGES, -1, dtype=np.int16)
        out[pos] = self.top1
        return out


def align(preds: Predictions, positions: np.ndarray) -> np.ndarray:
    """Top-1 per evaluation-set row, given each row's validation position (-1: not predicted)."""
    return preds.top1_by_position()[positions].astype(np.int64)


def read(path: Path) -> Predictions:
    """Read and check a predictions file (see `check`)."""
    path = Path(path)
    inputs.require_file(path, WHAT)
    if path.suffix == ".npz":
        preds = _read_npz(path)
        check(preds, str(path), array_row)
    elif path.suffix == ".csv":
        preds = _read_csv(path)
        check(preds, str(path), csv_line)
    else:
        raise ErrataError(f"{path}: unknown predictions format {path.suffix!r}; expected a {WHAT}")
    return preds


@dataclass(frozen=True)
class Top1:
    """What classifying needs from a predictions file."""

    by_position: np.ndarray  # (50,000,) int16, -1 where not predicted
    n_rows: int
    n_skipped_unreadable: int


def read_top1(path: Path) -> Top1:
    path = Path(path)
    fast = _fast_csv(path) if path.suffix == ".csv" else None
    if fast is not None:
        return fast
    preds = read(path)
    skipped = 0 if preds.skipped_files is None else len(preds.skipped_files)
    return Top1(preds.top1_by_position(), len(preds), skipped)


def _csv_types(header: list[str]) -> dict[str, pa.DataType] | None:
    """Arrow column types for a supported CSV header, None for any other."""
    if header == IMAGENETX_COLUMNS:
        return {
            "file_name": pa.string(),
            "predicted_class": pa.int32(),
            "predicted_probability": pa.float64(),
        }
    if (
        len(header) >= 2
        and header[0] == "file_name"
        and header[1:] == [f"top{i}" for i in range(1, len(header))]
    ):
        return {"file_name": pa.string(), **{c: pa.int32() for c in header[1:]}}
    return None


def _fast_csv(path: Path) -> Top1 | None:
    """Typed parse of a well-formed CSV; None where anything is off (then `read` says what)."""
    try:
        with pa.memory_map(str(path)) as data:  # parsed straight from the page cache, not copied
            types = _csv_types(data.read(4096).split(b"\n", 1)[0].decode().rstrip("\r").split(","))
            if types is None:
                return None
            data.seek(0)
            table = pacsv.read_csv(
                data,
                parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False),
            )
            return _checked_top1(table)
    except (OSError, UnicodeDecodeError, pa.ArrowException):
        return None


def _checked_top1(table: pa.Table) -> Top1 | None:
    if table.num_rows == 0 or any(table[c].null_count for c in table.column_names):
        return None
    top1 = table.column(1).to_numpy()
    if top1.min() < 0 or top1.max() >= NUM_CLASSES:
        return None
    probability = IMAGENETX_COLUMNS[2]
    if probability in table.column_names and np.isnan(table[probability].to_numpy()).any():
        return None
    positions = _arrow_positions(table["file_name"])
    if positions is None:
        return None
    by_position = np.full(imagenet.NUM_VAL_IMAGES, -1, dtype=np.int16)
    by_position[positions] = top1
    if np.count_nonzero(by_position >= 0) != table.num_rows:  # a file name twice
        return None
    return Top1(by_position, table.num_rows, 0)


_ROW = np.dtype(
    [("prefix", f"S{len(imagenet.VAL_PREFIX)}"), ("digits", "S8"), ("suffix", f"S{len(imagenet.VAL_SUFFIX)}")]
)
_ASCII_ZEROS = int.from_bytes(b"0" * 8, "little")
_HIGH_BITS = 0x8080808080808080
_TEN_OR_MORE = 0x7676767676767676  # + 0x76 sets a byte's high bit exactly when the byte is >= 10
_BYTE_WEIGHTS = 10 ** np.arange(7, -1, -1, dtype=np.int64)  # the first byte is the leading digit


def _arrow_positions(names: pa.ChunkedArray) -> np.ndarray | None:
    """Validation positions straight from an Arrow string column's buffers: each name is 28 bytes,
    viewed as (prefix, 8 digit bytes, suffix) without building Python strings; a digit byte is
    valid when neither it nor it + 0x76 has its high bit set (checked 8 bytes at a time)."""
    parts = []
    for chunk in names.chunks:
        n = len(chunk)
        offsets = np.frombuffer(chunk.buffers()[1], np.int32, count=n + 1, offset=chunk.offset * 4)
        if (np.diff(offsets) != imagenet.VAL_NAME_WIDTH).any():
            return None
        rows = np.frombuffer(chunk.buffers()[2], np.uint8)[offsets[0] : offsets[-1]].view(_ROW)
        if (rows["prefix"] != imagenet.VAL_PREFIX.encode()).any() or (
            rows["suffix"] != imagenet.VAL_SUFFIX.encode()
        ).any():
            return None
        # the 8 digit bytes as one aligned word; minus ASCII '0' in every byte gives the digits' values
        digits = np.ascontiguousarray(rows["digits"]).view(np.uint64) - np.uint64(_ASCII_ZEROS)
        if ((digits | (digits + np.uint64(_TEN_OR_MORE))) & np.uint64(_HIGH_BITS)).any():
            return None
        by_byte = digits.view(np.uint8).reshape(n, 8).astype(np.int64)
        parts.append(by_byte @ _BYTE_WEIGHTS - 1)
    positions = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    return positions if ((positions >= 0) & (positions < imagenet.NUM_VAL_IMAGES)).all() else None


def _read_npz(path: Path) -> Predictions:
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = {"file_names", "topk"} - set(z.files)
            if missing:
                raise ErrataError(f"{path}: no array(s) {', '.join(sorted(missing))}; expected a {WHAT}")
            names, topk = z["file_names"], z["topk"]
            probs = z["probs"].astype(np.float32) if "probs" in z.files else None
            skipped = z["skipped_files"].astype(str) if "skipped_files" in z.files else None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ErrataError(f"{path}: not a readable .npz ({exc}); expected a {WHAT}") from None
    if names.dtype.kind != "U":
        raise ErrataError(f"{path}: file_names must be strings, got dtype {names.dtype}")
    if topk.dtype.kind not in "iu":
        raise ErrataError(f"{path}: topk must hold integer class indices 0..999, got dtype {topk.dtype}")
    return Predictions(names, _as_topk(path, topk), probs, skipped)


def _read_csv(path: Path) -> Predictions:
    df = inputs.read_csv(path, WHAT)
    cols = list(df.columns)
    if cols == IMAGENETX_COLUMNS:
        class_cols, probs = cols[1:2], _probabilities(path, df["predicted_probability"])
    elif len(cols) >= 2 and cols[0] == "file_name" and cols[1:] == [f"top{i}" for i in range(1, len(cols))]:
        class_cols, probs = cols[1:], None
    else:
        raise ErrataError(
            f"{path}: line 1: header {','.join(cols)!r} is neither ImageNet-X "
            f"({','.join(IMAGENETX_COLUMNS)}) nor file_name,top1[,top2..]"
        )
    topk = np.stack([_class_column(path, df[c]) for c in class_cols], axis=1)
    return Predictions(df["file_name"].to_numpy(str), topk, probs)


def _class_column(path: Path, text: pd.Series) -> np.ndarray:
    values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        i = int(bad.argmax())
        found = text.iloc[i]
        hint = " (class names are not accepted)" if found.strip()[:1].isalpha() else ""
        if not found.strip():
            found, hint = "", " (empty)"
        raise ErrataError(
            f"{path}: {csv_line(i)}: class indices must be integers 0..{NUM_CLASSES - 1}; "
            f"found {found!r} in column {text.name!r}{hint}"
        )
    return values.astype(np.int64)


def _probabilities(path: Path, text: pd.Series) -> np.ndarray:
    values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(np.float32)
    bad = np.isnan(values)
    if bad.any():
        i = int(bad.argmax())
        raise ErrataError(f"{path}: {csv_line(i)}: probability must be a number, found {text.iloc[i]!r}")
    return values[:, None]


def _as_topk(path: Path, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[1] == 0:
        raise ErrataError(f"{path}: top-k classes must be an n x k array, got shape {values.shape}")
    return values.astype(np.int64)


def check(preds: Predictions, where: str, row: RowLabel = array_row) -> None:
    """At least one row; indices in 0..999 (with a hint when they look 1-based); file names that are
    ImageNet validation images, each once; probabilities that are numbers."""
    n = len(preds.file_names)
    if n == 0:
        raise ErrataError(f"{where}: no predictions")
    if preds.topk.shape[0] != n or (preds.probs is not None and preds.probs.shape[0] != n):
        raise ErrataError(f"{where}: file_names, topk and probs differ in length")
    _check_range(preds, where, row)
    pos = preds.positions
    if (pos < 0).any():
        i = int((pos < 0).argmax())
        raise ErrataError(
            f"{where}: {row(i)}: {str(preds.file_names[i])!r} is not an ImageNet validation file name "
            f"({imagenet.val_file_name(0)} .. {imagenet.val_file_name(imagenet.NUM_VAL_IMAGES - 1)}); "
            f"{int((pos < 0).sum())} such row(s)"
        )
    unique, first_row = np.unique(pos, return_index=True)
    seen = np.full(imagenet.NUM_VAL_IMAGES, -1, dtype=np.int64)
    seen[unique] = first_row
    dup = seen[pos] != np.arange(n)
    if dup.any():
        i = int(dup.argmax())
        first = row(int(seen[pos[i]]))
        raise ErrataError(f"{where}: {row(i)}: duplicate file name {preds.file_names[i]} (first on {first})")
    if preds.probs is not None and np.isnan(preds.probs).any():
        i = int(np.isnan(preds.probs).any(axis=1).argmax())
        raise ErrataError(f"{where}: {row(i)}: {preds.file_names[i]}: probability is NaN")


def _check_range(preds: Predictions, where: str, row: RowLabel) -> None:
    out_of_range = (preds.topk < 0) | (preds.topk >= NUM_CLASSES)
    if not out_of_range.any():
        return
    i = int(out_of_range.any(axis=1).argmax())
    value = int(preds.topk[i][out_of_range[i]][0])
    hint = ""
    if preds.topk.min() >= 1 and preds.topk.max() == NUM_CLASSES:
        hint = f"; the indices look 1-based (they run 1..{NUM_CLASSES}): subtract 1"
    raise ErrataError(
        f"{where}: {row(i)}: class index {value} outside 0..{NUM_CLASSES - 1} (sorted-wnid order){hint}"
    )


def write(preds: Predictions, path: Path) -> Path:
    arrays = {"file_names": preds.file_names.astype(str), "topk": preds.topk.astype(np.int16)}
    if preds.probs is not None:
        arrays["probs"] = preds.probs.astype(np.float32)
    return write_npz(path, **arrays)


def model_id(path: Path) -> str:
    """A model is named by its predictions file's stem, in every output and table."""
    return Path(path).stem


def check_ids(paths: Sequence[Path]) -> list[str]:
    ids = [model_id(p) for p in paths]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise ErrataError(f"two predictions files share the model id {dups[0]!r} (the file stem)")
    return ids
