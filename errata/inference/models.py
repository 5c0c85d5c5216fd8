"""Models by their library's own names, each with the preprocessing that library resolves for that
exact weight (never a table of ours), and a head checked to be ImageNet-1k in sorted-wnid order.

`resolve(spec)` is cheap where the library allows (timm's pretrained config, torchvision's weight
enum), so a run can group thousands of models by preprocessing before loading any weights;
`Resolved.build()` then makes the module: image batch -> 1,000 logits.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from errata import imagenet, lookup
from errata.errors import ErrataError
from errata.modelspec import ModelSpec

Transform = Callable[[Any], torch.Tensor]


@dataclass
class Resolved:
    """A model spec with its preprocessing resolved and its weights not yet loaded."""

    spec: ModelSpec
    transform: Transform
    meta: dict[str, Any]
    build: Callable[[], nn.Module] = field(repr=False)

    @property
    def preprocessing(self) -> str:
        """Models with equal strings share decoded, transformed images."""
        return repr(self.transform)


CLIP_TEMPLATES = ("openai", "simple")


def resolve(spec: ModelSpec, random_weights: bool = False, clip_templates: str = "openai") -> Resolved:
    """Resolve a spec; with `random_weights` nothing is downloaded and every build starts from
    `torch.manual_seed(0)`. `clip_templates` picks open_clip's OPENAI (80) or SIMPLE (7) ImageNet
    prompt templates for zero-shot CLIP models."""
    lookup.check_name("clip templates", clip_templates, CLIP_TEMPLATES)
    if spec.library == "open_clip":
        resolved = _open_clip(spec, random_weights, clip_templates)
    else:
        resolved = _RESOLVERS[spec.library](spec, random_weights)
    resolved.meta |= {
        "spec": spec.spec,
        "library": spec.library,
        "library_version": importlib.metadata.version(_DISTRIBUTIONS[spec.library]),
        "weights": "random (torch.manual_seed(0))" if random_weights else spec.tag,
        "preprocessing": resolved.preprocessing,
    }
    return resolved


def _require_imagenet_1k(spec: ModelSpec, n_classes: int, what: str) -> None:
    if n_classes != imagenet.NUM_CLASSES:
        raise ErrataError(
            f"model {spec.spec}: its head has {n_classes} classes ({what}); errata needs the "
            f"{imagenet.NUM_CLASSES} ImageNet-1k classes in sorted-wnid order: pick an ImageNet-1k weight"
        )


def _seeded(random_weights: bool, make: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        if random_weights:
            torch.manual_seed(0)
        return make().eval()

    return build


@functools.cache
def _timm_in1k_is_sorted_wnids() -> bool:
    """timm's ImageNet-1k class order is ours; read once (timm parses its class file on every call)."""
    from timm.data import ImageNetInfo

    return ImageNetInfo("imagenet-1k").label_names() == list(imagenet.wnids())


def _timm(spec: ModelSpec, random_weights: bool) -> Resolved:
    import timm
    from timm.data import create_transform, infer_imagenet_subset, resolve_data_config

    if spec.spec not in timm.list_pretrained(spec.spec):
        close = timm.list_pretrained(f"{spec.arch}.*")[:8]
        hint = f"; tags of {spec.arch}: {', '.join(close)}" if close else ""
        raise ErrataError(f"model {spec.spec}: not a timm pretrained model (arch.tag){hint}")
    cfg = timm.models.get_pretrained_cfg(spec.spec)
    subset = infer_imagenet_subset(cfg)
    if subset != "imagenet-1k" or not _timm_in1k_is_sorted_wnids():
        _require_imagenet_1k(spec, cfg.num_classes, f"timm label set {subset}")
    data_config = resolve_data_config(pretrained_cfg=cfg.to_dict())
    transform = create_transform(**data_config, is_training=False)

    def make() -> nn.Module:
        model = timm.create_model(spec.spec, pretrained=not random_weights)
        if timm.data.resolve_model_data_config(model) != data_config:
            raise ErrataError(f"model {spec.spec}: its data config differs from its pretrained config")
        return model

    return Resolved(spec, transform, {"data_config": data_config}, _seeded(random_weights, make))


def _torchvision(spec: ModelSpec, random_weights: bool) -> Resolved:
    from torchvision.models import get_model, get_model_weights

    try:
        enum = get_model_weights(spec.arch)
    except ValueError:
        raise ErrataError(f"model {spec.spec}: torchvision has no model {spec.arch!r}") from None
    try:
        weights = enum[spec.tag]
    except KeyError:
        known = ", ".join(w.name for w in enum)
        raise ErrataError(f"model {spec.spec}: no weights {spec.tag!r}; known: {known}") from None
    _require_imagenet_1k(spec, len(weights.meta["categories"]), "torchvision categories")

    def make() -> nn.Module:
        return get_model(spec.arch, weights=None if random_weights else weights)

    return Resolved(spec, weights.transforms(), {"weights_url": weights.url}, _seeded(random_weights, make))


class ZeroShotClassifier(nn.Module):
    """A CLIP model as a 1,000-way classifier: 100 x cosine to open_clip's ImageNet class
    embeddings (its class names and prompt templates), as open_clip's zero-shot evaluation does."""

    def __init__(self, clip: nn.Module, class_embeddings: torch.Tensor) -> None:
        super().__init__()
        self.clip = clip
        self.register_buffer("class_embeddings", class_embeddings)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.clip.encode_image(images, normalize=True)
        return 100.0 * features @ self.class_embeddings.to(features.dtype)


def _open_clip(spec: ModelSpec, random_weights: bool, clip_templates: str) -> Resolved:
    import open_clip
    from open_clip import build_zero_shot_classifier, zero_shot_metadata
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    templates = getattr(zero_shot_metadata, f"{clip_templates.upper()}_IMAGENET_TEMPLATES")

    if spec.arch not in open_clip.list_models():
        raise ErrataError(f"model {spec.spec}: open_clip has no model {spec.arch!r}")
    pretrained = open_clip.get_pretrained_cfg(spec.arch, spec.tag)
    if not pretrained and not random_weights:
        tags = [t for m, t in open_clip.list_pretrained() if m == spec.arch]
        raise ErrataError(f"model {spec.spec}: no pretrained {spec.tag!r} for {spec.arch}; known: {tags}")
    _require_imagenet_1k(spec, len(IMAGENET_CLASSNAMES), "open_clip ImageNet class names")
    keys = ("mean", "std", "interpolation", "resize_mode")
    overrides = {f"image_{k}": pretrained[k] for k in keys if k in pretrained}
    if random_weights:
        torch.manual_seed(0)
    clip, _, preprocess = open_clip.create_model_and_transforms(
        spec.arch, pretrained=None if random_weights else spec.tag, **overrides
    )
    clip.eval()
    tokenizer = open_clip.get_tokenizer(spec.arch)

    def make() -> nn.Module:
        with torch.inference_mode():
            embeddings = build_zero_shot_classifier(
                clip, tokenizer, IMAGENET_CLASSNAMES, templates, num_classes_per_batch=50
            )
        return ZeroShotClassifier(clip, embeddings.clone()).eval()

    meta = {"templates": f"open_clip {clip_templates.upper()}_IMAGENET_TEMPLATES ({len(templates)})"}
    return Resolved(spec, preprocess, meta, make)


_RESOLVERS: dict[str, Callable[[ModelSpec, bool], Resolved]] = {"timm": _timm, "torchvision": _torchvision}
_DISTRIBUTIONS = {"timm": "timm", "torchvision": "torchvision", "open_clip": "open_clip_torch"}
