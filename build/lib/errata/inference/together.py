"""Which models run together. A run decodes each image once for all its models and transforms it
once per preprocessing among them, so models spread over several runs (machines) are grouped by
preprocessing first. Light: the libraries are imported only to resolve preprocessings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from errata import modelspec
from errata.errors import ErrataError


def cut(models: Sequence[str], parts: int, preprocessing: Mapping[str, str]) -> list[tuple[str, ...]]:
    """`parts` runs of near-equal numbers of models (never an empty one), cut from `models` ordered
    by preprocessing (spec -> key; groups in the order of their first model, the given order within
    one; a spec without a key is its own group), so a group lands in one run, or in two where it
    spans a cut."""
    first: dict[str, int] = {}
    for m in models:
        first.setdefault(preprocessing.get(m, m), len(first))
    ordered = sorted(models, key=lambda m: first[preprocessing.get(m, m)])
    n = min(parts, len(models))
    size, extra = divmod(len(models), n)
    bounds = [i * size + min(i, extra) for i in range(n + 1)]
    return [tuple(ordered[bounds[i] : bounds[i + 1]]) for i in range(n)]


def preprocessing_keys(models: Sequence[str]) -> dict[str, str]:
    """Each spec's preprocessing as `predict` resolves it (no weights loaded); a spec the libraries
    refuse is its own group, and its run says why."""
    from errata.inference import models as resolver

    def key(spec: str) -> str:
        try:
            return resolver.resolve(modelspec.parse(spec), random_weights=True).preprocessing
        except ErrataError:
            return spec

    return {m: key(m) for m in models}
