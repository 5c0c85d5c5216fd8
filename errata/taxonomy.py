"""The knowledge the error cascade needs, written to and read from a taxonomy directory:
superclasses, overlapping classes, common co-occurrence pairs and the non-prototypical lookup."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from errata import boolmatrix, cooccurrence, experts, imagenet, overlapping, superclasses, wordnet
from errata.atomic import write_json, write_npz, write_text, write_with
from errata.errors import ErrataError

SUPERCLASSES_CSV = "superclasses.csv"
SAME_SUPERCLASS = "same_superclass.npz"
OVERLAPPING_CSV = "overlapping_classes.csv"
NON_PROTOTYPICAL = "non_prototypical.txt"
COVERAGE = "coverage.json"
COOC_PAIRS = "cooccurrence_pairs.csv"
COOC_COMMON = "common_cooccurrence.npz"
COOC_COUNTS = "cooccurrence_counts.npz"
COOC_REPORT = "cooccurrence.json"


def write_superclasses(definitions: Path | None, out: Path) -> dict:
    """Superclasses, overlapping classes and the non-prototypical lookup; returns the coverage."""
    out = Path(out)
    defs = superclasses.load(definitions)
    member = superclasses.membership(defs)
    table = imagenet.classes_table()[["class_index", "wnid", "name", "group"]].copy()
    ids = np.array([d.id for d in defs])
    table["superclasses"] = [";".join(ids[member[:, j]]) for j in range(imagenet.NUM_CLASSES)]
    write_with(out / SUPERCLASSES_CSV, lambda tmp: table.to_csv(tmp, index=False))
    boolmatrix.save(out / SAME_SUPERCLASS, superclasses.table(member))
    names = imagenet.class_names()
    pairs = pd.DataFrame(overlapping.alias_pairs(), columns=["label", "accepted"])
    pairs["label_name"] = [names[i] for i in pairs["label"]]
    pairs["accepted_name"] = [names[i] for i in pairs["accepted"]]
    write_with(out / OVERLAPPING_CSV, lambda tmp: pairs.to_csv(tmp, index=False))
    files = experts.non_prototypical_files()
    write_text(out / NON_PROTOTYPICAL, "".join(f"{f}\n" for f in files))
    report = superclasses.coverage(defs, member) | {
        "n_overlapping_pairs": len(pairs),
        "n_non_prototypical_files": len(files),
    }
    write_json(out / COVERAGE, report)
    return report


def write_cooccurrence(
    taxonomy_dir: Path,
    evalset: pd.DataFrame,
    label_set: str,
    out: Path,
    *,
    images: str = "auto",
    min_count: int = cooccurrence.DEFAULT_MIN_COUNT,
    per_images: int | None = cooccurrence.REFERENCE_IMAGES,
) -> dict:
    """Common co-occurrence pairs, given the superclasses in `taxonomy_dir`."""
    same = boolmatrix.load(Path(taxonomy_dir) / SAME_SUPERCLASS)
    counts, common, report = cooccurrence.build(
        set(evalset["file_name"]), label_set, images, min_count, per_images, same
    )
    out = Path(out)
    table = cooccurrence.pairs_table(counts, common)
    write_with(out / COOC_PAIRS, lambda tmp: table.to_csv(tmp, index=False))
    boolmatrix.save(out / COOC_COMMON, common)
    write_npz(out / COOC_COUNTS, counts=counts)
    write_json(out / COOC_REPORT, report)
    return report


@dataclass(frozen=True)
class Taxonomy:
    """Lookup tables for the cascade: 1000x1000 boolean matrices indexed [label, prediction], the
    non-prototypical lookup, and each class's group (organism / artifact / other), so that
    classifying needs no WordNet."""

    alias: np.ndarray
    same_superclass: np.ndarray
    common_cooccurrence: np.ndarray
    non_prototypical: frozenset[str]
    class_groups: np.ndarray


def same_superclass(taxonomy_dir: Path | None, definitions: Path | None = None) -> np.ndarray:
    """The same-superclass table of a built taxonomy, or else of a definitions file (default: bundled)."""
    if taxonomy_dir is None:
        return superclasses.table(superclasses.membership(superclasses.load(definitions)))
    path = Path(taxonomy_dir) / SAME_SUPERCLASS
    if not path.exists():
        raise ErrataError(f"{path} is missing: build the taxonomy first (`errata taxonomy --out DIR`)")
    return boolmatrix.load(path)


def load(taxonomy_dir: Path, cooccurrence_dir: Path | None = None) -> Taxonomy:
    taxonomy_dir = Path(taxonomy_dir)
    cooc_dir = Path(cooccurrence_dir or taxonomy_dir)
    needed = [
        taxonomy_dir / f for f in (SAME_SUPERCLASS, OVERLAPPING_CSV, NON_PROTOTYPICAL, SUPERCLASSES_CSV)
    ]
    for path in [*needed, cooc_dir / COOC_COMMON]:
        if not path.exists():
            raise ErrataError(f"{path} is missing: build the taxonomy first (`errata taxonomy --out DIR`)")
    pairs = pd.read_csv(taxonomy_dir / OVERLAPPING_CSV)
    alias = np.zeros((imagenet.NUM_CLASSES, imagenet.NUM_CLASSES), dtype=bool)
    alias[pairs["label"].to_numpy(), pairs["accepted"].to_numpy()] = True
    classes = pd.read_csv(taxonomy_dir / SUPERCLASSES_CSV, usecols=lambda c: c in ("class_index", "group"))
    if "group" not in classes or classes["class_index"].tolist() != list(range(imagenet.NUM_CLASSES)):
        raise ErrataError(f"{taxonomy_dir / SUPERCLASSES_CSV}: made by an older errata; rebuild the taxonomy")
    return Taxonomy(
        alias=alias,
        same_superclass=boolmatrix.load(taxonomy_dir / SAME_SUPERCLASS),
        common_cooccurrence=boolmatrix.load(cooc_dir / COOC_COMMON),
        non_prototypical=frozenset((taxonomy_dir / NON_PROTOTYPICAL).read_text().split()),
        class_groups=classes["group"].to_numpy(str),
    )


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
