"""Why two classes do or do not share a superclass, and how often they co-occur."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errata import boolmatrix, imagenet, wordnet
from errata.errors import ErrataError
from errata.taxonomy import cooccurrence, overlapping, superclasses
from errata.taxonomy.tables import COOC_COMMON, COOC_COUNTS, COOC_REPORT


def explain(a: str, b: str, definitions: Path | None = None, cooccurrence_dir: Path | None = None) -> str:
    """What the cascade calls an image labelled `a` that a model predicts as `b`, and why: the
    shared superclasses, overlapping classes and co-occurrence behind the verdict."""
    ia, ib = imagenet.class_index(a), imagenet.class_index(b)
    names, syns = imagenet.class_names(), imagenet.synsets()
    lines = [f"{ia} {names[ia]} ({syns[ia].name()})  vs  {ib} {names[ib]} ({syns[ib].name()})"]
    shared = []
    for sc in superclasses.load(definitions):
        pa, pb = superclasses.matching_predicate(sc, ia), superclasses.matching_predicate(sc, ib)
        if pa is not None and pb is not None:
            shared.append(f"  {sc.id}: {_via(syns[ia], pa)}; {_via(syns[ib], pb)}")
    overlap = (ia, ib) in overlapping.alias_pairs()
    cooc = _cooccurrence(ia, ib, cooccurrence_dir, bool(shared))
    lines.append(f"share a superclass: {'yes' if shared else 'no'}")
    lines += shared
    lines.append(f"overlapping classes: {'yes' if overlap else 'no'}")
    lines.append(
        f"co-occurrence: {cooc.count} over {cooc.where}; common pair (>= {cooc.threshold}): "
        f"{_common(cooc, bool(shared))}"
    )
    verdict = _verdict(overlap, bool(shared), cooc)
    shown = imagenet.display_names()
    lines.append(f"verdict, image labelled {shown[ia]!r} predicted {shown[ib]!r}: {verdict}")
    lines += [
        "  (unless the prediction is among the image's own labels: multi_label; or, after a shared",
        "  superclass, the CLIP test finds the object out of vocabulary: fine_grained_oov; or the image is",
        "  one of the experts' 36 non-prototypical ones: non_prototypical)",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Cooccurrence:
    count: int
    threshold: int
    common: bool  # a common pair of the cascade: frequent enough, and sharing no superclass
    where: str


def _common(cooc: Cooccurrence, shared: bool) -> str:
    """Whether the pair is a common co-occurrence pair, and if not, which rule keeps it out."""
    if cooc.common:
        return "yes"
    if shared:
        return "no: the pair shares a superclass, and no pair inside one is counted"
    return f"no: {cooc.count} is below the threshold"


def _verdict(overlap: bool, shared: bool, cooc: Cooccurrence) -> str:
    if overlap:
        return "overlapping_classes: the two classes name overlapping things (an accepted alias)"
    if shared:
        why = (
            "; their co-occurrence does not count, as for every pair inside a superclass"
            if (cooc.count >= cooc.threshold)
            else ""
        )
        return f"fine_grained: they share a superclass{why}"
    if cooc.common:
        return (
            f"spurious_correlation: they co-occur {cooc.count} times, at least the threshold {cooc.threshold}"
        )
    return (
        f"model_failure: no superclass in common, no overlap, and they co-occur {cooc.count} times, "
        f"below the threshold {cooc.threshold}"
    )


def _via(syn, predicate: frozenset[str]) -> str:
    """Which ancestors of `syn` carry the lemmas of the predicate."""
    nodes = [n.name() for n in wordnet.ancestors(syn) if predicate & {x.lower() for x in n.lemma_names()}]
    return f"{syn.name()} via {', '.join(nodes)}"


def _cooccurrence(ia: int, ib: int, cooccurrence_dir: Path | None, shared: bool) -> Cooccurrence:
    if cooccurrence_dir is not None:
        for name in (COOC_COUNTS, COOC_REPORT, COOC_COMMON):
            if not (Path(cooccurrence_dir) / name).exists():
                raise ErrataError(
                    f"--cooccurrence {cooccurrence_dir}: no {name} there; give the directory the "
                    f"cooccurrence stage writes (data/cooccurrence), or leave the option out"
                )
        with np.load(Path(cooccurrence_dir) / COOC_COUNTS) as z:
            count = int(z["counts"][ia, ib])
        report = json.loads((Path(cooccurrence_dir) / COOC_REPORT).read_text())
        common = bool(boolmatrix.load(Path(cooccurrence_dir) / COOC_COMMON)[ia, ib])
        where = f"{report['n_images_counted']} images ({report['images']}, {report['label_set']})"
        return Cooccurrence(count, report["effective_min_count"], common, where)
    counts = cooccurrence.count_matrix(imagenet.real_labels(), imagenet.validation_index()["target"])
    n = imagenet.NUM_VAL_IMAGES
    threshold = cooccurrence.effective_min_count(
        cooccurrence.DEFAULT_MIN_COUNT, cooccurrence.REFERENCE_IMAGES, n
    )
    count = int(counts[ia, ib])
    where = "all 50,000 ReaL images (no co-occurrence directory given)"
    return Cooccurrence(count, threshold, count >= threshold and not shared, where)
