"""Decoding validation images once for every preprocessing of a run: RGB as the libraries' own
loaders make it (grayscale and CMYK JPEGs included), each library's own transform applied to that one
decoded PIL image, and unreadable files reported instead of crashing a worker.

Memory stays bounded whatever the number of transforms: a worker holds one batch of decoded images
and builds one transformed batch at a time, which it hands over before building the next; the
DataLoader keeps at most `prefetch_factor` finished batches per worker waiting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError)
Transform = Callable[[Any], torch.Tensor]


def load_rgb(path: Path) -> Image.Image:
    """As timm's and torchvision's default loaders: PIL, then convert('RGB')."""
    with open(path, "rb") as f:
        image = Image.open(f)
        return image.convert("RGB")


class Batch(NamedTuple):
    """One transform's batch of one batch of files."""

    transform: int  # index into the run's transforms
    images: torch.Tensor  # the readable files, transformed and stacked (empty if none)
    positions: list[int]  # their validation positions
    unreadable: list[tuple[int, str]]  # (position, path) of the files that could not be decoded


class DecodedOnce(IterableDataset):
    """Files in batches of `batch_size` consecutive items; each file decoded once, then every
    transform applied in turn to the decoded images: one `Batch` per transform per batch of files,
    so a model sees exactly the batches a run of its transform alone would give it.

    Workers take the batches of files round-robin; as the DataLoader fetches from its workers
    round-robin too, each transform's batches arrive in file order."""

    def __init__(
        self, items: Sequence[tuple[int, Path]], transforms: Sequence[Transform], batch_size: int
    ) -> None:
        self.items = list(items)
        self.transforms = list(transforms)
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[Batch]:
        worker = get_worker_info()
        first, step = (0, 1) if worker is None else (worker.id, worker.num_workers)
        for b in range(first, math.ceil(len(self.items) / self.batch_size), step):
            decoded, positions, unreadable = [], [], []
            for position, path in self.items[b * self.batch_size : (b + 1) * self.batch_size]:
                try:
                    decoded.append(load_rgb(path))
                    positions.append(position)
                except UNREADABLE:
                    unreadable.append((position, str(path)))
            for t, transform in enumerate(self.transforms):
                images = torch.stack([transform(image) for image in decoded]) if decoded else torch.empty(0)
                yield Batch(t, images, positions, unreadable)


def batches(
    items: Sequence[tuple[int, Path]],
    transforms: Sequence[Transform],
    batch_size: int,
    workers: int,
    pin_memory: bool,
) -> DataLoader:
    """The `Batch`es of `DecodedOnce`, decoded and transformed by `workers` processes (0: this one)."""
    return DataLoader(
        DecodedOnce(items, transforms, batch_size),
        batch_size=None,
        num_workers=workers,
        pin_memory=pin_memory,
    )
