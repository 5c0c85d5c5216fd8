"""The test's CLIP model from open_clip's one factory: by name and pretrained tag, or an
architecture given as data (the path of an open_clip JSON config, e.g. for a tiny test model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from errata.errors import ErrataError
from errata.oov.config import ClipSettings


@dataclass
class Clip:
    model: nn.Module
    preprocess: Any
    tokenizer: Any
    device: torch.device


def device_of(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def model_name(model: str) -> str:
    """open_clip's name for `model`; a JSON config path is registered with open_clip first."""
    import open_clip

    if model.endswith(".json"):
        path = Path(model)
        if not path.is_file():
            raise ErrataError(f"oov model {model}: no such open_clip config file")
        open_clip.add_model_config(path)
        return path.stem
    if model not in open_clip.list_models():
        close = [m for m in open_clip.list_models() if model.lower()[:6] in m.lower()][:8]
        raise ErrataError(f"oov model {model!r}: open_clip has no such model; similar: {', '.join(close)}")
    return model


def load(settings: ClipSettings, device: torch.device) -> Clip:
    """With `random_weights` nothing is downloaded and the model starts from torch.manual_seed(0);
    the preprocessing is the pretrained weight's either way."""
    import open_clip

    name = model_name(settings.model)
    pretrained = open_clip.get_pretrained_cfg(name, settings.pretrained)
    if not pretrained and not settings.random_weights:
        tags = [t for m, t in open_clip.list_pretrained() if m == name]
        raise ErrataError(f"oov model {name}: no pretrained {settings.pretrained!r}; known: {tags}")
    keys = ("mean", "std", "interpolation", "resize_mode")
    overrides = {f"image_{k}": pretrained[k] for k in keys if k in pretrained}
    if settings.random_weights:
        torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(
        name, pretrained=None if settings.random_weights else settings.pretrained, **overrides
    )
    return Clip(model.eval().to(device), preprocess, open_clip.get_tokenizer(name), device)
