"""The checks every input file and output directory passes before anything is built or written.

A wrong input must end in one message naming the file, the line and what was expected, never in a
traceback from the parser that happened to meet it first.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd

from errata.errors import ErrataError

_SIGNATURES = {
    b"\x1f\x8b": "gzip-compressed (decompress it first, e.g. `gunzip -k FILE`)",
    b"PK\x03\x04": "a zip archive (extract the file first)",
    b"BZh": "bzip2-compressed (decompress it first)",
    b"\xfd7zXZ": "xz-compressed (decompress it first)",
    b"PAR1": "a Parquet file, not a CSV",
}


def require_file(path: Path, what: str) -> Path:
    """`path` is an existing, non-empty regular file."""
    path = Path(path)
    if not path.exists():
        raise ErrataError(f"{path}: no such file (expected a {what})")
    if path.is_dir():
        raise ErrataError(f"{path}: is a directory; expected a {what} file")
    if path.stat().st_size == 0:
        raise ErrataError(f"{path}: the file is empty; expected a {what}")
    return path


def require_text(path: Path, what: str) -> Path:
    """`path` is a non-empty file that is not compressed or binary."""
    require_file(path, what)
    with open(path, "rb") as f:
        head = f.read(4096)
    for magic, kind in _SIGNATURES.items():
        if head.startswith(magic):
            raise ErrataError(f"{path}: is {kind}; expected a {what} as plain text")
    if b"\0" in head:
        raise ErrataError(f"{path}: holds binary data; expected a {what} as plain text")
    return path


def read_csv(path: Path, what: str) -> pd.DataFrame:
    """Every column as text, with at least one data row and no ragged line."""
    require_text(path, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False)
    except UnicodeDecodeError:
        raise ErrataError(f"{path}: is not UTF-8 text; expected a {what}") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise ErrataError(f"{path}: {_ragged(path) or exc}; expected a {what}") from None
    blank = (df == "").all(axis=1).to_numpy()
    df = df.iloc[: len(df) - int(blank[::-1].cumprod().sum())]  # trailing blank lines are harmless
    if df.empty:
        raise ErrataError(f"{path}: has a header but no rows; expected a {what}")
    if (df == "").any(axis=None):
        problem = _ragged(path)
        if problem:
            raise ErrataError(f"{path}: {problem}; expected a {what}")
    return df


def _ragged(path: Path) -> str | None:
    """The first line whose number of fields differs from the header's (pandas does not always
    say: it pads short lines and may take an extra field for an index)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    while rows and not rows[-1]:
        rows.pop()
    width = len(rows[0])
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            return f"line {line}: blank line"
        if len(row) > width:
            return (
                f"line {line}: {len(row)} fields where the header has {width} "
                f"(a stray comma? values with commas must be quoted)"
            )
        if len(row) < width:
            return f"line {line}: {len(row)} fields where the header has {width}"
    return None


def require_out_dir(out: Path) -> Path:
    """`out` is a directory or does not exist yet (it will be created)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ErrataError(f"--out {out}: is an existing file; give a directory (it is created if needed)")
    return out
