"""ImageNet-1k facts: the 1,000 classes (a class list shipped in errata/data), groups, the validation
index."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from functools import cache

import numpy as np
import pandas as pd

from errata import sources, wordnet
from errata.errors import ErrataError
from errata.packaged import data_file

NUM_CLASSES = 1000
NUM_VAL_IMAGES = 50_000
GROUPS = ("organism", "artifact", "other")


def val_file_name(i: int) -> str:
    """File name of validation image i (0-based): ILSVRC2012_val_00000001.JPEG is image 0."""
    return f"{VAL_PREFIX}{i + 1:0{VAL_DIGITS}d}{VAL_SUFFIX}"


VAL_PREFIX, VAL_SUFFIX, VAL_DIGITS = "ILSVRC2012_val_", ".JPEG", 8


VAL_NAME_WIDTH = len(VAL_PREFIX) + VAL_DIGITS + len(VAL_SUFFIX)


def val_positions(names: np.ndarray) -> np.ndarray:
    """Validation index (0-based) of each file name, -1 where it is not one of the 50,000.

    Vectorised parse of ILSVRC2012_val_%08d.JPEG: looking up 50,000 strings in an index costs
    ~40 ms per model, this costs a few.
    """
    names = np.asarray(names, dtype=str)
    if names.size == 0:
        return np.full(0, -1, dtype=np.int64)
    fixed = names.astype(f"<U{max(VAL_NAME_WIDTH, names.dtype.itemsize // 4)}")
    chars = fixed.view(np.uint32).reshape(len(names), -1)[:, :VAL_NAME_WIDTH]
    return val_positions_of_chars(chars, np.char.str_len(names) == VAL_NAME_WIDTH)


_PREFIX = np.array([ord(c) for c in VAL_PREFIX])
_SUFFIX = np.array([ord(c) for c in VAL_SUFFIX])
_DIGITS = slice(len(VAL_PREFIX), len(VAL_PREFIX) + VAL_DIGITS)
_POWERS = 10.0 ** np.arange(VAL_DIGITS - 1, -1, -1)


def val_positions_of_chars(chars: np.ndarray, right_length: np.ndarray) -> np.ndarray:
    """`val_positions` over names given as an (n, VAL_NAME_WIDTH) array of character codes (a
    numpy unicode view, or the bytes of an Arrow string column), with which names have that length."""
    ok = right_length & (chars[:, : _DIGITS.start] == _PREFIX.astype(chars.dtype)).all(axis=1)
    ok &= (chars[:, _DIGITS.stop :] == _SUFFIX.astype(chars.dtype)).all(axis=1)
    digits = chars[:, _DIGITS].astype(np.float64) - ord("0")
    ok &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    number = digits @ _POWERS  # exact: below 2**53
    ok &= (number >= 1) & (number <= NUM_VAL_IMAGES)
    out = np.full(len(chars), -1, dtype=np.int64)
    out[ok] = number[ok].astype(np.int64) - 1
    return out


@cache
def _classes() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(wnid, lemmas) of each class in sorted-wnid order, from the class list the package ships
    (errata/data/imagenet_classes.tsv: timm's imagenet_synsets.txt and its lemmas, WordNet 3.0's)."""
    lines = data_file("imagenet_classes.tsv").read_text().splitlines()[1:]
    split = (line.partition("\t") for line in lines)
    rows = tuple((w, tuple(x.strip() for x in text.split(","))) for w, _, text in split)
    ids = [w for w, _ in rows]
    if len(ids) != NUM_CLASSES or ids != sorted(ids):
        raise ErrataError(f"imagenet_classes.tsv must list {NUM_CLASSES} sorted wnids")
    return rows


@cache
def wnids() -> tuple[str, ...]:
    return tuple(w for w, _ in _classes())


@cache
def class_lemmas() -> tuple[tuple[str, ...], ...]:
    """Every WordNet lemma of each class."""
    return tuple(lemmas for _, lemmas in _classes())


@cache
def class_names() -> tuple[str, ...]:
    """Readable names: the first lemma of each class."""
    return tuple(ls[0] for ls in class_lemmas())


@cache
def display_names() -> tuple[str, ...]:
    """The names to show a reader: `class_names`, with the index beside a name another class shares
    up to case ("maillot (638)", "Cardigan (264)"), so "maillot → maillot" cannot be printed."""
    names = class_names()
    shared = Counter(_normal(n) for n in names)
    return tuple(f"{n} ({i})" if shared[_normal(n)] > 1 else n for i, n in enumerate(names))


def _normal(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").split())


@cache
def _classes_by_lemma() -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for i, lemmas in enumerate(class_lemmas()):
        for lemma in dict.fromkeys(_normal(x) for x in lemmas):
            out.setdefault(lemma, []).append(i)
    return {k: tuple(v) for k, v in out.items()}


def class_index(key: str | int) -> int:
    """Resolve a class given as an index, a wnid, or any of its lemmas ('tank suit', 'Tinca tinca').

    A lemma shared by two classes (crane, cardigan, maillot) is an error that lists them, and a
    miss suggests close names: a silent first match would explain the wrong class.
    """
    if isinstance(key, int) or str(key).isdigit():
        idx = int(key)
        if not 0 <= idx < NUM_CLASSES:
            raise ErrataError(f"class index {idx} outside 0..{NUM_CLASSES - 1}")
        return idx
    if key in wnids():
        return wnids().index(key)
    by_lemma = _classes_by_lemma()
    found = by_lemma.get(_normal(key), ())
    if len(found) == 1:
        return found[0]
    if found:
        options = "; ".join(
            f"{i} = {wnids()[i]} ({', '.join(class_lemmas()[i])}: {synsets()[i].definition()})" for i in found
        )
        raise ErrataError(f"{key!r} names {len(found)} classes: {options}. Give the index or the wnid.")
    close = difflib.get_close_matches(_normal(key), list(by_lemma), n=5, cutoff=0.7)
    close += [lemma for lemma in by_lemma if _normal(key) in lemma.split() and lemma not in close][:8]
    hint = ""
    if close:
        named = [f"{by_lemma[c][0]} {c!r}" if len(by_lemma[c]) == 1 else repr(c) for c in close]
        hint = f"; did you mean {' or '.join(named)}?"
    raise ErrataError(f"unknown class {key!r}: give an index 0..999, a wnid or a class name{hint}")


@cache
def synsets() -> tuple:
    return tuple(wordnet.synset(w) for w in wnids())


@cache
def class_groups() -> np.ndarray:
    """Per class: 'organism' or 'artifact' by a lemma on its hypernym paths, else 'other'."""
    out = []
    for syn in synsets():
        lemmas = wordnet.ancestor_lemmas(syn)
        out.append("organism" if "organism" in lemmas else "artifact" if "artifact" in lemmas else "other")
    return np.array(out)


@cache
def real_labels() -> list[list[int]]:
    """ReaL label lists (the pinned source `real_labels`); index i is validation image i."""
    return json.loads(sources.fetch("real_labels").read_text())


@cache
def validation_index() -> pd.DataFrame:
    """The 50,000 validation file names (index) with their original label (`target`)."""
    path = sources.fetch("imagenetx_filename_label")
    df = pd.read_csv(path, dtype={"file_name": str, "label": np.int16})
    expected = [val_file_name(i) for i in range(NUM_VAL_IMAGES)]
    df = df.set_index("file_name").rename(columns={"label": "target"})
    if sorted(df.index) != expected or not df["target"].between(0, NUM_CLASSES - 1).all():
        raise ErrataError(f"{path}: expected the {NUM_VAL_IMAGES} validation files with labels 0..999")
    return df.loc[expected]


def classes_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "class_index": np.arange(NUM_CLASSES),
            "wnid": wnids(),
            "name": class_names(),
            "synset": [s.name() for s in synsets()],
            "group": class_groups(),
        }
    )
