"""Decoding validation images for a model's preprocessing: RGB as the libraries' own loaders make
it (grayscale and CMYK JPEGs included), and unreadable files reported instead of crashing a worker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError)


def load_rgb(path: Path) -> Image.Image:
    """As timm's and torchvision's default loaders: PIL, then convert('RGB')."""
    with open(path, "rb") as f:
        image = Image.open(f)
        return image.convert("RGB")


class ValImages(Dataset):
    """(tensor or None, validation position, path) per image; None where it cannot be decoded."""

    def __init__(self, items: Sequence[tuple[int, Path]], transform: Callable[[Any], torch.Tensor]) -> None:
        self.items = list(items)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor | None, int, str]:
        position, path = self.items[i]
        try:
            return self.transform(load_rgb(path)), position, str(path)
        except UNREADABLE:
            return None, position, str(path)


def collate(
    batch: list[tuple[torch.Tensor | None, int, str]],
) -> tuple[torch.Tensor, list[int], list[tuple[int, str]]]:
    """(images stacked, their positions, (position, path) of each file that could not be decoded)."""
    ok = [(x, pos) for x, pos, _ in batch if x is not None]
    bad = [(pos, path) for x, pos, path in batch if x is None]
    images = torch.stack([x for x, _ in ok]) if ok else torch.empty(0)
    return images, [pos for _, pos in ok], bad
