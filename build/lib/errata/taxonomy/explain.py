"""Why two classes do or do not share a superclass, and how often they co-occur."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from errata import boolmatrix, imagenet, wordnet
from errata.errors import ErrataError
from errata.taxonomy import cooccurrence, overlapping, superclasses
from errata.taxonomy.tables import COOC_COMMON, COOC_COUNTS, COOC_REPORT


def explain(a: str, b: str, definitions: Path | None = None, cooccurrence_dir: Path | None = None) -> str:
    """Why two classes do or do not share a superclass, and how often they co-occur."""
    ia, ib = imagenet.class_index(a), imagenet.class_index(b)
    names, syns = imagenet.class_names(), imagenet.synsets()
    lines = [f"{ia} {names[ia]} ({syns[ia].name()})  vs  {ib} {names[ib]} ({syns[ib].name()})"]
    shared = []
    for sc in superclasses.load(definitions):
        pa, pb = superclasses.matching_predicate(sc, ia), superclasses.matching_predicate(sc, ib)
        if pa is not None and pb is not None:
            shared.append(f"  {sc.id}: {_via(syns[ia], pa)}; {_via(syns[ib], pb)}")
    lines.append(f"share a superclass: {'yes' if shared else 'no'}")
    lines += shared
    lines.append(f"overlapping classes: {'yes' if (ia, ib) in overlapping.alias_pairs() else 'no'}")
    lines.append(_cooccurrence_line(ia, ib, cooccurrence_dir))
    return "\n".join(lines)


def _via(syn, predicate: frozenset[str]) -> str:
    """Which ancestors of `syn` carry the lemmas of the predicate."""
    nodes = [n.name() for n in wordnet.ancestors(syn) if predicate & {x.lower() for x in n.lemma_names()}]
    return f"{syn.name()} via {', '.join(nodes)}"


def _cooccurrence_line(ia: int, ib: int, cooccurrence_dir: Path | None) -> str:
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
        verdict = f"common pair (>= {report['effective_min_count']}): {'yes' if common else 'no'}"
        return f"co-occurrence: {count} over {where}; {verdict}"
    counts = cooccurrence.count_matrix(imagenet.real_labels(), imagenet.validation_index()["target"])
    return f"co-occurrence: {counts[ia, ib]} over all 50,000 ReaL images (no co-occurrence directory given)"
