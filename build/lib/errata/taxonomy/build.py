"""Building a taxonomy directory: superclasses from their WordNet definitions, overlapping classes,
the non-prototypical lookup and the common co-occurrence pairs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from errata import boolmatrix, experts, imagenet
from errata.atomic import write_json, write_npz, write_text, write_with
from errata.taxonomy import cooccurrence, overlapping, shipped, superclasses, tables
from errata.taxonomy.tables import (
    COOC_COMMON,
    COOC_COUNTS,
    COOC_PAIRS,
    COOC_REPORT,
    COVERAGE,
    NON_PROTOTYPICAL,
    OVERLAPPING_CSV,
    SAME_SUPERCLASS,
    SUPERCLASSES_CSV,
)


def write_superclasses(definitions: Path | None, out: Path) -> dict:
    """Superclasses, overlapping classes and the non-prototypical lookup; returns the coverage.
    The shipped tables where they are what `definitions` builds, else built with WordNet."""
    if shipped.serves(definitions):
        return shipped.copy_to(out)
    return build_superclasses(definitions, out)


def ship() -> dict:
    """Rebuild the shipped tables from the bundled definitions (needs WordNet)."""
    report = build_superclasses(None, shipped.directory())
    shipped.record(None)
    return report


def build_superclasses(definitions: Path | None, out: Path) -> dict:
    """`write_superclasses` from WordNet, never the shipped tables."""
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


def build(
    where: Path, evalset: pd.DataFrame, label_set: str, definitions: Path | None = None, **cooc
) -> tables.Taxonomy:
    """The whole taxonomy in one directory, superclasses and co-occurrence together: what
    `errata taxonomy build` and a classify run without a built taxonomy make. The bundled
    definitions' superclasses are the shipped ones (no WordNet needed)."""
    write_superclasses(definitions, where)
    write_cooccurrence(where, evalset, label_set, where, **cooc)
    return tables.load(where)


def describe(where: Path) -> str:
    """One line on a built taxonomy, from the reports it wrote."""
    report = json.loads((Path(where) / COVERAGE).read_text())
    cooc = json.loads((Path(where) / COOC_REPORT).read_text())
    return (
        f"{report['n_non_singleton']} superclasses (sizes {report['size_min']}-{report['size_max']}, "
        f"median {report['size_median']:g}), {report['n_singleton_classes']} singleton classes, "
        f"{report['n_pairs_sharing']} pairs sharing a superclass; {cooc['n_common_pairs']} common "
        f"co-occurrence pairs over {cooc['n_images_counted']} images "
        f"(threshold {cooc['effective_min_count']})"
    )
