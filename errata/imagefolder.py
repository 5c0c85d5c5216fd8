"""An ImageNet validation folder: `ILSVRC2012_val_*.JPEG` flat, or in class sub-folders `nXXXXXXXX/`.

Listing is light (no torch, no decoding), so a run finds every missing file before it loads a model.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from errata import imagenet, lookup
from errata.errors import ErrataError

EXPECT = ("all", "found")
_WNID_DIR = re.compile(r"^n\d{8}$")


def list_images(root: Path) -> dict[int, Path]:
    """Validation position (0..49,999) -> file, for every validation image under `root`."""
    root = Path(root)
    if not root.is_dir():
        raise ErrataError(f"--images {root}: not a directory (expected the ImageNet validation folder)")
    candidates = [p for p in root.iterdir() if p.is_file()]
    for sub in root.iterdir():
        if sub.is_dir() and _WNID_DIR.match(sub.name):
            candidates += [p for p in sub.iterdir() if p.is_file()]
    names = np.array([p.name for p in candidates], dtype=str)
    positions = imagenet.val_positions(names) if len(names) else np.zeros(0, dtype=np.int64)
    found: dict[int, Path] = {}
    for pos, path in zip(positions.tolist(), candidates, strict=True):
        if pos < 0:
            continue
        if pos in found:
            raise ErrataError(f"--images {root}: {path.name} is there twice: {found[pos]} and {path}")
        found[pos] = path
    if not found:
        raise ErrataError(
            f"--images {root}: no ILSVRC2012_val_*.JPEG files, flat or in nXXXXXXXX/ class folders"
        )
    return dict(sorted(found.items()))


def absent(root: Path) -> str | None:
    """Why `root` cannot be used as the validation folder (an empty placeholder, say), or None."""
    try:
        list_images(root)
    except ErrataError:
        return f"no ImageNet validation images in {root} (images.val)"
    return None


def _ranges(positions: list[int]) -> list[str]:
    out, start = [], None
    for a, b in zip(positions, [*positions[1:], None], strict=True):
        start = a if start is None else start
        if b != a + 1:
            first = imagenet.val_file_name(start)
            out.append(first if a == start else f"{first}..{imagenet.val_file_name(a)}")
            start = None
    return out


def select(found: dict[int, Path], expect: str, root: Path) -> dict[int, Path]:
    """The images to run on: all 50,000 (every missing one listed in one message) or those found."""
    lookup.check_name("images.expect choice", expect, EXPECT)
    if expect == "all":
        missing = sorted(set(range(imagenet.NUM_VAL_IMAGES)) - set(found))
        if missing:
            raise ErrataError(
                f"--images {root}: {len(missing)} of the {imagenet.NUM_VAL_IMAGES} validation images are "
                f"missing: {', '.join(_ranges(missing))}. Complete the folder, or run on the images "
                f"that are there (--expect found; images.expect: found)"
            )
    return found


def list_train(root: Path) -> tuple[list[Path], np.ndarray]:
    """Every image of an ImageNet training folder (`nXXXXXXXX/*.JPEG`, the class from the folder),
    sorted by class then name, with its class index."""
    root = Path(root)
    if not root.is_dir():
        raise ErrataError(f"training images {root}: not a directory (expected nXXXXXXXX/ class folders)")
    index = {w: i for i, w in enumerate(imagenet.wnids())}
    paths: list[Path] = []
    labels: list[int] = []
    for sub in sorted(root.iterdir()):
        if sub.is_dir() and sub.name in index:
            files = sorted(p for p in sub.iterdir() if p.is_file())
            paths += files
            labels += [index[sub.name]] * len(files)
    if not paths:
        raise ErrataError(
            f"training images {root}: no images in nXXXXXXXX/ class folders of ImageNet-1k wnids"
        )
    return paths, np.asarray(labels, dtype=np.int16)
