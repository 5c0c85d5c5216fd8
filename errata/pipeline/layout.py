"""The pipeline's paths, named once in errata/data/layout.yaml: dvc.yaml holds a generated copy as
inline `vars` (`python -m errata.pipeline.stage_deps --check` fails when it drifts) and passes each
path to its stage script, and the command line's defaults come from here, so the two cannot drift
apart."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from errata import lookup
from errata.errors import ErrataError
from errata.packaged import data_file


@cache
def paths() -> dict[str, Path]:
    return load(data_file("layout.yaml"))


def load(path: Path) -> dict[str, Path]:
    """A layout file's paths: `layout: {name: relative path}`, none empty or absolute."""
    raw = yaml.safe_load(Path(path).read_text())
    lookup.check_keys(raw, ["layout"], str(path), required=["layout"])
    lookup.nonempty(raw["layout"], "paths", f"{path}: layout")
    lines = lookup.yaml_lines(path, "layout")
    for name, value in raw["layout"].items():
        if not isinstance(value, str) or not value or Path(value).is_absolute():
            where = lookup.at(path, lines, str(name))
            raise ErrataError(
                f"{where}: layout path {name!r} must be a path relative to the project root, got {value!r}"
            )
    return {k: Path(v) for k, v in raw["layout"].items()}


def path(name: str) -> Path:
    lookup.check_name("layout path", name, paths(), str(data_file("layout.yaml")))
    return paths()[name]
