"""Candidate names for the fine-grained out-of-vocabulary test (docs/method.md): which WordNet
synsets, and which text prompts, CLIP compares an image against when a model predicted `pred` for an
image labelled `target`.

Proposals depend on the target only through one filter (nothing on the target's hypernym paths), so
the ordered candidates are computed once per predicted class and the prompt vocabulary (every prompt
any pair can need) is known before any image is seen: text is embedded once per distinct prompt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import numpy as np

from errata import imagenet, wordnet

TEMPLATE = "A photo of a {}"
# Nodes from which the predicted class's ancestors are proposed (ImageNet-X's meta-labels, and four
# more general ones); the first one met on a hypernym path, walking down from the root, opens it.
META_LABELS = frozenset(
    {
        "device",
        "dog",
        "commodity",
        "bird",
        "structure",
        "covering",
        "wheeled_vehicle",
        "food",
        "equipment",
        "insect",
        "vehicle",
        "furniture",
        "primate",
        "vessel",
        "snake",
        "natural_object",
        "organism",
        "geological_formation",
        "clothing",
        "container",
    }
)


@dataclass(frozen=True)
class Proposal:
    synset: str
    offset: int
    lemma: str
    prompt: str
    in_imagenet: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lemma_text(name: str) -> str:
    return name.lower().replace("_", " ")


@cache
def _imagenet_offsets() -> frozenset[int]:
    return frozenset(s.offset() for s in imagenet.synsets())


@cache
def blocked_offsets(target: int) -> np.ndarray:
    """Offsets of every synset on a hypernym path of the target (the target included), sorted."""
    return np.array(
        sorted({n.offset() for n in wordnet.ancestors(imagenet.synsets()[target])}), dtype=np.int64
    )


class Proposer:
    """Proposals under one superclass table (`same_superclass[a, b]`: a and b share a superclass;
    the diagonal is True)."""

    def __init__(self, same_superclass: np.ndarray) -> None:
        if same_superclass.shape != (imagenet.NUM_CLASSES, imagenet.NUM_CLASSES):
            raise ValueError(f"same_superclass must be 1000x1000, got {same_superclass.shape}")
        self.same_superclass = same_superclass.astype(bool)
        self._candidates: dict[int, tuple[Any, ...]] = {}
        self._lemmas: dict[int, tuple[np.ndarray, tuple[str, ...], np.ndarray]] = {}

    def candidates(self, pred: int) -> tuple[Any, ...]:
        """Ordered, unique synsets proposed for `pred` before the target's filter: the predicted
        synset, the classes sharing a superclass with it (class order), its direct siblings, then
        its ancestors from the first meta-label node down (path by path)."""
        if pred not in self._candidates:
            syn = imagenet.synsets()[pred]
            members = [imagenet.synsets()[c] for c in np.flatnonzero(self.same_superclass[pred])]
            siblings = [s for parent in syn.hypernyms() for s in parent.hyponyms()]
            ancestors = []
            for path in syn.hypernym_paths():
                opened = False
                for node in path:
                    opened = opened or any(lemma in META_LABELS for lemma in node.lemma_names())
                    if opened:
                        ancestors.append(node)
            ordered = {s.offset(): s for s in [syn, *members, *siblings, *ancestors]}
            self._candidates[pred] = tuple(ordered.values())
        return self._candidates[pred]

    def synsets(self, pred: int, target: int) -> list[Any]:
        blocked = set(blocked_offsets(target).tolist())
        return [s for s in self.candidates(pred) if s.offset() not in blocked]

    def proposals(self, pred: int, target: int) -> list[Proposal]:
        """One proposal per lemma of each proposed synset, in order."""
        inside = _imagenet_offsets()
        return [
            Proposal(
                s.name(), s.offset(), lemma_text(n), TEMPLATE.format(lemma_text(n)), s.offset() in inside
            )
            for s in self.synsets(pred, target)
            for n in s.lemma_names()
        ]

    def lemma_arrays(self, pred: int) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
        """`candidates(pred)` one row per lemma: (synset offsets, prompts, in ImageNet), so a
        target's filter is one `np.isin` over the offsets."""
        if pred not in self._lemmas:
            rows = [
                (s.offset(), TEMPLATE.format(lemma_text(n)))
                for s in self.candidates(pred)
                for n in s.lemma_names()
            ]
            offsets = np.array([o for o, _ in rows], dtype=np.int64)
            inside = np.isin(offsets, np.fromiter(_imagenet_offsets(), np.int64))
            self._lemmas[pred] = (offsets, tuple(p for _, p in rows), inside)
        return self._lemmas[pred]

    def vocabulary(self) -> list[str]:
        """Every prompt some (pred, target) pair can need, sorted: what the text tower embeds."""
        return sorted({prompt for c in range(imagenet.NUM_CLASSES) for prompt in self.lemma_arrays(c)[1]})


def as_json(pred: int, target: int, proposals: list[Proposal]) -> dict[str, Any]:
    return {"pred": pred, "target": target, "proposals": [p.as_dict() for p in proposals]}
