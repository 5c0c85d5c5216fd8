"""Inference spread over machines. Each `predict@<spec>` stage is one model's result: a new model is
a new stage, and no other stage reruns for it. A shard is a set of those stages that one machine
runs and pushes, with their run-cache entries, to the shared DVC remote; any clone then restores
them instead of running them (`dvc repro --pull`).

A shard of several models first runs their inference together (`stages/predict.py --together`),
each image decoded once for all of them, and leaves each model's chunks unmerged; DVC then runs
each stage as usual, which only merges its chunks, so every stage is still run, recorded and cached
by DVC itself. `--machines N` cuts the models into N shards grouped by preprocessing, so each
preprocessing lands on as few machines as possible: a machine transforms each image once per
preprocessing it holds.

Every model of a shard is held on its machine's device at once: choose N so that they fit."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from errata.errors import ErrataError
from errata.inference import together
from errata.pipeline import layout, params


@dataclass(frozen=True)
class Shard:
    index: int
    models: tuple[str, ...]

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(stage_name(m) for m in self.models)

    @property
    def command(self) -> str:
        """What the machine runs: its models' inference together (with more than one), its stages
        alone (not their upstream), then their outputs and run-cache entries to the default remote."""
        targets = " ".join(shlex.quote(s) for s in self.stages)
        stages = f"dvc repro --single-item {targets} && dvc push --run-cache {targets}"
        if len(self.models) == 1:
            return stages
        together = " ".join(shlex.quote(m) for m in self.models)
        out = shlex.quote(str(layout.path("inference")))
        return f"python stages/predict.py --together {together} --out {out} && {stages}"


def stage_name(spec: str) -> str:
    return f"predict@{spec}"


def plan(
    models: list[str], machines: int | None = None, preprocessing: Mapping[str, str] | None = None
) -> list[Shard]:
    """One shard per model, or `machines` shards of near-equal numbers of models grouped by
    `preprocessing` (spec -> key; `together.cut`): a machine decodes each image once and transforms
    it once per preprocessing it holds."""
    if machines is not None and machines < 1:
        raise ErrataError(f"--machines must be at least 1, got {machines}")
    if machines is None:
        return [Shard(i, (m,)) for i, m in enumerate(models)]
    return [Shard(i, part) for i, part in enumerate(together.cut(models, machines, preprocessing or {}))]


def from_params(
    path: Path = Path("params.yaml"), machines: int | None = None, by_preprocessing: bool = True
) -> list[Shard]:
    """The shards of `predict.models`; without `by_preprocessing`, the same number of shards
    (what `--count` needs) without resolving any model."""
    models = list(params.load("predict", path).get("models") or [])
    if not models:
        raise ErrataError(f"{path}: predict.models is empty: there is no inference to spread")
    grouped = by_preprocessing and machines is not None and machines < len(models)
    return plan(models, machines, together.preprocessing_keys(models) if grouped else None)


def pick(shards: list[Shard], index: int) -> Shard:
    if not 0 <= index < len(shards):
        raise ErrataError(f"shard index {index} outside 0..{len(shards) - 1} ({len(shards)} shards)")
    return shards[index]
