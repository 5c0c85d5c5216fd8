"""What the installed libraries offer, for naming published models: torchvision's weights with the
ImageNet-1k top-1 they document, and whether `predict` accepts a spec (without loading weights)."""

from __future__ import annotations

import hashlib

from errata.errors import ErrataError
from errata.inference import models
from errata.modelspec import parse


def torchvision_weights(arch: str) -> dict[str, float]:
    """Weight name -> documented ImageNet-1k top-1 (%) of torchvision model `arch`; empty if none."""
    from torchvision.models import get_model_weights

    try:
        enum = get_model_weights(arch)
    except ValueError:
        return {}
    return {w.name: w.meta.get("_metrics", {}).get("ImageNet-1K", {}).get("acc@1") for w in enum}


def describe(spec: str) -> dict[str, object]:
    """What `predict` makes of `spec` without loading weights: `refusal` (None: accepted), the input
    `size` in pixels, a short `preprocessing` key (models with equal keys share decoded images) and,
    for torchvision, the documented `gflops`."""
    try:
        resolved = models.resolve(parse(spec), random_weights=True)
    except ErrataError as exc:
        return {"refusal": str(exc), "size": None, "preprocessing": None, "gflops": None}
    key = hashlib.sha1(resolved.preprocessing.encode()).hexdigest()[:10]
    return {"refusal": None, "size": _input_size(resolved), "preprocessing": key, "gflops": _gflops(spec)}


def _gflops(spec: str) -> float | None:
    """torchvision documents each weight's GFLOPS (timm's pretrained configs do not)."""
    from torchvision.models import get_model_weights

    parsed = parse(spec)
    if parsed.library != "torchvision":
        return None
    return get_model_weights(parsed.arch)[parsed.tag].meta.get("_ops")


def _input_size(resolved: models.Resolved) -> int:
    if "data_config" in resolved.meta:  # timm
        return int(resolved.meta["data_config"]["input_size"][-1])
    size = getattr(resolved.transform, "crop_size", None)  # torchvision weight transforms
    if size is None:  # open_clip: a Compose whose last sized step (crop, or resize when squashing) sets it
        size = [t.size for t in resolved.transform.transforms if hasattr(t, "size")][-1]
    return int(size[-1] if isinstance(size, list | tuple) else size)
