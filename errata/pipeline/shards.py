"""Inference spread over machines: each `predict@<spec>` stage is a shard that one machine runs and
pushes, with its run-cache entry, to the shared DVC remote; any clone then restores it instead of
running it (`dvc repro --pull`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from errata.errors import ErrataError
from errata.pipeline import params


@dataclass(frozen=True)
class Shard:
    index: int
    stages: tuple[str, ...]

    @property
    def command(self) -> str:
        """What the machine runs: its stages alone (not their upstream), then their outputs and
        run-cache entries to the default remote."""
        targets = " ".join(shlex.quote(s) for s in self.stages)
        return f"dvc repro --single-item {targets} && dvc push --run-cache {targets}"


def stage_name(spec: str) -> str:
    return f"predict@{spec}"


def plan(models: list[str], machines: int | None = None) -> list[Shard]:
    """One shard per model, or the models dealt round-robin to `machines` shards (a machine then
    runs its models one after another)."""
    if machines is not None and machines < 1:
        raise ErrataError(f"--machines must be at least 1, got {machines}")
    n = len(models) if machines is None else min(machines, len(models))
    return [Shard(i, tuple(stage_name(m) for m in models[i::n])) for i in range(n)]


def from_params(path: Path = Path("params.yaml"), machines: int | None = None) -> list[Shard]:
    models = params.load("predict", path).get("models") or []
    if not models:
        raise ErrataError(f"{path}: predict.models is empty: there is no inference to spread")
    return plan(list(models), machines)


def pick(shards: list[Shard], index: int) -> Shard:
    if not 0 <= index < len(shards):
        raise ErrataError(f"shard index {index} outside 0..{len(shards) - 1} ({len(shards)} shards)")
    return shards[index]
