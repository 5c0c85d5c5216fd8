"""Small JPEG thumbnails of validation images, for the report's example errors (embedded in the
page, so it still needs nothing beside it)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from errata import imagefolder, imagenet

SIZE = 112  # longest side in pixels
QUALITY = 80


def thumbnail(path: Path, size: int = SIZE) -> bytes | None:
    """The image shrunk to `size` px on its longest side as JPEG bytes; None if it cannot be read."""
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((size, size))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=QUALITY)
    except (OSError, UnidentifiedImageError):
        return None
    return out.getvalue()


def find(images_dir: Path, file_names: Iterable[str]) -> dict[str, Path]:
    """The path of each validation file name present under `images_dir` (flat or class folders)."""
    found = imagefolder.list_images(images_dir)
    names = list(file_names)
    positions = imagenet.val_positions(names).tolist() if names else []
    return {name: found[pos] for name, pos in zip(names, positions, strict=True) if pos in found}
