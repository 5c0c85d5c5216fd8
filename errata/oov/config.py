"""What the FG-OOV test's results depend on: the CLIP model, its weights, the gate and its prompt
templates (throughput settings are not part of it), checked once where they enter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from errata import lookup

GATES = ("knn_train", "zero_shot", "none")
TEMPLATES = ("openai", "simple")  # open_clip's ImageNet prompt templates
N_NEIGHBOURS = 10
DEFAULT_MODEL = "ViT-L-14-336"
DEFAULT_PRETRAINED = "openai"


@dataclass(frozen=True)
class ClipSettings:
    """What the test's results depend on (throughput settings are not part of it)."""

    model: str = DEFAULT_MODEL  # an open_clip model name, or the path of an open_clip JSON config
    pretrained: str = DEFAULT_PRETRAINED
    gate: str = "zero_shot"
    templates: str = "openai"  # open_clip's ImageNet templates for the zero_shot gate: openai | simple
    random_weights: bool = False

    def check(self) -> None:
        lookup.check_name("oov gate", self.gate, GATES)
        lookup.check_name("oov templates", self.templates, TEMPLATES)


def weights_label(settings: dict[str, Any]) -> str:
    """The pretrained tag, or that the weights were random, for notes and reports."""
    return "random weights" if settings["random_weights"] else settings["pretrained"]


def from_params(oov: dict[str, Any]) -> ClipSettings:
    """The `oov` section of params.yaml as checked settings."""
    keys = ("model", "pretrained", "gate", "templates", "random_weights")
    settings = ClipSettings(**{k: oov[k] for k in keys})
    settings.check()
    return settings
