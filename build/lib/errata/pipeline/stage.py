"""The arguments of a stage script: its paths come as `--name PATH` from dvc.yaml, which names each
path once (through errata/data/layout.yaml), as DVC's example pipelines pass them."""

from __future__ import annotations

import argparse
from pathlib import Path


def arguments(
    stage: str,
    *paths: str,
    positional: tuple[str, ...] = (),
    many: str | None = None,
    flags: tuple[str, ...] = (),
) -> argparse.Namespace:
    """Parse the script's arguments: each of `paths` a required `--name PATH` (dashes for
    underscores), each of `positional` a plain string, `many` any number of them after those, each
    of `flags` a `--name` switch."""
    parser = argparse.ArgumentParser(prog=f"stages/{stage}.py", description=f"DVC stage {stage}")
    for name in positional:
        parser.add_argument(name)
    if many:
        parser.add_argument(many, nargs="*")
    for name in paths:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=Path, required=True)
    for name in flags:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, action="store_true")
    return parser.parse_args()
