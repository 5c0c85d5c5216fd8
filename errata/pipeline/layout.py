"""The pipeline's paths, named once in errata/data/layout.yaml: dvc.yaml holds a generated copy as
inline `vars` (`python -m errata.pipeline.stage_deps --check` fails when it drifts) and passes each
path to its stage script, and the command line's defaults come from here, so the two cannot drift
apart."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from errata.packaged import data_file


@cache
def paths() -> dict[str, Path]:
    return {k: Path(v) for k, v in yaml.safe_load(data_file("layout.yaml").read_text())["layout"].items()}


def path(name: str) -> Path:
    return paths()[name]
