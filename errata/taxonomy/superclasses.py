"""Superclasses: hand-written groups of easily confused classes, defined by WordNet lemma predicates.

A class joins a superclass if, for any of its predicates, every lemma of the predicate is a lemma of
some synset on one of the class's hypernym paths (the class's own synset included).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from errata import imagenet, lookup, wordnet
from errata.errors import ErrataError
from errata.packaged import data_file

DEFINITIONS = "superclasses.yaml"


@dataclass(frozen=True)
class Superclass:
    id: str
    predicates: tuple[frozenset[str], ...]
    where: str = ""  # FILE:LINE of its entry, for errors


def default_path() -> Path:
    return data_file(DEFINITIONS)


def load(path: Path | None = None) -> list[Superclass]:
    """Parse a definitions file: `superclasses: {id: [predicate, ...]}`, a predicate being a lemma
    or a list of lemmas that must all hold."""
    path = Path(path or default_path())
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ErrataError(f"{path}: cannot read superclass definitions ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("superclasses"), dict):
        raise ErrataError(f"{path}: expected a mapping 'superclasses: {{id: [predicates]}}'")
    lines = lookup.yaml_lines(path, "superclasses")
    out = []
    for sid, preds in raw["superclasses"].items():
        if not isinstance(preds, list) or not preds:
            raise ErrataError(f"{path}: superclass {sid!r}: expected a non-empty list of predicates")
        parsed = []
        for pred in preds:
            lemmas = [pred] if isinstance(pred, str) else pred
            if not isinstance(lemmas, list) or not all(isinstance(x, str) and x for x in lemmas):
                raise ErrataError(f"{path}: superclass {sid!r}: bad predicate {pred!r}")
            parsed.append(frozenset(x.lower() for x in lemmas))
        out.append(Superclass(str(sid), tuple(parsed), lookup.at(path, lines, str(sid))))
    return out


@cache
def _class_lemmas() -> tuple[frozenset[str], ...]:
    return tuple(wordnet.ancestor_lemmas(s) for s in imagenet.synsets())


def matching_predicate(sc: Superclass, class_index: int) -> frozenset[str] | None:
    """The first predicate of `sc` that the class satisfies, if any."""
    lemmas = _class_lemmas()[class_index]
    return next((p for p in sc.predicates if p <= lemmas), None)


def membership(defs: list[Superclass]) -> np.ndarray:
    """Boolean (n_superclasses, 1000) matrix: class j belongs to superclass i. A predicate that no
    class satisfies is an error, not an empty group: a misspelt lemma would otherwise silently
    turn fine-grained errors into model failures."""
    out = np.zeros((len(defs), imagenet.NUM_CLASSES), dtype=bool)
    for i, sc in enumerate(defs):
        for pred in sc.predicates:
            hits = np.array([pred <= lemmas for lemmas in _class_lemmas()])
            if not hits.any():
                raise ErrataError(_no_match(sc, pred))
            out[i] |= hits
    return out


@cache
def _vocabulary() -> frozenset[str]:
    return frozenset().union(*_class_lemmas())


def _no_match(sc: Superclass, pred: frozenset[str]) -> str:
    """Which lemma of the predicate no class reaches, and the closest ones that some class does."""
    unknown = sorted(pred - _vocabulary())
    head = f"{sc.where}: superclass {sc.id!r}: predicate {sorted(pred)} matches no ImageNet class"
    if not unknown:
        return f"{head}: no class has all of these lemmas among its WordNet ancestors"
    close = lookup.close_matches(unknown[0], _vocabulary())
    return (
        f"{head}: {unknown[0]!r} is no lemma of any class or its WordNet ancestors"
        f" (close: {', '.join(close) if close else 'none'})"
    )


def same_superclass(member: np.ndarray) -> np.ndarray:
    """Boolean 1000x1000: the two classes share a (non-singleton) superclass; diagonal True."""
    m = member.astype(np.int32)
    shared = (m.T @ m) > 0
    np.fill_diagonal(shared, True)
    return shared


def table(member: np.ndarray) -> np.ndarray:
    """The same-superclass table of a membership matrix (groups of one class join nothing)."""
    return same_superclass(member[member.sum(axis=1) >= 2])


def coverage(defs: list[Superclass], member: np.ndarray) -> dict:
    """Published reference: 161 non-singleton groups, sizes 2-31 (median 4), 74 singletons,
    5,476 class pairs sharing a superclass."""
    sizes = member.sum(axis=1)
    nonsingleton = sizes >= 2
    in_group = member[nonsingleton].any(axis=0)
    shared = same_superclass(member[nonsingleton])
    n_pairs = int((shared.sum() - imagenet.NUM_CLASSES) // 2)
    kept = sizes[nonsingleton]
    return {
        "n_definitions": len(defs),
        "n_non_singleton": int(nonsingleton.sum()),
        "n_empty_or_single_definitions": [d.id for d, s in zip(defs, sizes, strict=True) if s < 2],
        "size_min": int(kept.min()) if kept.size else 0,
        "size_median": float(np.median(kept)) if kept.size else 0.0,
        "size_max": int(kept.max()) if kept.size else 0,
        "n_singleton_classes": int((~in_group).sum()),
        "n_pairs_sharing": n_pairs,
    }
