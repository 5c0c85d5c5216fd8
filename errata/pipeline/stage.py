"""The arguments of a stage script: its paths come as `--name PATH` from dvc.yaml, which names each
path once (through errata/data/layout.yaml), as DVC's example pipelines pass them."""

from __future__ import annotations

import argparse
from pathlib import Path


def arguments(stage: str, *paths: str, positional: tuple[str, ...] = ()) -> argparse.Namespace:
    """Parse the script's arguments: each of `paths` a required `--name PATH` (dashes for
    underscores), each of `positional` a plain string."""
    parser = argparse.ArgumentParser(prog=f"stages/{stage}.py", description=f"DVC stage {stage}")
    for name in positional:
        parser.add_argument(name)
    for name in paths:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=Path, required=True)
    return parser.parse_args()
