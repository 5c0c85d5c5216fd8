"""Model specs: a model named the way its own library names it.

  timm         `arch.tag`                       resnet50.a1_in1k
  torchvision  `torchvision/<name>.<WEIGHTS>`   torchvision/resnet50.IMAGENET1K_V2
  open_clip    `open_clip/<model>.<pretrained>` open_clip/ViT-B-32.laion2b_s34b_b79k

Parsing is light (no torch): the CLI, the DVC stage and `classify` use it to name output files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from errata.errors import ErrataError

LIBRARIES = ("timm", "torchvision", "open_clip")
_NAME = re.compile(r"^[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*$")
FORMS = (
    "timm `arch.tag` (resnet50.a1_in1k), torchvision/<name>.<WEIGHTS> "
    "(torchvision/resnet50.IMAGENET1K_V2) or open_clip/<model>.<pretrained> "
    "(open_clip/ViT-B-32.laion2b_s34b_b79k)"
)


@dataclass(frozen=True)
class ModelSpec:
    library: str
    arch: str
    tag: str

    @property
    def spec(self) -> str:
        prefix = "" if self.library == "timm" else f"{self.library}/"
        return f"{prefix}{self.arch}.{self.tag}"

    @property
    def file_name(self) -> str:
        """Where `errata predict` writes the model under its --out: `<spec>.npz`, so torchvision/ and
        open_clip/ models land in sub-folders, and the model id (file stem) is `arch.tag`."""
        return f"{self.spec}.npz"


def parse(spec: str) -> ModelSpec:
    library, sep, rest = spec.partition("/")
    if not sep:
        library, rest = "timm", spec
    if library not in LIBRARIES:
        raise ErrataError(f"model {spec!r}: unknown library {library!r}; give {FORMS}")
    arch, dot, tag = rest.partition(".")
    if not dot or not arch or not tag or not _NAME.match(rest):
        raise ErrataError(f"model {spec!r}: expected `name.tag` with a pretrained tag; give {FORMS}")
    return ModelSpec(library, arch, tag)
