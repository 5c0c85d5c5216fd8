"""Data files shipped inside the package (errata/data/), readable from any working directory.

Modules read them only through `data_file("literal name")`: the DVC dependency generator
(`errata.pipeline.stage_deps`) finds those calls to make each file a dependency of the stages that read it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_file(name: str) -> Path:
    return Path(str(resources.files("errata").joinpath("data", name)))
